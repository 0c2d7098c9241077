import BanyanGeneration

/// The search strategies. Strings only where a user or a file names one.
public enum SearchStrategy: String, Sendable, Codable, CaseIterable, CodingKeyRepresentable {
    /// One temperature-0 solution: the baseline.
    case greedy
    /// N solutions sampled from forks of the prompt.
    case bestOfN = "best-of-n"
    /// N first steps; each round the N/M best unfinished beams are forked M ways.
    case beam
    /// N/M independent subtrees, each keeping the best of its M candidate steps.
    case dvts
    /// Per problem: a Best-of-N probe estimates difficulty, then a learned table picks strategy, N and rule.
    case auto
    /// N particles resampled after every step in proportion to their scores (particle filtering).
    case particles
    /// Samples in waves until the vote is settled, at most N (Adaptive-Consistency).
    case adaptive
}

/// Everything that decides what a search does, with the one set of defaults the library, the CLI and
/// the server share (`SearchConfiguration()`).
public struct SearchConfiguration: Sendable, Equatable {
    public var strategy: SearchStrategy = .bestOfN
    /// Samples (best-of-n), beams (beam), subtrees × width (dvts).
    public var n = 8
    /// Candidates per expansion M (beam: keep n/M beams and fork each M ways; dvts: n/M subtrees).
    public var beamWidth = 4
    /// For `auto`: the most samples or beams its choice may use (default: n).
    public var budget: Int?
    /// For `auto`: the table's file (default: the one shipped for the scorer: `checker` or `head`).
    public var autoTable: String?
    /// Steps before every remaining branch runs to its end (beam, dvts).
    public var maxDepth = 40
    public var prm: PRMSpec = .checker
    public var aggregation: Aggregation = .min
    public var selection: Selection = .weighted
    /// Temperature 0.7, no top-k, top-p or min-p cut: the prior calibration of the default model.
    public var sampling = SamplingParameters(temperature: 0.7, topK: 0, topP: 1, minP: 0, seed: 0)
    /// Most tokens per solution.
    public var maxTokens = 96
    /// Steps end at this text in the decoded bytes; the math prompt writes one calculation per line.
    public var delimiter = "\n"
    /// Greedy steps rolled out on a fork of each candidate before it is scored (beam, dvts).
    public var lookahead = 0
    /// For `particles`: the resampling temperature (1: in proportion to the score; lower is greedier).
    public var particleTemperature = 1.0
    /// For `adaptive`: stop once the leading answer beats the runner-up with this posterior probability.
    public var confidence = 0.95
    /// For `adaptive`: samples per problem per wave.
    public var wave = 4
    /// For `adaptive`: one vote per sample, or each sample's score as its vote (stopping rule and answer).
    public var vote: AdaptiveVote = .majority
    /// Fork the prompt's KV for every branch (false: prefill it again, as the reference does).
    public var fork = true
    /// The few-shot prompt the question goes into.
    public var prompt = MathPrompt()

    public init() {}

    public init(strategy: SearchStrategy, n: Int = 8, prm: PRMSpec = .checker) {
        self.strategy = strategy
        self.n = n
        self.prm = prm
    }

    /// The rule whose pick is the answer (greedy has one solution: its own).
    /// Adaptive self-consistency answers by its vote (`vote`).
    public var rule: Selection { strategy == .greedy ? .vanilla : strategy == .adaptive ? vote.rule : selection }

    /// The most branches per problem a search may hold: N, or auto's budget.
    public var width: Int { max(n, budget ?? 0) }

    /// Checks every setting, naming the flag to change.
    public func validate() throws(SearchConfigurationError) {
        guard (1...4096).contains(n) else { throw .outOfRange("--n", "must be between 1 and 4096") }
        if strategy == .auto {
            guard let budget, (1...4096).contains(budget) else { throw .outOfRange("--strategy auto", "needs --budget N (1…4096)") }
        } else if budget != nil || autoTable != nil {
            throw .outOfRange("--budget and --auto-table", "apply to --strategy auto; other strategies take --n")
        }
        guard maxTokens >= 1 else { throw .outOfRange("--max-tokens", "must be ≥ 1") }
        let s = sampling
        guard s.temperature >= 0, s.topP > 0, s.topP <= 1 else { throw .outOfRange("--temperature / --top-p", "must be ≥ 0 and in (0, 1]") }
        guard s.topK >= 0, (0...1).contains(s.minP) else { throw .outOfRange("--top-k / --min-p", "must be ≥ 0 and in [0, 1]") }
        guard !delimiter.isEmpty else { throw .outOfRange("--delimiter", "cannot be empty") }
        if strategy == .particles {
            guard particleTemperature > 0, particleTemperature.isFinite else { throw .outOfRange("--particle-temperature", "must be > 0") }
            guard maxDepth >= 1 else { throw .outOfRange("--max-depth", "must be ≥ 1") }
        }
        if strategy == .adaptive {
            guard confidence > 0.5, confidence < 1 else { throw .outOfRange("--confidence", "must be in (0.5, 1)") }
            guard wave >= 1 else { throw .outOfRange("--wave", "must be ≥ 1") }
        } else if vote != .majority {
            throw .outOfRange("--vote", "applies to --strategy adaptive; other strategies choose with --select")
        }
        if strategy == .beam || strategy == .dvts || strategy == .particles {
            guard strategy == .particles || (beamWidth >= 1 && n >= beamWidth && n % beamWidth == 0) else {
                throw .outOfRange("--n", "must be a multiple of --beam-width (\(beamWidth)) and at least as large")
            }
            guard maxDepth >= 1 else { throw .outOfRange("--max-depth", "must be ≥ 1") }
            guard (0...16).contains(lookahead) else { throw .outOfRange("--lookahead", "must be between 0 and 16") }
        } else if lookahead > 0 {
            throw .outOfRange("--lookahead", "applies to --strategy beam, dvts and particles")
        }
    }

    func bestOfN(n: Int, scorer: any StepScorer) -> BestOfN {
        BestOfN(n: n, sampling: sampling, maxTokens: maxTokens, delimiter: delimiter, scorer: scorer, aggregation: aggregation, fork: fork)
    }

    func particleFilter(n: Int? = nil, scorer: any StepScorer) -> ParticleFilter {
        ParticleFilter(stepSearch(n: n ?? self.n, width: 1, lookahead: lookahead, scorer: scorer), temperature: particleTemperature)
    }

    func adaptive(scorer: any StepScorer) -> AdaptiveConsistency {
        AdaptiveConsistency(n: n, wave: min(wave, n), confidence: confidence, sampling: sampling, maxTokens: maxTokens, delimiter: delimiter,
                            scorer: scorer, aggregation: aggregation, vote: vote)
    }

    func stepSearch(n: Int, width: Int, lookahead: Int, scorer: any StepScorer) -> StepSearchSettings {
        StepSearchSettings(n: n, width: width, sampling: sampling, maxTokens: maxTokens, delimiter: delimiter, scorer: scorer,
                           aggregation: aggregation, maxDepth: maxDepth, fork: fork, lookahead: lookahead)
    }
}
