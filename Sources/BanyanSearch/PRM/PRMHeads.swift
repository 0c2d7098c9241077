import BanyanModel
import BanyanWeights
import Foundation

/// Finding PRM heads and the identity of the model they must match.
public enum PRMHeads {
    /// The head shipped for the default model (trained by the command in the README).
    public static var defaultPath: String? { Bundle.module.path(forResource: "default-head", ofType: "safetensors", inDirectory: "Resources") }

    /// Loads `path` (the default head when nil), refusing a head trained on another model.
    public static func load(_ path: String?, model: LlamaModel) throws -> PRMHead {
        guard let path = path ?? defaultPath else { throw SearchConfigurationError.noDefaultHead }
        return try PRMHead.load(path: path, modelSHA256: try modelSHA256(model.sourceDescription),
                                width: model.config.embeddingWidth)
    }

    /// SHA-256 of the model's weights: the GGUF file, or a checkpoint directory's safetensors files in name order.
    public static func modelSHA256(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw SearchConfigurationError.unreadable(path) }
        guard isDirectory.boolValue else { return SHA256.hex(of: try MappedFile(path: path)) }
        var hasher = SHA256()
        let files = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".safetensors") }.sorted()
        for f in files {
            let mapped = try MappedFile(path: (path as NSString).appendingPathComponent(f))
            hasher.update(file: mapped)
        }
        return hasher.finalize()
    }
}
