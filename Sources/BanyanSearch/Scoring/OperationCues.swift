import Foundation

/// Which operation a two-number story asks for, read from its words: "how many are left?" wants a
/// difference, "how many in all?" a sum, "how many does each get?" a quotient. A multinomial naive Bayes
/// over the question's words and word pairs, and separately those of its last sentence (the question
/// proper), learned from training stories with no annotation: a story whose two numbers reach its answer
/// by exactly one of + − × ÷ is labelled with that operation.
///
/// Naive Bayes is overconfident (it multiplies dozens of correlated word likelihoods); the log-likelihoods
/// are divided by `temperature`, chosen by 5-fold cross-validation on the training stories as the one
/// whose held-out mean confidence matches held-out accuracy (8: 74% accuracy, mean confidence 0.74).
public struct OperationCues: Codable, Sendable, Equatable {
    /// The operations, in the order of every per-operation array: + − × ÷ as `StepChecker` writes them.
    public static let operations: [Character] = ["+", "-", "*", "/"]

    /// Training stories per operation.
    public var stories: [Int]
    /// Per feature (word, word pair, `L:` last-sentence word or pair): occurrences per operation.
    public var counts: [String: [Int]]
    /// Feature occurrences per operation.
    public var totals: [Int]
    public var temperature: Double
    /// Where the stories came from.
    public var source: String

    /// The operation that takes a two-number story to its answer, if exactly one does (subtraction and
    /// division in either order).
    public static func label(question: String, answer: String) -> Character? {
        let given = ProvenanceScorer.digitNumbers(in: question)
        guard given.count == 2, let a = Double(answer.replacingOccurrences(of: ",", with: "")) else { return nil }
        let (x, y) = (given[0], given[1])
        func near(_ v: Double) -> Bool { v.isFinite && abs(v - a) <= 1e-6 * max(1, abs(a)) }
        var found: [Character] = []
        if near(x + y) { found.append("+") }
        if near(x - y) || near(y - x) { found.append("-") }
        if near(x * y) { found.append("*") }
        if (y != 0 && near(x / y)) || (x != 0 && near(y / x)) { found.append("/") }
        return found.count == 1 ? found[0] : nil
    }

    /// The words the model reads: lower-case letter runs of the whole question and their adjacent pairs,
    /// then the same for its last sentence with an `L:` prefix.
    public static func features(_ question: String) -> [String] {
        func words(_ text: Substring) -> [String] {
            text.lowercased().split(whereSeparator: { !($0.isLetter && $0.isASCII) }).map(String.init)
        }
        func grams(_ w: [String], prefix: String) -> [String] {
            w.map { prefix + $0 } + zip(w, w.dropFirst()).map { prefix + $0 + "_" + $1 }
        }
        var sentences: [Substring] = []
        var start = question.startIndex
        var i = question.startIndex
        while i < question.endIndex {
            let next = question.index(after: i)
            if ".?!".contains(question[i]), next == question.endIndex || question[next].isWhitespace {
                sentences.append(question[start..<next])
                start = next
            }
            i = next
        }
        if question[start...].contains(where: { !$0.isWhitespace }) { sentences.append(question[start...]) }
        return grams(words(question[...]), prefix: "") + grams(words(sentences.last ?? ""), prefix: "L:")
    }

    /// Learns from `problems` (those that `label` can label; others are skipped).
    public static func learn(_ problems: [Problem], temperature: Double = 8, source: String = "") -> OperationCues {
        var cues = OperationCues(stories: [0, 0, 0, 0], counts: [:], totals: [0, 0, 0, 0], temperature: temperature, source: source)
        for p in problems {
            guard let op = label(question: p.question, answer: p.answer), let k = operations.firstIndex(of: op) else { continue }
            cues.stories[k] += 1
            for f in features(p.question) {
                cues.counts[f, default: [0, 0, 0, 0]][k] += 1
                cues.totals[k] += 1
            }
        }
        return cues
    }

    /// P(operation | question) for + − × ÷, in `operations` order (Laplace smoothing; unseen words ignored).
    public func probabilities(_ question: String) -> [Double] {
        let vocabulary = Double(counts.count), all = Double(stories.reduce(0, +))
        guard all > 0 else { return [0.25, 0.25, 0.25, 0.25] }
        var logs = stories.map { Foundation.log(Double(max(1, $0)) / all) }
        for f in OperationCues.features(question) {
            guard let c = counts[f] else { continue }
            for k in 0..<4 { logs[k] += Foundation.log((Double(c[k]) + 1) / (Double(totals[k]) + vocabulary)) }
        }
        let scaled = logs.map { $0 / temperature }, top = scaled.max()!
        let e = scaled.map { Foundation.exp($0 - top) }, z = e.reduce(0, +)
        return e.map { $0 / z }
    }

    /// The table shipped for the default prompt, learned from the training stories (`Resources/README.md`).
    public static func shipped() throws(SearchConfigurationError) -> OperationCues {
        guard let path = Bundle.module.path(forResource: "operation-cues", ofType: "json", inDirectory: "Resources"),
              let data = FileManager.default.contents(atPath: path) else { throw .unreadable("operation-cues.json (the shipped operation cues)") }
        do { return try JSONDecoder().decode(OperationCues.self, from: data) } catch { throw .unreadable("operation-cues.json: \(error)") }
    }

    public func write(toFile path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }
}

/// A verifier for two-number stories that knows no answer: the `provenance` checks (the arithmetic adds
/// up, the numbers come from the question or earlier lines, the stated answer was computed), and each
/// calculation weighted by how likely the story is to ask for its operation (`OperationCues`), relative to
/// the likeliest: "12 + 5 = 17" for a "how many are left?" story scores far below "12 - 5 = 7". Questions
/// with other than two numbers are scored by provenance alone (the cues were learned on two-number stories).
public struct OperationScorer: StepScorer {
    public let name = "operations"
    public let provenance: ProvenanceScorer
    /// Per operation (+ − × ÷): P(operation | question) / the largest; nil when the cues do not apply.
    public let weights: [Double]?

    public init(question: String, cues: OperationCues) {
        provenance = ProvenanceScorer(question: question)
        if ProvenanceScorer.digitNumbers(in: question).count == 2 {
            let p = cues.probabilities(question), top = p.max()!
            weights = p.map { $0 / top }
        } else {
            weights = nil
        }
    }

    public func scores(_ steps: [SolutionStep], text: String, finished: Bool) -> [Double] {
        let base = provenance.scores(steps, text: text, finished: finished)
        guard let weights else { return base }
        return zip(steps, base).map { step, score in
            var s = score
            for c in StepChecker.parse(step.text) {
                for op in c.operators { if let k = OperationCues.operations.firstIndex(of: op) { s *= weights[k] } }
            }
            return s
        }
    }
}
