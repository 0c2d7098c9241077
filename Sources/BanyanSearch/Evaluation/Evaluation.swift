import Foundation

/// One problem's outcome, as `banyan eval` writes it (one JSON object per line).
public struct EvaluationRecord: Sendable, Codable, Equatable {
    public var id: String
    public var question: String
    public var expected: String
    public var strategy: String
    public var answers: [String?]
    public var scores: [Double]
    /// Rule → budget → whether that rule's pick from the first `budget` solutions is right.
    public var correct: [String: [String: Bool]]
    /// Rule → budget → the answer that rule picked (absent in files written before picks were recorded).
    public var picks: [String: [String: String]]?
    /// Whether any solution is right (pass@N).
    public var coverage: Bool
    public var tokensPrefilled: Int
    public var tokensDecoded: Int
    /// Tokens a scorer computed with a model of its own (absent in files written before it was recorded).
    public var scorerTokens: Int?
    public var forwardSteps: Int
    public var peakKVBytes: Int
    public var seconds: Double

    public init(problem: Problem, result: SearchResult) {
        id = problem.id
        question = problem.question
        expected = problem.answer
        strategy = result.label
        answers = result.solutions.map(\.answer)
        scores = result.solutions.map(\.score)
        correct = Dictionary(uniqueKeysWithValues: result.picks.map { rule, byBudget in
            (rule.rawValue, Dictionary(uniqueKeysWithValues: byBudget.map { (String($0.key), AnswerEquivalence.equivalent($0.value, problem.answer)) }))
        })
        picks = Dictionary(uniqueKeysWithValues: result.picks.map { rule, byBudget in
            (rule.rawValue, Dictionary(uniqueKeysWithValues: byBudget.map { (String($0.key), $0.value) }))
        })
        coverage = result.solutions.contains { $0.isRight(expected: problem.answer) }
        tokensPrefilled = result.accounting.tokensPrefilled
        tokensDecoded = result.accounting.tokensDecoded
        scorerTokens = result.accounting.scorerTokens
        forwardSteps = result.accounting.forwardSteps
        peakKVBytes = result.accounting.peakKVBytes
        seconds = result.accounting.seconds
    }

    /// Whether `rule`'s pick at `budget` is right (a rule with no pick there, because no solution had an
    /// answer, is wrong).
    public func isCorrect(_ rule: Selection, budget: Int) -> Bool { correct[rule.rawValue]?[String(budget)] ?? false }

    /// The largest budget any rule was scored at (N; N/M for DVTS, which picks among its subtrees' solutions).
    public var budget: Int { correct.values.flatMap { $0.keys.compactMap { Int($0) } }.max() ?? answers.count }

    /// Reads records written one per line; names the line of the first bad one.
    public static func read(_ text: String, source: String) throws(ProblemSetError) -> [EvaluationRecord] {
        var records: [EvaluationRecord] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            do { records.append(try JSONDecoder().decode(EvaluationRecord.self, from: Data(line.utf8))) } catch {
                throw .badLine(path: source, line: i + 1, reason: String(describing: error))
            }
        }
        return records
    }

    public var jsonLine: String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(decoding: try! e.encode(self), as: UTF8.self)
    }
}

/// A proportion with its 95% Wilson interval.
public struct Proportion: Sendable, Codable, Equatable {
    public var hits: Int
    public var total: Int
    public var value: Double { total == 0 ? 0 : Double(hits) / Double(total) }
    public var low: Double { wilson(-1) }
    public var high: Double { wilson(1) }

    public init(hits: Int, total: Int) {
        self.hits = hits
        self.total = total
    }

    private func wilson(_ sign: Double) -> Double {
        guard total > 0 else { return 0 }
        let z = 1.959_964, n = Double(total), p = value
        let centre = p + z * z / (2 * n), spread = z * ((p * (1 - p) + z * z / (4 * n)) / n).squareRoot()
        return Swift.min(1, Swift.max(0, (centre + sign * spread) / (1 + z * z / n)))
    }
}

/// Accuracy of every rule at every budget, coverage and compute, over many records.
public struct EvaluationSummary: Sendable, Codable {
    public var problems: Int
    /// Rule → budget → accuracy.
    public var accuracy: [String: [Int: Proportion]]
    public var coverage: Proportion
    public var tokensPrefilled: Int
    public var tokensDecoded: Int
    public var seconds: Double

    public init(_ records: [EvaluationRecord]) {
        problems = records.count
        var acc: [String: [Int: Proportion]] = [:]
        for rule in Selection.allCases {
            let budgets = Set(records.flatMap { ($0.correct[rule.rawValue] ?? [:]).keys.compactMap { Int($0) } })
            for b in budgets {
                // A record without this budget (another run's N) does not count toward it.
                let having = records.filter { $0.correct[rule.rawValue]?[String(b)] != nil || $0.answers.count >= b }
                acc[rule.rawValue, default: [:]][b] = Proportion(hits: having.filter { $0.isCorrect(rule, budget: b) }.count,
                                                                 total: having.count)
            }
        }
        accuracy = acc
        coverage = Proportion(hits: records.filter(\.coverage).count, total: records.count)
        tokensPrefilled = records.reduce(0) { $0 + $1.tokensPrefilled }
        tokensDecoded = records.reduce(0) { $0 + $1.tokensDecoded }
        seconds = records.reduce(0) { $0 + $1.seconds }
    }
}
