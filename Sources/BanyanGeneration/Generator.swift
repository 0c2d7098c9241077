import BanyanKV
import BanyanModel
import BanyanTokenizer
import Foundation

/// Why generation ended.
public enum StopReason: String, Sendable, Codable {
    case endOfGeneration = "eog", maxTokens = "max_tokens", stopString = "stop_string", cancelled
}

/// A finished generation with its timings.
public struct GenerationResult: Sendable {
    public var tokens: [Int32]
    public var text: String
    public var promptTokens: Int
    public var prefillSeconds: Double
    public var decodeSeconds: Double
    public var stopReason: StopReason

    public var prefillTokensPerSecond: Double { Double(promptTokens) / max(prefillSeconds, 1e-9) }
    /// Tokens after the first (the first comes from the prefill step) per second of decoding.
    public var decodeTokensPerSecond: Double { Double(max(tokens.count - 1, 0)) / max(decodeSeconds, 1e-9) }
}

/// Why a prompt could not be generated from.
public enum GenerationError: Error, Equatable, CustomStringConvertible {
    case emptyPrompt
    case promptTooLong(tokens: Int, context: Int)
    case noChatTemplate
    case badThreads(Int)

    public var description: String {
        switch self {
        case .emptyPrompt: return "the prompt is empty: give at least one token of text"
        case .promptTooLong(let t, let c): return "the prompt has \(t) tokens, more than the model's context of \(c)"
        case .noChatTemplate: return "this model has no chat template Banyan knows (ChatML or Llama 3); give raw text instead of a chat turn"
        case .badThreads(let n): return "--threads must be ≥ 1, not \(n)"
        }
    }
}

/// Generation defaults shared by the library, the CLI and the server.
public enum GenerationDefaults {
    public static let maxTokens = 128
    /// llama.cpp's sampling defaults.
    public static let sampling = SamplingParameters()
}

/// Streams tokens from an engine: prefill the prompt in one step, then one token per step.
public struct Generator {
    public let engine: Engine
    public let tokenizer: Tokenizer

    public init(engine: Engine, tokenizer: Tokenizer) {
        self.engine = engine
        self.tokenizer = tokenizer
    }

    /// Generates up to `maxTokens` tokens after `prompt`. `onText` receives text as it becomes complete
    /// (never half a character) and may return false to stop. Stop strings end generation and are not
    /// included in the result.
    public func generate(prompt: [Int32], maxTokens: Int, sampling: SamplingParameters, stopStrings: [String] = [],
                         onText: (String) -> Bool = { _ in true }) throws -> GenerationResult {
        guard !prompt.isEmpty else { throw GenerationError.emptyPrompt }
        let context = engine.config.contextLength
        guard prompt.count < context else { throw GenerationError.promptTooLong(tokens: prompt.count, context: context) }
        let budget = min(maxTokens, context - prompt.count)
        let sequence = engine.createSequence()
        defer { try? engine.free(sequence) }
        var sampler = Sampler(sampling)
        var stream = TextStream(tokenizer: tokenizer, stopStrings: stopStrings)
        var result = GenerationResult(tokens: [], text: "", promptTokens: prompt.count, prefillSeconds: 0, decodeSeconds: 0,
                                      stopReason: .maxTokens)
        var history = prompt
        let start = Date()
        var out = try engine.step([StepInput(sequence: sequence, tokens: prompt)])
        var next = [StepInput(sequence: sequence, tokens: [0])]  // kept, with `out`, so decode steps reuse their buffers
        result.prefillSeconds = Date().timeIntervalSince(start)
        let decodeStart = Date()
        while result.tokens.count < budget {
            let token = sampler.sample(out[0].logitsRow(), history: history)
            if tokenizer.endOfGeneration.contains(token) { result.stopReason = .endOfGeneration; break }
            result.tokens.append(token)
            history.append(token)
            let piece = stream.append(token)
            if stream.stopped {
                result.stopReason = .stopString
                if !piece.isEmpty { _ = onText(piece) }
                break
            }
            if !piece.isEmpty && !onText(piece) { result.stopReason = .cancelled; break }
            if result.tokens.count == budget { break }
            next[0].tokens[0] = token
            try engine.step(next, into: &out)
        }
        let rest = stream.finish()
        if !rest.isEmpty { _ = onText(rest) }
        result.text = stream.text
        result.decodeSeconds = Date().timeIntervalSince(decodeStart)
        return result
    }
}
