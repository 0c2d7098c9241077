import Foundation

/// One step of a solution: its tokens and text, and the policy's confidence in them.
public struct SolutionStep: Sendable, Codable, Equatable {
    public var tokens: [Int32]
    public var text: String
    /// Mean log-probability of the step's tokens under the policy (at temperature 1).
    public var meanLogProbability: Double
    /// The lowest log-probability of any of the step's tokens (its least confident token), when recorded.
    public var minLogProbability: Double?
    /// The scorer's score for this step (0…1).
    public var score = 0.0
    /// What the policy's hidden state said about the step, for a learned PRM head (when captured).
    public var features: StepFeatures?
    /// A forking scorer's verdict, given when the step ended.
    public var judgement: Double?

    public init(tokens: [Int32], text: String, meanLogProbability: Double, score: Double = 0, features: StepFeatures? = nil) {
        self.tokens = tokens
        self.text = text
        self.meanLogProbability = meanLogProbability
        self.score = score
        self.features = features
    }

    enum CodingKeys: String, CodingKey { case tokens, text, meanLogProbability, minLogProbability, score, judgement }
}

/// A finished (or cut off) solution.
public struct Solution: Sendable, Codable, Equatable {
    public enum End: String, Sendable, Codable {
        case endOfGeneration = "eog", maxTokens = "max_tokens"
        /// Stopped by the search at a step its verifier scored 0 (weighted `adaptive`): no answer, no vote.
        case abandoned
    }
    public var steps: [SolutionStep]
    public var text: String
    public var answer: String?
    /// Step scores aggregated by the search's rule.
    public var score: Double
    public var end: End
    public var tokenCount: Int { steps.reduce(0) { $0 + $1.tokens.count } }

    /// Whether the solution's answer equals `expected` (no answer is wrong).
    public func isRight(expected: String) -> Bool { answer.map { AnswerEquivalence.equivalent($0, expected) } ?? false }

    public init(steps: [SolutionStep], text: String, answer: String?, score: Double, end: End) {
        self.steps = steps
        self.text = text
        self.answer = answer
        self.score = score
        self.end = end
    }
}

/// Scores the steps of a solution, each in 0…1 (a PRM). Search aggregates them per solution.
public protocol StepScorer: Sendable {
    var name: String { get }
    /// What must be tracked while a step is sampled so that steps carry `StepFeatures` (the policy's hidden
    /// states) for this scorer; nil when it reads none (the default).
    func featureTracker() -> StepFeatureTracker?
    /// One score per step; `finished` says whether the solution is complete.
    func scores(_ steps: [SolutionStep], text: String, finished: Bool) -> [Double]
}

extension StepScorer {
    public func featureTracker() -> StepFeatureTracker? { nil }
}

/// Mean token log-probability of each step, as a probability: free from the forward pass already done.
public struct LikelihoodScorer: StepScorer {
    public let name = "likelihood"
    public init() {}
    public func scores(_ steps: [SolutionStep], text: String, finished: Bool) -> [Double] {
        steps.map { $0.tokens.isEmpty ? 1 : Foundation.exp($0.meanLogProbability) }
    }
}

/// The arithmetic step checker as a PRM: a step with a wrong `x op y = z` calculation scores 0,
/// others 1. It checks that each line adds up, not that it is the line the problem needs.
public struct CheckerScorer: StepScorer {
    public let name = "checker"
    public init() {}
    public func scores(_ steps: [SolutionStep], text: String, finished: Bool) -> [Double] {
        steps.map { StepChecker.verdict($0.text) == .wrong ? 0 : 1 }
    }
}

/// Exact process labels for an arithmetic-chain question ("What is 7 + 4 - 2?"): each calculation must
/// be the chain's next operation on the right running value, and a step stating the answer must state
/// the chain's value. A solution that stops early or drifts to other numbers fails where it goes wrong.
/// For questions that are not chains it is the arithmetic checker.
public struct ChainCheckerScorer: StepScorer {
    public let name = "chain"
    public let chain: StepChecker.Chain?

    public init(question: String) { chain = StepChecker.Chain(question: question) }

