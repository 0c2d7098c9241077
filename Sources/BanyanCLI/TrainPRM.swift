import ArgumentParser
import Banyan
import Foundation

struct TrainPRM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-prm",
        abstract: "Train a PRM head on the policy's own hidden states, in process, and measure it on held-out problems.",
        discussion: """
        Samples --n solutions per training problem (Best-of-N over forked prompts, with the default math \
        prompt), captures each step's features (the final hidden state at the step's end and right after its \
        `=`, plus token log-probabilities; no extra forward pass) and labels every step two ways: exact labels \
        from the chain checker (is this line the chain's next operation, computed right?) and outcome labels \
        (is the solution's final answer right?, on every step, as OVM does); with --rollouts K also Monte-Carlo \
        labels (K rollouts continue from each step's end on forks of its prefix; the label is the fraction reaching \
        the right answer, as Math-Shepherd). It fits a head on each label kind, \
        measures both on the held-out problems (step AUROC against the exact labels, solution AUROC of the \
        min-aggregated score against final correctness, calibration) beside the likelihood and arithmetic-checker \
        baselines, and writes the head trained on --labels. Problems are split by problem, never by step.
        """
    )

    @OptionGroup var model: ModelOptions
    @Option(help: "Training problems, repeatable (JSONL or arith:…; exact labels need arithmetic chains, word problems get the arithmetic checker's).")
    var dataset: [String] = ["arith:operands=3,digits=1,ops=+-,count=200,seed=1"]
    @Option(help: "Only the first K problems of each --dataset.") var limit: Int?
    @Option(help: "Evaluation sets, repeatable: training problems with the same question are dropped (default: the held-out chains and MAWPS SingleOp / SingleEq).")
    var exclude: [String] = ["arith:operands=3,digits=1,ops=+-,count=200,seed=7", "data/singleop.jsonl", "data/singleeq.jsonl"]
    @Option(help: "Fraction of each set's problems held out for measurement.") var holdout = 0.25
    @Option(help: "Solutions sampled per problem.") var n = 8
    @Option(help: "Sampling temperature.") var temperature: Float = 0.7
    @Option(name: .customLong("max-tokens"), help: "Most tokens per solution.") var maxTokens = 64
    @Option(help: "Which labels the written head is trained on: exact, outcome or mc (needs --rollouts).") var labels: PRMLabelKind = .exact
    @Option(help: "Weight of a within-problem pairwise loss (right answer step above wrong) beside the pointwise one; > 0 writes that head, Platt-calibrated (linear heads).")
    var ranking: Float = 0
    @Option(help: "Monte-Carlo rollouts from each step's end (0: no Monte-Carlo labels).") var rollouts = 0
    @Option(help: "Hidden units of a two-layer MLP head (0: linear).") var hidden = 0
    @Option(parsing: .upToNextOption, help: "Layers (0-based) whose outputs the head also reads beside the final hidden state, e.g. 10 20.") var layers: [Int] = []
    @Option(help: "Training epochs.") var epochs = 300
    @Option(help: "L2 penalty.") var l2: Float = 1e-2
    @Option(help: "Problems sampled together in one batch.") var batch = 16
    @Option(help: "Write the head here (safetensors).") var out = "prm-head.safetensors"
    @Option(help: "Seed for sampling and initialisation.") var seed: UInt64 = 0
    @Option(help: "Per --dataset, in order: keep its sampled, labelled steps here; reused if it exists (retrain without resampling), written otherwise.")
    var examples: [String] = []
    @Option(help: "Threads (default: all cores).") var threads: Int?
    @Flag(help: "End with one JSON object of the measurements.") var json = false

    func validate() throws {
        guard holdout > 0, holdout < 1 else { throw ValidationError("--holdout must be between 0 and 1") }
        guard n >= 1, epochs >= 1, hidden >= 0, batch >= 1 else { throw ValidationError("--n, --epochs and --batch must be ≥ 1, --hidden ≥ 0") }
        guard (0...64).contains(rollouts) else { throw ValidationError("--rollouts must be between 0 and 64") }
        guard ranking >= 0, ranking == 0 || hidden == 0 else { throw ValidationError("--ranking must be ≥ 0, and trains linear heads only (--hidden 0)") }
        guard examples.isEmpty || examples.count == dataset.count else { throw ValidationError("give one --examples file per --dataset") }
        if labels == .mc && rollouts == 0 && examples.isEmpty { throw ValidationError("--labels mc needs --rollouts K (or an --examples file with Monte-Carlo labels)") }
    }

    func run() throws {
        let session = try LanguageModel.load(model.model, threads: threads)
        guard let template = session.tokenizer.chatTemplate else { throw CLIError.invalid("this model has no chat template Banyan knows") }
        let tok = session.tokenizer.tokenizer
        let hash = try PRMHeads.modelSHA256(session.model.sourceDescription), start = MonotonicClock.seconds()
        let width = session.model.config.embeddingWidth, dimension = StepFeatures.dimension(width: width * (1 + layers.count))
        try session.engine.setFeatureLayers(layers)
        var sources: [(examples: [PRMExample], problems: [Problem])] = []
        for (k, spec) in dataset.enumerated() {
            let problems = Array(try ProblemSet.load(spec).prefix(limit ?? .max))
            let prompts = problems.map { tok.encode(MathPrompt().render(question: $0.question, template: template)) }
            // Monte-Carlo rollouts run this many prefix tokens' worth of rollouts at once (the chunking also seeds them).
            let rolloutChunk = 8 * batch * (prompts.map(\.count).max()! + n * (maxTokens + 16) + 64)
            let cache = k < examples.count ? examples[k] : nil
            if let cache, FileManager.default.fileExists(atPath: cache) {
                sources.append((try PRMDataset.load(from: cache), problems))
                if let d = sources[k].examples.first?.features.first?.count, d != dimension { throw CLIError.invalid("\(cache) holds \(d) features per step; --layers \(layers) reads \(dimension)") }
                Terminal.status("reusing \(sources[k].examples.count) sampled solutions of \(spec) from \(cache)")
                continue
            }
            let collected = try PRMDataset.collect(
                policy: ModelPolicy(engine: session.engine, tokenizer: tok), problems: problems,
                prompts: prompts, n: n, sampling: SamplingParameters(temperature: temperature, topK: 0, topP: 1, minP: 0, seed: seed),
                maxTokens: maxTokens, delimiter: "\n", batch: batch, rollouts: rollouts, rolloutCapacity: rolloutChunk) { done, total in
                    Terminal.status(String(format: "%@: sampled %d/%d problems, %.0f s", spec, done, total, MonotonicClock.seconds() - start))
                }
            if let cache { try PRMDataset.save(collected, to: cache) }
            sources.append((collected, problems))
        }
        let heldOut = Set(try exclude.flatMap { try ProblemSet.load($0) }.map { PRMTrainingSet.normalized($0.question) })
        let set = PRMTrainingSet(sources: sources, holdout: holdout, excluding: heldOut), (train, test) = (set.train, set.test)
        Terminal.status("\(train.count) training solutions, \(test.count) held out; \(set.excluded) problems dropped (in an evaluation set)")
        if labels == .mc && !(!train.isEmpty && train.allSatisfy { $0.monteCarlo != nil }) {
            throw CLIError.invalid("these examples have no Monte-Carlo labels; sample them with --rollouts K")
        }
        var settings = PRMTraining.Settings()
        (settings.hiddenUnits, settings.epochs, settings.l2, settings.seed) = (hidden, epochs, l2, seed)
        let c = PRMComparison(train: train, test: test, settings: settings, ranking: ranking > 0 ? (labels, ranking) : nil,
                              layers: (width, layers.count, labels)) { kind in
            ["model_sha256": hash, "layer": "final hidden state (after the output norm)", "labels": kind.rawValue, "feature_layers": layers.map(String.init).joined(separator: ","),
             "dataset": dataset.joined(separator: " + "), "features": "hidden at step end, hidden after '=', mean/min/result token log-probability",
             "hidden_units": String(hidden), "banyan": "train-prm"]
        }
        c.lines.forEach { print($0) }
        var (head, measured) = c.ranked.map { ($0.head, $0.measured) } ?? (c.heads[labels]!, c.measured[labels]!)
        for (k, v) in measured.json where !(v is [Any]) { head.metadata["heldout_\(k)"] = "\(v)" }
        try head.write(to: out)
        print("wrote the head trained on \(labels.rawValue) labels\(ranking > 0 ? " with ranking weight \(ranking)" : "") to \(out)")
        if json { try Terminal.json(c.jsonObject) }
    }
}

extension PRMLabelKind: ExpressibleByArgument {}
