import Foundation

/// One problem to solve: what is asked and the final answer it expects.
public struct Problem: Sendable, Codable, Equatable {
    public var id: String
    public var question: String
    /// The final answer as a string (an integer where the answer is whole).
    public var answer: String

    public init(id: String, question: String, answer: String) {
        self.id = id
        self.question = question
        self.answer = answer
    }
}

/// Why a problem set could not be read.
public enum ProblemSetError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case badLine(path: String, line: Int, reason: String)
    case empty(String)
    case badSpec(String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let p, let r): return "cannot read the data set \(p): \(r)"
        case .badLine(let p, let n, let r):
            return "\(p), line \(n): not a problem (each line is {\"id\": …, \"question\": …, \"answer\": …}): \(r)"
        case .empty(let p): return "the data set \(p) holds no problems"
        case .badSpec(let s, let r): return "\(s): \(r)"
        }
    }
}

/// Where problems come from: a JSON Lines file (`{"id", "question", "answer"}` per line, as in
/// data/) or the synthetic arithmetic source (`arith:operands=3,digits=1,…`).
public enum ProblemSet {
    public static func load(_ spec: String) throws(ProblemSetError) -> [Problem] {
        if spec.hasPrefix("arith:") || spec == "arith" {
            return try ArithmeticSource(spec: spec).problems()
        }
        let text: String
        do { text = try String(contentsOfFile: spec, encoding: .utf8) } catch {
            throw .unreadable(path: spec, reason: error.localizedDescription)
        }
        struct Line: Decodable {
            let id: FlexibleString?
            let question: String
            let answer: FlexibleString
        }
        var problems: [Problem] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.allSatisfy(\.isWhitespace) {
            do {
                let l = try JSONDecoder().decode(Line.self, from: Data(line.utf8))
                problems.append(Problem(id: l.id?.value ?? "\(i + 1)", question: l.question, answer: l.answer.value))
            } catch {
                throw .badLine(path: spec, line: i + 1, reason: String(describing: error))
            }
        }
        guard !problems.isEmpty else { throw .empty(spec) }
        return problems
    }
}

/// A JSON string or number, read as a string (answers and ids come as either).
struct FlexibleString: Decodable {
    let value: String
    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { value = s; return }
        if let i = try? c.decode(Int.self) { value = String(i); return }
        value = String(try c.decode(Double.self))
    }
}