    public func scores(_ steps: [SolutionStep], text: String, finished: Bool) -> [Double] {
        guard let chain else { return CheckerScorer().scores(steps, text: text, finished: finished) }
        let perStep = steps.map { StepChecker.parse($0.text) }
        var verdicts = chain.verdicts(perStep.flatMap { $0 })[...]
        return zip(steps, perStep).map { step, calculations in
            let mine = verdicts.prefix(calculations.count)
            verdicts = verdicts.dropFirst(calculations.count)
            if mine.contains(.wrong) { return 0 }
            if calculations.isEmpty, step.text.range(of: "answer", options: .caseInsensitive) != nil,
               let stated = AnswerExtraction.extract(step.text) {
                return AnswerEquivalence.equivalent(stated, chain.value.formatted) ? 1 : 0
            }
            return 1
        }
    }
}

/// Exact final-answer match against the known answer (for evaluation and coverage): the last step of
/// a finished solution scores 1 if its answer is right, else 0; earlier steps score 1.
public struct VerifierScorer: StepScorer {
    public let name = "verifier"
    public let expected: String
    public init(expected: String) { self.expected = expected }
    public func scores(_ steps: [SolutionStep], text: String, finished: Bool) -> [Double] {
        guard let last = steps.indices.last else { return [] }
        var s = [Double](repeating: 1, count: steps.count)
        if finished {
            let right = AnswerExtraction.extract(text).map { AnswerEquivalence.equivalent($0, expected) } ?? false
            s[last] = right ? 1 : 0
        }
        return s
    }
}

/// How step scores become a solution's score.
public enum Aggregation: String, Sendable, Codable, CaseIterable {
    case last, min, prod, mean

    public func apply(_ scores: [Double]) -> Double {
        guard !scores.isEmpty else { return 0 }
        switch self {
        case .last: return scores.last!
        case .min: return scores.min()!
        case .prod: return scores.reduce(1, *)
        case .mean: return scores.reduce(0, +) / Double(scores.count)
        }
    }
}

/// How one answer is chosen from many solutions.
public enum Selection: String, Sendable, Codable, CaseIterable, CodingKeyRepresentable {
    /// The single highest-scoring solution.
    case vanilla
    /// The answer with the largest sum of solution scores (ties: the most votes).
    case weighted
    /// The most frequent answer.
    case majority
    /// Conditional majority (LiLaVe): the weighted pick when the verifier is confident in it (the answer
    /// holds at least `Selection.confidentShare` of all solutions' summed score), else the vote.
    case conditional

    /// The share of the summed score above which `conditional` trusts the verifier. Chosen on the
    /// training chains (`arith:…,seed=2`, the 531 problems whose question is not held out, the first 16
    /// Best-of-N samples scored by the shipped head) among shares and two other confidence measures (the
    /// winner's mean score, the top solution's score), by `tools/selection_sim.py`; never on a held-out set.
    public static let confidentShare = 0.5

    /// The chosen answer (ties go to the answer seen first); nil if no solution has one.
    public func pick(_ solutions: some Collection<Solution>) -> String? {
        let answered = solutions.filter { $0.answer != nil }
        switch self {
        case .vanilla:
            var best: Solution?
            for s in answered where best == nil || s.score > best!.score { best = s }
            return best?.answer
        case .weighted, .majority, .conditional:
            var order: [String] = [], scores: [String: Double] = [:], votes: [String: Int] = [:], first: [String: String] = [:]
            for s in answered {
                let key = AnswerEquivalence.key(s.answer!)
                if scores[key] == nil { order.append(key); first[key] = s.answer! }
                scores[key, default: 0] += s.score
                votes[key, default: 0] += 1
            }
            // Equal weights (for example every sample failing a 0/1 checker) fall back to the vote.
            func heavier(_ a: String, _ b: String) -> Bool { scores[a]! != scores[b]! ? scores[a]! > scores[b]! : votes[a]! > votes[b]! }
            func moreVotes(_ a: String, _ b: String) -> Bool { votes[a]! > votes[b]! }
            func winner(_ better: (String, String) -> Bool) -> String? {
                var bestKey: String?
                for key in order where bestKey == nil || better(key, bestKey!) { bestKey = key }
                return bestKey
            }
            let chosen: String?
            switch self {
            case .weighted: chosen = winner(heavier)
            case .majority: chosen = winner(moreVotes)
            default:
                let weighted = winner(heavier), total = scores.values.reduce(0, +)
                let confident = weighted.map { total > 0 && scores[$0]! / total >= Self.confidentShare } ?? false
                chosen = confident ? weighted : winner(moreVotes)
            }
            return chosen.flatMap { first[$0] }
        }
    }
}
