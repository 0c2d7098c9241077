/// Rebuilds block tables and reference counts from a trace, event by event, so that page ownership
/// can be drawn or checked after the run.
public struct KVTraceReplay {
    /// A span of steps during which a page had one reference count.
    public struct Span: Equatable, Sendable {
        public var page: Int
        public var steps: Range<Int>
        public var references: Int
    }

    public private(set) var spans: [Span] = []
    public private(set) var tables: [Int: [Int]] = [:]
    public private(set) var references: [Int: Int] = [:]
    public private(set) var lastStep = 0
    private var since: [Int: Int] = [:]

    public init(_ events: [KVEvent]) throws {
        guard !events.isEmpty else { throw KVTraceError.empty }
        for (i, e) in events.enumerated() {
            lastStep = max(lastStep, e.step)
            func need<T>(_ v: T?, _ what: String) throws -> T {
                guard let v else { throw KVTraceError.badLine(i + 1, "\(e.kind.rawValue) event without \(what)") }
                return v
            }
            switch e.kind {
            case .create:
                tables[try need(e.sequence, "sequence")] = []
            case .allocate:
                let page = try need(e.page, "page")
                tables[try need(e.sequence, "sequence"), default: []].append(page)
                set(page, 1, at: e.step)
            case .fork:
                let table = tables[try need(e.sequence, "sequence")] ?? []
                for child in try need(e.children, "children") { tables[child] = table }
                for page in table { set(page, (references[page] ?? 0) + (e.children?.count ?? 0), at: e.step) }
            case .copyOnWrite:
                let s = try need(e.sequence, "sequence"), old = try need(e.page, "page")
                if let at = tables[s]?.lastIndex(of: old) { tables[s]!.remove(at: at) }
                release(old, at: e.step)
            case .truncate:
                let s = try need(e.sequence, "sequence"), keep = try need(e.pages, "pages")
                let table = tables[s] ?? []
                for page in table.dropFirst(keep) { release(page, at: e.step) }
                tables[s] = Array(table.prefix(keep))
            case .freeSequence:
                let s = try need(e.sequence, "sequence")
                for page in tables[s] ?? [] { release(page, at: e.step) }
                tables[s] = nil
            case .freePage:
                break // The release that emptied the page already closed its span.
            }
        }
        for (page, count) in references where count > 0 { close(page, at: lastStep + 1) }
        spans.sort { ($0.page, $0.steps.lowerBound) < ($1.page, $1.steps.lowerBound) }
    }

    private mutating func release(_ page: Int, at step: Int) {
        set(page, (references[page] ?? 1) - 1, at: step)
    }

    private mutating func set(_ page: Int, _ count: Int, at step: Int) {
        if (references[page] ?? 0) > 0 { close(page, at: step) }
        references[page] = count
        since[page] = step
    }

    /// Ends the page's current span at `step`. Several changes within one step leave no span of their
    /// own: the last count of the step is the one drawn from there on.
    private mutating func close(_ page: Int, at step: Int) {
        let start = since[page] ?? step
        if let count = references[page], count > 0, start < step {
            spans.append(Span(page: page, steps: start..<step, references: count))
        }
    }
}
