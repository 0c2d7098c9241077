import BanyanKV
import BanyanKernels
import BanyanTokenizer
import Foundation

/// How a token PRM reads a solution: the text around the question, after each step (the probe, ending
/// where the label token is predicted) and between steps (the good label committed, the next turn opened).
/// Every format here is append-only, so a branch's PRM state extends by its new step alone.
public struct TokenPRMFormat: Sendable, Equatable {
    public var name: String
    /// Text before the question (special tokens are parsed in every text but the question and the steps).
    public var header: String
    /// Text between the question and the first step.
    public var afterQuestion: String
    /// Text after each step, up to where the label is read.
    public var probe: String
    /// Text after a probe and before the next step.
    public var between: String
    /// The label tokens: a step scores P(good) / (P(good) + P(bad)) at the probe's last position.
    public var good: String
    public var bad: String
    /// Whether steps are trimmed of surrounding whitespace (chat PRMs split on blank lines and trim).
    public var trimSteps: Bool

    public init(name: String, header: String = "", afterQuestion: String, probe: String, between: String, good: String, bad: String,
                trimSteps: Bool = true) {
        self.name = name
        self.header = header
        self.afterQuestion = afterQuestion
        self.probe = probe
        self.between = between
        self.good = good
        self.bad = bad
        self.trimSteps = trimSteps
    }

    /// RLHFlow's PRMs (Llama3.1-8B-PRM-Deepseek/Mistral-Data): a chat, one step per user turn (the question
    /// and the first step share the first), each answered "+" by the assistant; the label is read where
    /// the assistant's reply starts, then "+" is committed, as the reference scores every step.
    public static func rlhflow(template: ChatTemplate) throws(TokenPRMError) -> TokenPRMFormat {
        let (q, s1, s2) = ("\u{E000}", "\u{E001}", "\u{E002}")
        let text = template.render([.user(q + " " + s1), .assistant("+"), .user(s2)], addGenerationPrompt: true)
        let parts = text.components(separatedBy: CharacterSet(charactersIn: q + s1 + s2))
        guard parts.count == 4, parts[2].hasPrefix(parts[3] + "+") else { throw .templateUnusable(String(describing: template)) }
        return TokenPRMFormat(name: "rlhflow", header: parts[0], afterQuestion: parts[1], probe: parts[3],
                              between: String(parts[2].dropFirst(parts[3].count + 1)), good: "+", bad: "-")
    }

    /// Math-Shepherd: question, then the steps each followed by the tag " ки"; the label ("+"/"-") is read
    /// at the tag.
    public static let mathShepherd = TokenPRMFormat(name: "math-shepherd", afterQuestion: "\n ", probe: " ки", between: "\n\n",
                                                    good: "+", bad: "-")
}

public enum TokenPRMError: Error, Equatable, CustomStringConvertible {
    case templateUnusable(String)
    case label(String)
    case unknownFormat(String)

    public var description: String {
        switch self {
        case .templateUnusable(let t): return "the PRM model's chat template (\(t)) cannot express the RLHFlow format; use format=math-shepherd or generic"
        case .label(let l): return "the PRM label \"\(l)\" encodes to no token, or good and bad are the same token; choose other labels"
        case .unknownFormat(let f): return "unknown token PRM format \"\(f)\"; use rlhflow, math-shepherd or generic"
        }
    }
}

/// What a token PRM computed, beside what re-encoding every prefix (as the reference does) would have.
public struct TokenPRMStatistics: Sendable, Equatable, Codable {
    /// Steps scored with a forward pass, and steps whose identical history had been scored already.
    public var stepsScored = 0
    public var repeats = 0
    /// Tokens the PRM computed, and the new steps' own tokens among them (step text, probe, separator).
    public var tokensComputed = 0
    public var stepTokens = 0
    /// Tokens a re-encode of each scored step's whole conversation would compute.
    public var reencodeTokens = 0
    public var seconds = 0.0
    public init() {}

