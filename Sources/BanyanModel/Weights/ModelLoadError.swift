import BanyanWeights

/// Why a model's weights could not be bound.
public enum ModelLoadError: Error, Equatable, CustomStringConvertible {
    case missingTensor(String)
    case wrongShape(tensor: String, expected: [Int], actual: [Int])
    case unsupportedType(tensor: String, type: GGMLType)
    case notAModel(path: String, detail: String)

    public var description: String {
        switch self {
        case .missingTensor(let n): return "the model has no tensor '\(n)'"
        case .wrongShape(let n, let e, let a): return "tensor '\(n)' has shape \(a), expected \(e)"
        case .unsupportedType(let n, let t):
            return "tensor '\(n)' has type \(t), which Banyan cannot compute with (supported: F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q4_K Q5_K Q6_K)"
        case .notAModel(let p, let d): return "\(p): \(d)"
        }
    }
}
