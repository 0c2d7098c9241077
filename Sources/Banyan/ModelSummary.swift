import BanyanModel
import BanyanWeights
import Foundation

/// What `banyan inspect` reports about a model file or checkpoint.
public struct ModelSummary {
    public let path: String
    public let format: String
    public let config: LlamaConfig
    public let tensors: [TensorView]
    /// Metadata rendered as short strings (long arrays summarized).
    public let metadata: [(key: String, value: String)]

    public init(path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            let checkpoint = try SafetensorsCheckpoint(directory: path)
            format = "safetensors"
            config = try LlamaConfig(hf: checkpoint.config)
            tensors = checkpoint.tensorNames.compactMap(checkpoint.tensor(named:))
            let data = try Data(contentsOf: URL(fileURLWithPath: path + "/config.json"))
            let object = (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
            metadata = object.keys.sorted().map { ($0, "\(object[$0]!)") }
        } else {
            let gguf = try GGUFFile(path: path)
            format = "GGUF v\(gguf.version)"
            config = try LlamaConfig(gguf: gguf)
            tensors = gguf.tensors
            metadata = gguf.metadata.map { ($0.key, ModelSummary.render($0.value)) }
        }
    }

    static func render(_ value: GGUFValue) -> String {
        switch value {
        case .string(let s): return s.count > 120 ? "\(s.prefix(117).debugDescription)… (\(s.count) chars)" : s.debugDescription
        case .array(let a):
            let head = (0..<min(a.count, 6)).map { render(a.element(at: $0)) }.joined(separator: ", ")
            return "[\(a.elementType)] × \(a.count): [\(head)\(a.count > 6 ? ", …" : "")]"
        case .float32(let f): return "\(f)"
        case .float64(let d): return "\(d)"
        case .bool(let b): return "\(b)"
        default: return value.int.map { "\($0)" } ?? "?"
        }
    }

    public var tensorTypeCounts: [String: Int] {
        tensors.reduce(into: [:]) { $0[$1.type.name, default: 0] += 1 }
    }

    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.elementCount } }

    public func jsonObject(includeTensors: Bool) -> [String: Any] {
        var o: [String: Any] = [
            "path": path, "format": format, "architecture": config.architecture,
            "n_layer": config.layerCount, "n_embd": config.embeddingWidth, "n_head": config.headCount,
            "n_head_kv": config.kvHeadCount, "head_dim": config.headDim, "n_ff": config.feedForwardWidth,
            "n_vocab": config.vocabularySize, "context_length": config.contextLength,
            "rope_freq_base": Double(config.ropeFreqBase), "rms_epsilon": Double(config.rmsEpsilon),
            "tensor_types": tensorTypeCounts, "tensor_count": tensors.count, "parameters": parameterCount,
            "metadata": Dictionary(metadata.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }),
        ]
        if includeTensors {
            o["tensors"] = tensors.map { ["name": $0.name, "type": $0.type.name, "shape": $0.shape, "offset": $0.offset, "bytes": $0.byteCount] as [String: Any] }
        }
        return o
    }

    public func text(includeTensors: Bool) -> String {
        var lines = [
            "model          \(path)",
            "format         \(format)",
            "architecture   \(config.architecture)",
            "layers         \(config.layerCount)",
            "width          \(config.embeddingWidth)",
            "heads          \(config.headCount) (KV heads \(config.kvHeadCount), head size \(config.headDim))",
            "feed-forward   \(config.feedForwardWidth)",
            "vocabulary     \(config.vocabularySize)",
            "context        \(config.contextLength)",
            "RoPE base      \(config.ropeFreqBase)",
            "RMS epsilon    \(config.rmsEpsilon)",
            "parameters     \(parameterCount)",
            "tensors        \(tensors.count): " + tensorTypeCounts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "),
            "",
            "metadata:",
        ]
        lines += metadata.map { "  \($0.key) = \($0.value)" }
        if includeTensors {
            lines.append("")
            lines.append("tensors:")
            lines += tensors.map { "  \($0.name)  \($0.type)  \($0.shape)  @\($0.offset)  \($0.byteCount) B" }
        }
        return lines.joined(separator: "\n")
    }
}