    enum CodingKeys: String, CodingKey {
        case stepsScored = "steps_scored", repeats, tokensComputed = "tokens_computed", stepTokens = "step_tokens"
        case reencodeTokens = "reencode_tokens", seconds
    }
}

/// A PRM that is a language model beside the policy (any Llama GGUF), with its own paged KV. Each branch's
/// conversation lives in a PRM sequence keyed by the branch's question and step texts; a new step forks
/// its parent's sequence and computes only its own tokens, so sibling candidates share their history and
/// nothing is re-encoded. With `reencode` it computes every step's whole conversation instead (the
/// baseline the accounting is compared with). Least recently used sequences are freed beyond `maxLive`.
public final class TokenPRM: @unchecked Sendable {
    public let format: TokenPRMFormat
    public let reencode: Bool
    public let maxLive: Int
    public private(set) var statistics = TokenPRMStatistics()
    let policy: SearchPolicy
    let tokenizer: Tokenizer
    let good: Int32, bad: Int32
    let header: [Int32], afterQuestion: [Int32], probe: [Int32], between: [Int32]

    struct Entry {
        var sequence: SequenceID?
        var score: Double
        /// Tokens in the conversation up to this step's probe.
        var length: Int
        var used: Int
    }
    private var entries: [[String]: Entry] = [:]
    private var clock = 0

    public init(policy: SearchPolicy, tokenizer: Tokenizer, format: TokenPRMFormat, reencode: Bool = false, maxLive: Int = 1024)
        throws(TokenPRMError) {
        func label(_ text: String) throws(TokenPRMError) -> Int32 {
            guard let id = tokenizer.encode(text, parseSpecial: false, addSpecial: false).last else { throw .label(text) }
            return id
        }
        good = try label(format.good)
        bad = try label(format.bad)
        guard good != bad else { throw .label(format.good) }
        self.policy = policy
        self.tokenizer = tokenizer
        self.format = format
        self.reencode = reencode
        self.maxLive = max(1, maxLive)
        let special = { (text: String) in tokenizer.encode(text, parseSpecial: true, addSpecial: false) }
        var h = special(format.header)
        if tokenizer.addBOS, let bos = tokenizer.bos, h.first != bos { h.insert(bos, at: 0) }
        header = h
        afterQuestion = special(format.afterQuestion)
        probe = special(format.probe)
        between = special(format.between)
    }

    deinit { for e in entries.values { if let s = e.sequence { try? policy.free(s) } } }

    func plain(_ text: String) -> [Int32] { tokenizer.encode(text, parseSpecial: false, addSpecial: false) }
    func stepText(_ s: String) -> String { format.trimSteps ? s.trimmingCharacters(in: .whitespacesAndNewlines) : s }

    /// The tokens step `index` adds to the conversation (the first step brings the question too).
    func segment(question: String, step: String, index: Int) -> [Int32] {
        (index == 0 ? header + plain(question) + afterQuestion : between) + plain(stepText(step)) + probe
    }

