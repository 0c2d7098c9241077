import Foundation

/// A search over a problem set, batch after batch, each problem's record appended to a results file as it
/// finishes, so an interrupted run resumes where it stopped (problems already in the file are skipped).
public struct EvaluationRun {
    public var problems: [Problem]
    /// Problems searched together in one batch (their sequences share every forward step).
    public var batch: Int
    /// The JSON Lines results file: read to resume, appended to.
    public var output: String?

    public init(problems: [Problem], batch: Int = 8, output: String? = nil) {
        self.problems = problems
        self.batch = batch
        self.output = output
    }

    /// Records already in the results file for these problems.
    public func finished() throws -> [EvaluationRecord] {
        guard let output, FileManager.default.fileExists(atPath: output) else { return [] }
        guard let text = try? String(contentsOfFile: output, encoding: .utf8) else { throw EvaluationError.unreadable(output) }
        let wanted = Set(problems.map(\.id))
        return try EvaluationRecord.read(text, source: output).filter { wanted.contains($0.id) }
    }

    /// Searches every problem not yet in the results file; `onRecord` sees each new record with its result.
    /// Returns all records, resumed ones first.
    public func run(_ searcher: Searcher, onRecord: (EvaluationRecord, SearchResult) throws -> Void = { _, _ in }) throws -> [EvaluationRecord] {
        var records = try finished()
        let done = Set(records.map(\.id))
        let file: FileHandle? = try output.map { path in
            if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
            guard let h = FileHandle(forWritingAtPath: path) else { throw EvaluationError.unreadable(path) }
            h.seekToEndOfFile()
            return h
        }
        defer { try? file?.close() }
        let todo = problems.filter { !done.contains($0.id) }
        for first in stride(from: 0, to: todo.count, by: max(1, batch)) {
            let group = Array(todo[first..<min(first + batch, todo.count)])
            let results = try searcher.run(group.map { SearchQuestion($0.question, expected: $0.answer) })
            for (problem, result) in zip(group, results) {
                let record = EvaluationRecord(problem: problem, result: result)
                records.append(record)
                file?.write(Data((record.jsonLine + "\n").utf8))
                try onRecord(record, result)
            }
        }
        return records
    }
}
