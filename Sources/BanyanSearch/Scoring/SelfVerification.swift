import BanyanKV
import Foundation

/// A scorer that runs forward passes of its own when a step ends: on forks of the branch's sequence (the
/// policy asked about its own step) or on a second model's own KV (a token PRM). Search calls `judge` for
/// every step that just ended, all branches of all problems together; the scores land on the steps and
/// `scores` reads them back.
public protocol ForkingScorer: StepScorer {
    /// One score per item, and the tokens computed for each.
    func judge(_ items: [JudgeItem], policy: SearchPolicy) throws -> [(score: Double, tokens: Int)]
}

/// A step that just ended, to be judged.
public struct JudgeItem {
    /// The branch's sequence in the policy.
    public var sequence: SequenceID
    /// The step's last token, sampled but not yet in the sequence (nil when the step ended with end of generation).
    public var pending: Int32?
    /// Every step of the branch so far, the new one last.
    public var steps: [SolutionStep]
    /// The scorer of the branch's own problem (which may know the problem's text).
    public var problem: any ForkingScorer

    public init(sequence: SequenceID, pending: Int32?, steps: [SolutionStep], problem: any ForkingScorer) {
        self.sequence = sequence
        self.pending = pending
        self.steps = steps
        self.problem = problem
    }
}

/// Self-verification: the policy itself is asked, on a fork of the branch, whether the step it just wrote
/// is correct; the score is P(yes) / (P(yes) + P(no)) at the answer's first token. The question costs its
/// own tokens per step (counted as scorer tokens); the solution so far is never re-encoded.
public struct SelfVerificationScorer: ForkingScorer {
    public let name = "self"
    /// Tokens that close the assistant's turn and ask the question, ending where the answer starts.
    public let question: [Int32]
    public let yes: Set<Int32>
    public let no: Set<Int32>

    /// What the policy is asked after each step.
    public static let questionText = "Is the last line of your answer correct? Answer Yes or No."

    public init(question: [Int32], yes: Set<Int32>, no: Set<Int32>) {
        self.question = question
        self.yes = yes
        self.no = no
    }

    public func scores(_ steps: [SolutionStep], text: String, finished: Bool) -> [Double] {
        steps.map { $0.judgement ?? 0.5 }
    }

    public func judge(_ items: [JudgeItem], policy: SearchPolicy) throws -> [(score: Double, tokens: Int)] {
        guard !items.isEmpty else { return [] }
        var forks: [SequenceID] = []
        for item in items { forks += try policy.fork(item.sequence, count: 1) }
        defer { for f in forks { try? policy.free(f) } }
        let inputs = zip(forks, items).map { f, item in (f, (item.pending.map { [$0] } ?? []) + question) }
        let logits = try policy.extend(inputs)
        return zip(logits, inputs).map { l, input in (LabelProbability.of(good: yes, bad: no, in: l), input.1.count) }
    }
}

/// A verdict read from next-token logits: P(good) / (P(good) + P(bad)), each side summed over its label
/// tokens (softmax restricted to the labels); 0.5 when there are none.
enum LabelProbability {
    static func of(good: some Collection<Int32>, bad: some Collection<Int32>, in logits: [Float]) -> Double {
        let top = Double((good.map { logits[Int($0)] } + bad.map { logits[Int($0)] }).max() ?? 0)
        let pg = good.reduce(0.0) { $0 + Foundation.exp(Double(logits[Int($1)]) - top) }
        let pb = bad.reduce(0.0) { $0 + Foundation.exp(Double(logits[Int($1)]) - top) }
        return pg + pb > 0 ? pg / (pg + pb) : 0.5
    }
}
