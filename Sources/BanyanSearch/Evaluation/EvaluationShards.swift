import Foundation

/// One part of a problem set, for runs spread over processes or machines: every `count`-th problem,
/// starting at `index`. Each problem's samples depend only on the seed, never on which problems share
/// a batch or a shard, so the parts of a sharded run equal the single run problem for problem.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    /// Parses `I/N` with 0 ≤ I < N.
    public init(parsing text: String) throws(EvaluationError) {
        let parts = text.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2, parts[1] >= 1, (0..<parts[1]).contains(parts[0]) else { throw .badShard(text) }
        index = parts[0]
        count = parts[1]
    }

    public func select<T>(_ items: [T]) -> [T] { items.enumerated().filter { $0.offset % count == index }.map(\.element) }
    public var description: String { "\(index)/\(count)" }
}

public enum EvaluationError: Error, Equatable, CustomStringConvertible {
    case badShard(String)
    case duplicate(id: String, files: [String])
    case unreadable(String)

    public var description: String {
        switch self {
        case .badShard(let s): return "--shard takes I/N with 0 ≤ I < N, for example 0/4, not \"\(s)\""
        case .duplicate(let id, let files):
            return "problem \(id) appears more than once in \(files.joined(separator: ", ")); merge parts of one run, each problem once"
        case .unreadable(let path): return "cannot read \(path)"
        }
    }
}

extension EvaluationRecord {
    /// Records of several result files, each problem once (sorted by id); a problem found twice is refused.
    public static func merge(files: [String]) throws -> [EvaluationRecord] {
        var records: [String: (EvaluationRecord, String)] = [:]
        for file in files {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw EvaluationError.unreadable(file) }
            for r in try EvaluationRecord.read(text, source: file) {
                if let (_, other) = records[r.id] { throw EvaluationError.duplicate(id: r.id, files: [other, file]) }
                records[r.id] = (r, file)
            }
        }
        return records.values.map(\.0).sorted { $0.id < $1.id }
    }
}