    /// The score of each request's last step, given its earlier steps, and the PRM tokens computed for it.
    public func score(_ requests: [(question: String, steps: [String])]) throws -> [(score: Double, tokens: Int)] {
        let started = MonotonicClock.seconds()
        defer { statistics.seconds += MonotonicClock.seconds() - started }
        clock += 1
        var results = Array(repeating: (score: 0.5, tokens: 0), count: requests.count)
        struct Work { var index: Int; var key: [String]; var parent: SequenceID?; var tokens: [Int32]; var length: Int; var fresh: Int }
        var work: [Work] = []
        var planned: [[String]: Int] = [:]  // a history asked twice in one call is computed once
        var duplicates: [(index: Int, of: Int)] = []
        for (i, r) in requests.enumerated() where !r.steps.isEmpty {
            let key = [r.question] + r.steps.map(stepText)
            if let e = entries[key] {
                entries[key]!.used = clock
                results[i] = (e.score, 0)
                statistics.repeats += 1
                continue
            }
            if let w = planned[key] { duplicates.append((i, w)); continue }
            // The longest scored prefix whose sequence is still held (none when re-encoding).
            var k = r.steps.count - 1
            var parent: Entry?
            while !reencode && k > 0 {
                if let e = entries[Array(key[...k])], e.sequence != nil { parent = e; entries[Array(key[...k])]!.used = clock; break }
                k -= 1
            }
            if parent == nil { k = 0 }
            let segments = (k..<r.steps.count).map { segment(question: r.question, step: r.steps[$0], index: $0) }
            let tokens = segments.flatMap { $0 }
            let fresh = segments.last!.count
            planned[key] = work.count
            work.append(Work(index: i, key: key, parent: parent?.sequence, tokens: tokens, length: (parent?.length ?? 0) + tokens.count,
                             fresh: fresh))
        }
        guard !work.isEmpty else { return results }
        // Extensions of held sequences go in one batched step, new conversations in another.
        let extending = work.indices.filter { work[$0].parent != nil }
        let starting = work.indices.filter { work[$0].parent == nil }
        var sequences = [SequenceID?](repeating: nil, count: work.count)
        var logits = [[Float]](repeating: [], count: work.count)
        var computed = [Int](repeating: 0, count: work.count)
        if !extending.isEmpty {
            var forks: [SequenceID] = []
            for w in extending { forks += try policy.fork(work[w].parent!, count: 1) }
            let out = try policy.extend(zip(forks, extending).map { ($0, work[$1].tokens) })
            for (k, w) in extending.enumerated() { (sequences[w], logits[w], computed[w]) = (forks[k], out[k], work[w].tokens.count) }
        }
        if !starting.isEmpty {
            let out = try policy.start(starting.map { work[$0].tokens }, sharePrefix: !reencode)
            for (k, w) in starting.enumerated() { (sequences[w], logits[w], computed[w]) = (out[k].sequence, out[k].logits, out[k].computed) }
        }
        for (w, item) in work.enumerated() {
            let score = LabelProbability.of(good: [good], bad: [bad], in: logits[w])
            results[item.index] = (score, computed[w])
            statistics.stepsScored += 1
            statistics.tokensComputed += computed[w]
            statistics.stepTokens += item.fresh
            statistics.reencodeTokens += item.length
            var held = sequences[w]
            if reencode, let s = held { try policy.free(s); held = nil }
            entries[item.key] = Entry(sequence: held, score: score, length: item.length, used: clock)
        }
        for d in duplicates {
            results[d.index] = (results[work[d.of].index].score, 0)
            statistics.repeats += 1
        }
        try evict()
        return results
    }

    /// Frees the least recently used sequences beyond `maxLive` (their scores stay known).
    private func evict() throws {
        let live = entries.filter { $0.value.sequence != nil }
        guard live.count > maxLive else { return }
        let oldest = live.sorted { $0.value.used < $1.value.used }.prefix(live.count - maxLive * 3 / 4)
        for (key, e) in oldest where e.used < clock {
            try policy.free(e.sequence!)
            entries[key]!.sequence = nil
        }
    }

    /// PRM sequences held now.
    public var liveSequences: Int { entries.values.filter { $0.sequence != nil }.count }
}

/// Scores each step with a token PRM when it ends; the problem's question is the PRM's first turn.
public struct TokenPRMScorer: ForkingScorer {
    public let name = "token"
    public let question: String
    public let prm: TokenPRM

    public init(question: String, prm: TokenPRM) {
        self.question = question
        self.prm = prm
    }

    public func scores(_ steps: [SolutionStep], text: String, finished: Bool) -> [Double] { steps.map { $0.judgement ?? 0.5 } }

    public func judge(_ items: [JudgeItem], policy: SearchPolicy) throws -> [(score: Double, tokens: Int)] {
        try prm.score(items.map { item in ((item.problem as? TokenPRMScorer)?.question ?? question, item.steps.map(\.text)) })
    }
}
