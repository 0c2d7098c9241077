import BanyanWeights
import Foundation

public enum PRMHeadError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case missingTensor(path: String, name: String)
    case badShape(path: String, name: String, expected: [Int], actual: [Int])
    case wrongModel(path: String, trainedOn: String, loaded: String)
    case wrongWidth(path: String, head: Int, model: Int)

    public var description: String {
        switch self {
        case .unreadable(let p, let r): return "cannot read the PRM head \(p): \(r)"
        case .missingTensor(let p, let n): return "\(p) is not a PRM head: it has no tensor '\(n)'"
        case .badShape(let p, let n, let e, let a): return "\(p): tensor '\(n)' has shape \(a), expected \(e)"
        case .wrongModel(let p, let t, let l):
            return "the PRM head \(p) was trained on the model with SHA-256 \(t.prefix(16))…, but the loaded model is \(l.prefix(16))…; "
                + "train a head for this model with `banyan train-prm`"
        case .wrongWidth(let p, let h, let m):
            return "the PRM head \(p) reads \(h) features but this model gives \(m); it belongs to another model"
        }
    }
}

/// A learned PRM: a small head on the policy's own hidden states (see `StepFeatures`: the final one, and
/// the outputs of the layers its metadata names), with a logistic output: P(step is right). Scoring costs no extra forward pass. Linear, or a two-layer MLP
/// when `hiddenWeight` is present. Stored as safetensors with metadata naming the model (its SHA-256)
/// and the layer it reads.
public struct PRMHead: Sendable, Equatable {
    /// Standardization: x' = (x - mean) * invStd.
    public var mean: [Float]
    public var invStd: [Float]
    /// Optional hidden layer: `hiddenUnits × dimension`, ReLU.
    public var hiddenWeight: [Float]?
    public var hiddenBias: [Float]?
    /// Output layer over the standardized features (linear) or the hidden units (MLP).
    public var weight: [Float]
    public var bias: Float
    public var metadata: [String: String]

    public var dimension: Int { mean.count }
    /// Layers whose outputs the head reads beside the final hidden state (metadata `feature_layers`).
    public var featureLayers: [Int] { PRMHead.layers(metadata["feature_layers"]) }

    /// "10,20" → [10, 20]; nil or empty → [].
    public static func layers(_ text: String?) -> [Int] {
        (text ?? "").split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }
    public var hiddenUnits: Int { hiddenBias?.count ?? 0 }

    public init(mean: [Float], invStd: [Float], hiddenWeight: [Float]? = nil, hiddenBias: [Float]? = nil, weight: [Float], bias: Float,
                metadata: [String: String] = [:]) {
        self.mean = mean
        self.invStd = invStd
        self.hiddenWeight = hiddenWeight
        self.hiddenBias = hiddenBias
        self.weight = weight
        self.bias = bias
        self.metadata = metadata
    }

    /// The logit for a feature vector.
    public func logit(_ x: [Float]) -> Float {
        precondition(x.count == dimension, "feature vector of \(x.count), head reads \(dimension)")
        var z = [Float](repeating: 0, count: dimension)
        for i in 0..<dimension { z[i] = (x[i] - mean[i]) * invStd[i] }
        guard let w1 = hiddenWeight, let b1 = hiddenBias else { return bias + dot(weight, z) }
        var out = bias
        for u in 0..<b1.count {
            var a = b1[u]
            for i in 0..<dimension { a += w1[u * dimension + i] * z[i] }
            out += weight[u] * max(0, a)
        }
        return out
    }

    public func probability(_ f: StepFeatures) -> Double { probability(vector: f.vector) }

    /// P(right) for a flat feature vector (`StepFeatures.vector`).
    public func probability(vector x: [Float]) -> Double { 1 / (1 + Foundation.exp(-Double(logit(x)))) }

    private func dot(_ a: [Float], _ b: [Float]) -> Float {
        var s: Float = 0
        for i in a.indices { s += a[i] * b[i] }
        return s
    }

    // MARK: - Files

    public func write(to path: String) throws {
        var tensors: [(String, [Float], [Int])] = [("mean", mean, [dimension]), ("inv_std", invStd, [dimension]),
                                                   ("weight", weight, [weight.count]), ("bias", [bias], [1])]
        if let w1 = hiddenWeight, let b1 = hiddenBias {
            tensors += [("hidden.weight", w1, [b1.count, dimension]), ("hidden.bias", b1, [b1.count])]
        }
        var header: [String: Any] = ["__metadata__": metadata]
        var data = Data()
        for (name, values, shape) in tensors {
            header[name] = ["dtype": "F32", "shape": shape, "data_offsets": [data.count, data.count + 4 * values.count]]
            values.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var file = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        file.append(data)
        try file.write(to: URL(fileURLWithPath: path))
    }

    /// Loads a head; with `modelSHA256`, refuses a head trained on another model.
    public static func load(path: String, modelSHA256: String? = nil, width: Int? = nil) throws -> PRMHead {
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: path) } catch { throw PRMHeadError.unreadable(path: path, reason: "\(error)") }
        func tensor(_ name: String, _ shape: [Int]?) throws -> [Float] {
            guard let e = file.entries[name] else { throw PRMHeadError.missingTensor(path: path, name: name) }
            if let shape, e.shape != shape { throw PRMHeadError.badShape(path: path, name: name, expected: shape, actual: e.shape) }
            guard e.dtype == .f32 else { throw PRMHeadError.unreadable(path: path, reason: "tensor \(name) is not F32") }
            return try file.floats(e)
        }
        let mean = try tensor("mean", nil)
        let d = mean.count
        if let width {
            let expected = StepFeatures.dimension(width: width * (1 + layers(file.metadata["feature_layers"]).count))
            if expected != d { throw PRMHeadError.wrongWidth(path: path, head: d, model: expected) }
        }
        if let modelSHA256, let trained = file.metadata["model_sha256"], trained != modelSHA256 {
            throw PRMHeadError.wrongModel(path: path, trainedOn: trained, loaded: modelSHA256)
        }
        var head = PRMHead(mean: mean, invStd: try tensor("inv_std", [d]), weight: [], bias: 0, metadata: file.metadata)
        if file.entries["hidden.bias"] != nil {
            let b1 = try tensor("hidden.bias", nil)
            head.hiddenBias = b1
            head.hiddenWeight = try tensor("hidden.weight", [b1.count, d])
            head.weight = try tensor("weight", [b1.count])
        } else {
            head.weight = try tensor("weight", [d])
        }
        head.bias = try tensor("bias", [1])[0]
        return head
    }
}

/// A learned PRM head as a step scorer: P(right) per step from the features search captured.
public struct HeadScorer: StepScorer {
    public let name = "head"
    public let head: PRMHead
    public func featureTracker() -> StepFeatureTracker? { StepFeatureTracker() }
    public init(head: PRMHead) { self.head = head }
    public func scores(_ steps: [SolutionStep], text: String, finished: Bool) -> [Double] {
        steps.map { $0.features.map(head.probability) ?? 0.5 }
    }
}
