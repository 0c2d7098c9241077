/// One turn of a conversation.
public struct ChatMessage: Sendable, Equatable, Codable {
    public var role: String
    public var content: String
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
    public static func system(_ c: String) -> ChatMessage { .init(role: "system", content: c) }
    public static func user(_ c: String) -> ChatMessage { .init(role: "user", content: c) }
    public static func assistant(_ c: String) -> ChatMessage { .init(role: "assistant", content: c) }
}

/// Renders conversations in a model family's chat format, recognized from the model's Jinja template.
public enum ChatTemplate: Sendable, Equatable {
    /// `<|im_start|>role\ncontent<|im_end|>\n`; `defaultSystem` is inserted when the conversation has none
    /// (SmolLM2's template does this).
    case chatML(defaultSystem: String?)
    /// `<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>` after `<|begin_of_text|>`.
    case llama3

    /// Recognizes the family from `tokenizer.chat_template`; nil when it is none of the supported ones.
    public init?(jinja: String) {
        if jinja.contains("<|start_header_id|>") {
            self = .llama3
        } else if jinja.contains("<|im_start|>") {
            self = .chatML(defaultSystem: ChatTemplate.defaultSystemPrompt(in: jinja))
        } else {
            return nil
        }
    }

    /// The literal system turn a ChatML template inserts, e.g. SmolLM2's "You are a helpful AI assistant…".
    static func defaultSystemPrompt(in jinja: String) -> String? {
        // Inside the Jinja string literal the newline may be written as "\n" or be a real newline.
        guard let start = jinja.range(of: "<|im_start|>system\\n") ?? jinja.range(of: "<|im_start|>system\n") else { return nil }
        guard let end = jinja.range(of: "<|im_end|>", range: start.upperBound..<jinja.endIndex) else { return nil }
        return String(jinja[start.upperBound..<end.lowerBound])
    }

    /// The prompt text for `messages`.
    /// - `addGenerationPrompt`: open an assistant turn for the model to write.
    /// - `continueFinalMessage`: leave the last message open, verbatim (no trimming), so the model continues
    ///   it — search extends partial answers that end in a blank line this way.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true, continueFinalMessage: Bool = false) -> String {
        var out = ""
        switch self {
        case .chatML(let defaultSystem):
            if let defaultSystem, messages.first?.role != "system" {
                out += "<|im_start|>system\n\(defaultSystem)<|im_end|>\n"
            }
            for (i, m) in messages.enumerated() {
                out += "<|im_start|>\(m.role)\n\(m.content)"
                if continueFinalMessage && i == messages.count - 1 { return out }
                out += "<|im_end|>\n"
            }
            if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        case .llama3:
            out += "<|begin_of_text|>"
            for (i, m) in messages.enumerated() {
                out += "<|start_header_id|>\(m.role)<|end_header_id|>\n\n"
                if continueFinalMessage && i == messages.count - 1 { return out + m.content }
                out += m.content.trimmingWhitespace() + "<|eot_id|>"
            }
            if addGenerationPrompt { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        }
        return out
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
