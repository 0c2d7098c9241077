import Foundation

/// One thing that happened to the page pool, for researchers replaying how pages are shared.
/// Written as one JSON object per line (`kind`, `step`, then the fields that kind uses).
public struct KVEvent: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A fresh page was taken from the free list for `sequence`.
        case allocate
        /// `sequence` was forked into `children`, sharing `pages` pages.
        case fork
        /// `sequence` wrote into shared `page`: its `slots` filled slots were copied to `newPage`.
        case copyOnWrite = "cow"
        /// A page's last reference went away: it is back on the free list.
        case freePage = "free_page"
        /// `sequence` was dropped (its pages' references released).
        case freeSequence = "free"
        /// `sequence` was cut back to `length` tokens, keeping its first `pages` pages.
        case truncate
        /// A new, empty sequence.
        case create
    }

    public var kind: Kind
    /// The engine step during which this happened (the model advances it).
    public var step: Int
    public var sequence: Int?
    public var page: Int?
    public var newPage: Int?
    public var children: [Int]?
    public var pages: Int?
    public var slots: Int?
    public var bytes: Int?
    public var length: Int?

    public init(kind: Kind, step: Int, sequence: Int? = nil, page: Int? = nil, newPage: Int? = nil, children: [Int]? = nil,
                pages: Int? = nil, slots: Int? = nil, bytes: Int? = nil, length: Int? = nil) {
        self.kind = kind
        self.step = step
        self.sequence = sequence
        self.page = page
        self.newPage = newPage
        self.children = children
        self.pages = pages
        self.slots = slots
        self.bytes = bytes
        self.length = length
    }

    /// JSON Lines, one event a line, keys sorted so traces diff cleanly.
    public static func jsonLines(_ events: [KVEvent]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return events.map { String(decoding: try! encoder.encode($0), as: UTF8.self) }.joined(separator: "\n") + "\n"
    }

    /// Reads a trace written by `jsonLines`, naming the line of the first bad entry.
    public static func parse(jsonLines text: String) throws -> [KVEvent] {
        let decoder = JSONDecoder()
        var events: [KVEvent] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            do {
                events.append(try decoder.decode(KVEvent.self, from: Data(line.utf8)))
            } catch {
                throw KVTraceError.badLine(i + 1, String(describing: error))
            }
        }
        return events
    }
}

public enum KVTraceError: Error, CustomStringConvertible, Equatable {
    case badLine(Int, String)
    case empty

    public var description: String {
        switch self {
        case .badLine(let n, let why): return "trace line \(n) is not a KV event: \(why)"
        case .empty: return "the trace holds no events"
        }
    }
}
