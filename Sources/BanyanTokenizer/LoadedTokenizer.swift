import BanyanTokenizer
import BanyanWeights
import Foundation

/// The tokenizer and chat template of a model file or checkpoint directory.
public struct LoadedTokenizer: Sendable {
    public let tokenizer: Tokenizer
    public let chatTemplate: ChatTemplate?

    public init(path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            let json = path + "/tokenizer.json"
            guard FileManager.default.fileExists(atPath: json) else { throw SafetensorsError.missingFile(path: json) }
            let tokenizer = try Tokenizer(tokenizerJSON: json)
            let config = path + "/tokenizer_config.json"
            let template = (try? Data(contentsOf: URL(fileURLWithPath: config)))
                .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }?["chat_template"] as? String
            self.init(tokenizer: tokenizer, chatTemplate: template.flatMap(ChatTemplate.init(jinja:)))
        } else {
            try self.init(gguf: GGUFFile(path: path))
        }
    }

    public init(gguf: GGUFFile) throws {
        self.init(tokenizer: try Tokenizer(gguf: gguf),
                  chatTemplate: gguf["tokenizer.chat_template"]?.string.flatMap(ChatTemplate.init(jinja:)))
    }

    public init(tokenizer: Tokenizer, chatTemplate: ChatTemplate?) {
        self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate
    }
}
