import ArgumentParser
import Banyan
import Foundation

/// Sampling flags shared by generate and chat.
struct SamplingOptions: ParsableArguments {
    private static let defaults = GenerationDefaults.sampling
    @Option(help: "Sampling temperature; 0 is greedy.") var temperature = defaults.temperature
    @Option(name: .customLong("top-k"), help: "Keep the K most likely tokens (0 = all).") var topK = defaults.topK
    @Option(name: .customLong("top-p"), help: "Keep tokens up to cumulative probability P.") var topP = defaults.topP
    @Option(name: .customLong("min-p"), help: "Drop tokens below P × the top probability.") var minP = defaults.minP
    @Option(name: .customLong("repeat-penalty"), help: "Penalty for recently seen tokens (1 = off).") var repeatPenalty = defaults.repetitionPenalty
    @Option(help: "Random seed: the same seed gives the same output.") var seed = defaults.seed

    func validate() throws {
        guard temperature >= 0 else { throw ValidationError("--temperature must be ≥ 0") }
        guard topK >= 0 else { throw ValidationError("--top-k must be ≥ 0") }
        guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
        guard minP >= 0 && minP < 1 else { throw ValidationError("--min-p must be in [0, 1)") }
        guard repeatPenalty > 0 else { throw ValidationError("--repeat-penalty must be > 0") }
    }

    var parameters: SamplingParameters {
        SamplingParameters(temperature: temperature, topK: topK, topP: topP, minP: minP, repetitionPenalty: repeatPenalty, seed: seed)
    }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue a prompt. Only the generated text goes to stdout; timings go to stderr.",
        discussion: "The prompt is raw text unless --chat wraps it in the model's chat template."
    )

    @OptionGroup var model: ModelOptions
    @Option(help: "The prompt text.") var prompt: String?
    @Option(name: .customLong("prompt-file"), help: "Read the prompt from a file.") var promptFile: String?
    @Flag(help: "Wrap the prompt as a user turn in the model's chat template.") var chat = false
    @Option(help: "System prompt for --chat (default: the template's own).") var system: String?
    @Option(name: .customLong("max-tokens"), help: "Most tokens to generate.") var maxTokens = GenerationDefaults.maxTokens
    @Option(name: .customLong("stop"), help: "Stop when this text appears (repeatable).") var stop: [String] = []
    @Option(help: "Threads (default: all cores).") var threads: Int?
    @OptionGroup var sampling: SamplingOptions

    func validate() throws {
        guard (prompt == nil) != (promptFile == nil) else { throw ValidationError("give either --prompt TEXT or --prompt-file F") }
        guard maxTokens >= 0 else { throw ValidationError("--max-tokens must be ≥ 0") }
        if system != nil && !chat { throw ValidationError("--system needs --chat") }
    }

    func run() throws {
        var text: String
        if let promptFile {
            guard let data = FileManager.default.contents(atPath: promptFile) else { throw CLIError.unreadable(promptFile) }
            text = String(decoding: data, as: UTF8.self)
        } else {
            text = prompt!
        }
        let lm = try LanguageModel.load(model.model, threads: threads)
        let result = try lm.stream(text, chat: chat, system: system, maxTokens: maxTokens, sampling: sampling.parameters, stop: stop) { piece in
            FileHandle.standardOutput.write(Data(piece.utf8))
            return true
        }
        FileHandle.standardOutput.write(Data("\n".utf8))
        Terminal.status(String(format: "prompt %d tokens, %.1f tok/s | generated %d tokens, %.1f tok/s | stop: %@",
                               result.promptTokens, result.prefillTokensPerSecond, result.tokens.count,
                               result.decodeTokensPerSecond, result.stopReason.rawValue))
    }
}
