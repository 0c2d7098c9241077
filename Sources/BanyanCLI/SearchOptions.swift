import ArgumentParser
import Banyan
import Foundation

/// The search flags `banyan search` and `banyan eval` share: a `SearchConfiguration`, spelled as flags,
/// with the library's defaults.
struct SearchOptions: ParsableArguments {
    private static let defaults = SearchConfiguration()

    @Option(help: "greedy, best-of-n, beam, dvts, particles (N partial solutions resampled by score after every step), adaptive (samples in waves until the vote is settled, at most N) or auto (per problem: a few Best-of-N samples estimate its difficulty, then --auto-table picks strategy, N and selection rule for --budget).")
    var strategy: SearchStrategy = defaults.strategy
    @Option(help: "Budget for --strategy auto: the most samples / beams its choice may use.") var budget: Int?
    @Option(name: .customLong("auto-table"), help: "Table for --strategy auto, from banyan auto-table (default: the one shipped for --prm checker or --prm head).")
    var autoTable: String?
    @Option(help: "Budget: samples (best-of-n), beams (beam), subtrees × width (dvts).") var n = defaults.n
    @Option(name: .customLong("beam-width"), help: "Candidates per expansion M (beam: keep n/M beams, fork each M ways; dvts: n/M subtrees).")
    var beamWidth = defaults.beamWidth
    @Option(name: .customLong("max-depth"), help: "Steps before every remaining branch runs to its end (beam, dvts).") var maxDepth = defaults.maxDepth
    @Option(help: """
        Step scorer: likelihood (mean token log-probability), checker (each x op y = z line adds up; knows no answer), provenance (for word problems: the checker, and every number \
        a line uses comes from the question or an earlier line; the answer is a computed result), operations (for two-number stories: \
        provenance, with each calculation weighted by how likely the story's words make its operation, learned from training stories), chain \
        (for "What is a op b op …?": each line is the chain's next operation and the answer its value; an oracle for synthetic chains), \
        verifier (the known answer; an oracle), head (the learned PRM head shipped for the default model, reading the policy's hidden \
        states), head:PATH (a head from banyan train-prm), self (the policy asked on a fork whether each step is correct, scored by \
        P(Yes)), token:PATH (a second Llama GGUF as a PRM with its own forked KV, PATH `default` for the default model; settings after \
        commas: format=rlhflow (default), math-shepherd or generic; good=, bad=, probe=, between=, header=, after= texts; reencode to \
        recompute every step's whole conversation, the reference's cost). A*B multiplies step scores, as head*checker (the head, 0 on \
        a line whose arithmetic is wrong). (default: \(defaults.prm))
        """, transform: { try PRMSpec(parsing: $0) })
    var prm = defaults.prm
    @Option(help: "Step scores to a solution score: last, min, prod or mean.") var aggregate = defaults.aggregation
    @Option(help: "Choice among solutions: vanilla, weighted, majority or conditional (weighted where the verifier is confident in the answer, else the vote).") var select = defaults.selection
    @Option(help: "Sampling temperature.") var temperature = defaults.sampling.temperature
    @Option(name: .customLong("top-p"), help: "Nucleus sampling threshold.") var topP = defaults.sampling.topP
    @Option(name: .customLong("top-k"), help: "Sample among the K most likely tokens (0: all).") var topK = defaults.sampling.topK
    @Option(name: .customLong("min-p"), help: "Drop tokens less likely than this fraction of the top one.") var minP = defaults.sampling.minP
    @Option(help: "System text of the math prompt (default: the built-in one).") var system: String?
    @Option(help: "Worked examples for the prompt: JSON Lines of {\"question\", \"solution\"} (default: two built-in ones).")
    var examples: String?
    @Option(help: "Seed; each new branch takes the next one.") var seed = defaults.sampling.seed
    @Option(name: .customLong("max-tokens"), help: "Most tokens per solution.") var maxTokens = defaults.maxTokens
    @Option(help: "Step delimiter in the decoded text (\\n escapes allowed). The default math prompt writes one calculation per line.")
    var delimiter = defaults.delimiter.replacingOccurrences(of: "\n", with: "\\n")
    @Option(help: "Greedy steps rolled out on a fork of each candidate step before scoring it (beam, dvts); the candidate gets the continuation's score.")
    var lookahead = defaults.lookahead
    @Option(name: .customLong("particle-temperature"), help: "particles: resampling temperature (1: in proportion to the score).") var particleTemperature = defaults.particleTemperature
    @Option(help: "adaptive: stop once P(leading answer beats the runner-up) reaches this.") var confidence = defaults.confidence
    @Option(help: "adaptive: samples per problem per wave.") var wave = defaults.wave
    @Option(help: "adaptive: majority (one vote per sample) or weighted (each sample votes with its --prm score; stops and answers by that vote).") var vote = defaults.vote
    @Flag(name: .customLong("no-fork"), help: "Prefill the prompt (and everything generated) for every new branch instead of forking, as the reference does.")
    var noFork = false

    func validate() throws {
        do { try configuration(loadingExamples: false).validate() } catch { throw ValidationError(String(describing: error)) }
    }

    func configuration(loadingExamples: Bool = true) throws -> SearchConfiguration {
        var c = SearchConfiguration()
        c.strategy = strategy
        c.budget = budget
        c.autoTable = autoTable
        c.n = n
        c.beamWidth = beamWidth
        c.maxDepth = maxDepth
        c.prm = prm
        c.aggregation = aggregate
        c.selection = select
        c.sampling = SamplingParameters(temperature: temperature, topK: topK, topP: topP, minP: minP, seed: seed)
        c.maxTokens = maxTokens
        c.delimiter = delimiter.replacingOccurrences(of: "\\n", with: "\n")
        c.lookahead = lookahead
        c.fork = !noFork
        (c.particleTemperature, c.confidence, c.wave, c.vote) = (particleTemperature, confidence, wave, vote)
        if let system { c.prompt.system = system }
        if let examples, loadingExamples {
            guard let text = try? String(contentsOfFile: examples, encoding: .utf8) else { throw CLIError.unreadable(examples) }
            c.prompt.examples = try MathPrompt.examples(jsonLines: text, source: examples)
        }
        return c
    }
}

extension SearchStrategy: ExpressibleByArgument {}
extension Aggregation: ExpressibleByArgument {}
extension Selection: ExpressibleByArgument {}
extension AdaptiveVote: ExpressibleByArgument {}
extension PRMSpec: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(parsing: argument) }
    public var defaultValueDescription: String { description }
    public static var allValueStrings: [String] { PRMSpec.names }
}
