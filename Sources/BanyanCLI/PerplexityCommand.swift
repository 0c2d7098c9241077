import ArgumentParser
import Banyan
import Foundation

struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Perplexity of a text file, by llama.cpp's protocol.",
        discussion: """
        The whole file is tokenized, cut into non-overlapping chunks of --ctx tokens, and only the second \
        half of each chunk is scored. BOS is added only if the model asks for it. The last line is PPL = <value>.
        --numerics llama (default) rounds as llama.cpp's CPU backend does (8-bit activations, f16 KV): comparable \
        with llama-perplexity, but a mere change of summation order moves it by a few tenths of a percent. \
        --numerics exact keeps everything in f32: the stable figure to compare kernel versions with.
        """
    )

    @OptionGroup var model: ModelOptions
    @Option(help: "Text file to score.") var file: String
    @Option(help: "Chunk size in tokens.") var ctx: Int = 512
    @Option(help: "Threads (default: all cores).") var threads: Int?
    @Option(help: "Rounding: llama (as llama.cpp's CPU backend) or exact (f32 throughout).") var numerics: NumericsChoice = .llama
    @Flag(help: "Print one JSON object instead.") var json = false

    enum NumericsChoice: String, ExpressibleByArgument, CaseIterable {
        case llama, exact
        var value: Numerics { self == .llama ? .llamaCpp : .exact }
    }

    func run() throws {
        guard ctx >= 2 else { throw ValidationError("--ctx must be ≥ 2") }
        guard let data = FileManager.default.contents(atPath: file) else { throw CLIError.unreadable(file) }
        let session = try LanguageModel.load(model.model, threads: threads, numerics: numerics.value)
        guard ctx <= session.model.config.contextLength else {
            throw ValidationError("--ctx \(ctx) exceeds the model's context of \(session.model.config.contextLength)")
        }
        let tok = session.tokenizer.tokenizer
        // llama.cpp's perplexity tokenizes without parsing special tokens.
        let tokens = tok.encode(String(decoding: data, as: UTF8.self), parseSpecial: false, addSpecial: false)
        let result = try Perplexity.compute(engine: session.engine, tokens: tokens, context: ctx, bos: tok.addBOS ? tok.bos : nil) { done, total, ppl in
            if !json { Terminal.status(String(format: "[%d/%d] %.4f", done, total, ppl)) }
        }
        if json {
            try Terminal.json(["perplexity": result.perplexity, "chunks": result.chunks, "tokens": tokens.count,
                               "scored_tokens": result.scoredTokens, "ctx": ctx, "seconds": result.seconds,
                               "numerics": numerics.rawValue])
        } else {
            print(String(format: "%d tokens, %d chunks of %d, %.1f s", tokens.count, result.chunks, ctx, result.seconds))
            print(String(format: "PPL = %.4f", result.perplexity))
        }
    }
}
