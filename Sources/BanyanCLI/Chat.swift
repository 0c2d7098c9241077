import ArgumentParser
import Banyan
import Foundation

struct Chat: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Talk with the model in the terminal; the conversation is kept as history.",
        discussion: "Type a message and press return. /reset clears the history, /quit (or end of input) leaves."
    )

    @OptionGroup var model: ModelOptions
    @Option(help: "System prompt (default: the chat template's own).") var system: String?
    @Option(name: .customLong("max-tokens"), help: "Most tokens per reply.") var maxTokens: Int = 256
    @Option(help: "Threads (default: all cores).") var threads: Int?
    @OptionGroup var sampling: SamplingOptions

    func run() throws {
        let session = try LanguageModel.load(model.model, threads: threads)
        guard let template = session.tokenizer.chatTemplate else {
            throw CLIError.invalid("this model has no chat template Banyan knows (ChatML or Llama 3)")
        }
        let tokenizer = session.tokenizer.tokenizer
        let generator = Generator(engine: session.engine, tokenizer: tokenizer)
        var history: [ChatMessage] = system.map { [.system($0)] } ?? []
        var parameters = sampling.parameters
        Terminal.status("chatting with \(session.model.sourceDescription) — /reset to start over, /quit to leave")
        while true {
            FileHandle.standardError.write(Data("> ".utf8))
            guard let line = readLine() else { break }
            let message = line.trimmingCharacters(in: .whitespaces)
            if message.isEmpty { continue }
            if message == "/quit" || message == "/exit" { break }
            if message == "/reset" {
                history = system.map { [.system($0)] } ?? []
                Terminal.status("(history cleared)")
                continue
            }
            history.append(.user(message))
            var prompt = tokenizer.encode(template.render(history))
            // Keep the newest turns when the conversation outgrows the context.
            while prompt.count + maxTokens > session.model.config.contextLength {
                let oldest = history.first?.role == "system" ? 1 : 0
                guard history.count - oldest > 1 else { break }
                history.remove(at: oldest)
                prompt = tokenizer.encode(template.render(history))
            }
            let result = try generator.generate(prompt: prompt, maxTokens: maxTokens, sampling: parameters) { piece in
                FileHandle.standardOutput.write(Data(piece.utf8))
                return true
            }
            FileHandle.standardOutput.write(Data("\n".utf8))
            history.append(.assistant(result.text))
            parameters.seed &+= 1
            Terminal.status(String(format: "(%d tokens, %.1f tok/s)", result.tokens.count, result.decodeTokensPerSecond))
        }
    }
}
