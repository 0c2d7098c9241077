import ArgumentParser
import Banyan
import Foundation

extension KVElementType: ExpressibleByArgument {}

struct KV: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv",
        abstract: "Fork a prompt into many sequences, sample them together, and report what sharing KV pages saves.",
        discussion: """
        Prefills --prompt-tokens (seeded pseudo-random tokens), measures fork latency (median of 2,001 \
        forks, and against sequence length), forks --fork sequences that each sample --gen-tokens tokens \
        in batched steps, and reports physical KV bytes against what independent copies would hold. Then \
        times one decode step at prompt + 64 tokens per sequence with per-sequence and with shared-prefix \
        attention. --trace writes every allocate / fork / copy-on-write / free event as JSON lines; --svg \
        draws page ownership over time from it.
        """
    )

    @OptionGroup var model: ModelOptions
    @Option(name: .customLong("prompt-tokens"), help: "Prompt length shared by every fork.") var promptTokens = 500
    @Option(help: "Sequences forked from the prompt.") var fork = 16
    @Option(name: .customLong("gen-tokens"), help: "Tokens each fork samples.") var genTokens = 128
    @Option(name: .customLong("page-size"), help: "Tokens per KV page (1 to 256).") var pageSize = 16
    @Option(name: .customLong("kv-type"), help: "Element type of cached K and V: f16 or f32 (default: f16, as llama.cpp).")
    var kvType: KVElementType?
    @Option(help: "Threads (default: all cores).") var threads: Int?
    @Option(help: "Write the event trace here (JSON lines).") var trace: String?
    @Option(help: "Draw page ownership over time here (SVG).") var svg: String?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard promptTokens >= 1, fork >= 1, genTokens >= 1 else { throw ValidationError("--prompt-tokens, --fork and --gen-tokens must be ≥ 1") }
        guard KVGeometry.pageSizes.contains(pageSize) else { throw ValidationError("--page-size must be between 1 and 256") }
        guard fork <= 1024 else { throw ValidationError("--fork is limited to 1024 sequences") }
    }

    func run() throws {
        let session = try LanguageModel.load(model.model, threads: threads)
        guard promptTokens + genTokens + 64 <= session.model.config.contextLength else {
            throw ValidationError("--prompt-tokens + --gen-tokens must leave 64 tokens of the model's context (\(session.model.config.contextLength))")
        }
        let (r, events) = try KVWorkload.run(model: session.model, promptTokens: promptTokens, forks: fork, generatedTokens: genTokens,
                                             pageSize: pageSize, elementType: kvType, recordTrace: trace != nil || svg != nil) { Terminal.status($0) }
        if let trace {
            try KVEvent.jsonLines(events).write(toFile: trace, atomically: true, encoding: .utf8)
            Terminal.status("wrote \(events.count) events to \(trace)")
        }
        if let svg {
            let title = "\(fork) forks of a \(promptTokens)-token prompt, \(genTokens) tokens each, page size \(pageSize)"
            try KVTracePicture.svg(try KVTraceReplay(events), title: title).write(toFile: svg, atomically: true, encoding: .utf8)
            Terminal.status("wrote \(svg)")
        }
        if json {
            try Terminal.json(r.jsonObject)
            return
        }
        print(r.summary)
    }
}

struct TraceSVG: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace-svg",
        abstract: "Draw page ownership over time (SVG) from a KV event trace written by `banyan kv --trace`."
    )

    @Argument(help: "The trace (JSON lines).") var trace: String
    @Option(help: "Where to write the SVG.") var out: String

    func run() throws {
        let text: String
        do { text = try String(contentsOfFile: trace, encoding: .utf8) } catch {
            throw ValidationError("cannot read \(trace): \(error.localizedDescription)")
        }
        let replay = try KVTraceReplay(try KVEvent.parse(jsonLines: text))
        try KVTracePicture.svg(replay, title: "KV pages over time: \((trace as NSString).lastPathComponent)")
            .write(toFile: out, atomically: true, encoding: .utf8)
        Terminal.status("\(replay.spans.count) page spans over \(replay.lastStep + 1) steps → \(out)")
    }
}
