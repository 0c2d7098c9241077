import Foundation

/// The front door: a model, its tokenizer and an engine, ready to generate, stream or search.
///
/// ```swift
/// let lm = try LanguageModel.load()                       // the default model, fetched on first use
/// print(try lm.generate("Name three trees.").text)
/// print(try lm.search("What is 6 + 3 - 4?").answer(.weighted) ?? "none")
/// ```
public final class LanguageModel {
    public let model: LlamaModel
    public let tokenizer: LoadedTokenizer
    public let engine: Engine
    /// Where the weights came from.
    public let path: String

    /// Loads `path` (a GGUF file or a safetensors checkpoint directory); nil means `$BANYAN_MODEL`, else the
    /// default model, fetched into the cache if missing.
    public static func load(_ path: String? = nil, threads: Int? = nil, numerics: Numerics = .llamaCpp,
                            capacity: KVCapacity? = nil) throws -> LanguageModel {
        if let threads, threads < 1 { throw GenerationError.badThreads(threads) }
        let file = try DefaultModel.resolve(explicit: path).path
        return try LanguageModel(model: LlamaModel(path: file, threads: threads), tokenizer: LoadedTokenizer(path: file), path: file,
                                 numerics: numerics, capacity: capacity)
    }

    public init(model: LlamaModel, tokenizer: LoadedTokenizer, path: String, numerics: Numerics = .llamaCpp, capacity: KVCapacity? = nil) throws {
        self.model = model
        self.tokenizer = tokenizer
        self.path = path
        engine = try Engine(model: model, capacity: capacity, numerics: numerics)
    }

    /// The prompt's tokens; with `chat`, the text goes in as a user turn of the model's chat template.
    public func encode(_ prompt: String, chat: Bool = false, system: String? = nil) throws -> [Int32] {
        guard chat else { return tokenizer.tokenizer.encode(prompt) }
        guard let template = tokenizer.chatTemplate else { throw GenerationError.noChatTemplate }
        return tokenizer.tokenizer.encode(template.render((system.map { [ChatMessage.system($0)] } ?? []) + [.user(prompt)]))
    }

    /// Generates a reply to `prompt` (a chat turn by default).
    public func generate(_ prompt: String, chat: Bool = true, system: String? = nil, maxTokens: Int = GenerationDefaults.maxTokens,
                         sampling: SamplingParameters = GenerationDefaults.sampling, stop: [String] = []) throws -> GenerationResult {
        try stream(prompt, chat: chat, system: system, maxTokens: maxTokens, sampling: sampling, stop: stop) { _ in true }
    }

    /// Generates, handing each piece of text to `onText` as soon as it is complete; return false to stop.
    @discardableResult
    public func stream(_ prompt: String, chat: Bool = true, system: String? = nil, maxTokens: Int = GenerationDefaults.maxTokens,
                       sampling: SamplingParameters = GenerationDefaults.sampling, stop: [String] = [],
                       onText: (String) -> Bool) throws -> GenerationResult {
        try Generator(engine: engine, tokenizer: tokenizer.tokenizer)
            .generate(prompt: encode(prompt, chat: chat, system: system), maxTokens: maxTokens, sampling: sampling, stopStrings: stop, onText: onText)
    }

    /// Searches one math question with `configuration` (Best-of-N over 8 samples and the arithmetic checker
    /// by default).
    public func search(_ question: String, expected: String? = nil, configuration: SearchConfiguration = SearchConfiguration()) throws
        -> SearchResult {
        try Searcher(engine: engine, tokenizer: tokenizer, configuration: configuration).run(SearchQuestion(question, expected: expected))
    }
}
