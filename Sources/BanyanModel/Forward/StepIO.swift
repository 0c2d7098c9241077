import BanyanKV

/// What one sequence contributes to an engine step.
public struct StepInput: Sendable {
    public enum Outputs: Sendable { case none, last, all }
    public var sequence: SequenceID
    /// Tokens appended to the sequence in this step (one for decoding, many for prefill / extend).
    public var tokens: [Int32]
    /// Which of the new positions return logits and hidden states.
    public var outputs: Outputs

    public init(sequence: SequenceID, tokens: [Int32], outputs: Outputs = .last) {
        self.sequence = sequence
        self.tokens = tokens
        self.outputs = outputs
    }

    /// The new positions (0-based within this input) that return logits.
    var wanted: Range<Int> {
        switch outputs {
        case .none: return 0..<0
        case .last: return (tokens.count - 1)..<tokens.count
        case .all: return 0..<tokens.count
        }
    }
}

/// Per-sequence results of a step: one row per requested position.
public struct StepOutput: Sendable {
    public let sequence: SequenceID
    public let rows: Int
    /// `rows × vocabularySize` logits.
    public let logits: [Float]
    /// `rows × embeddingWidth` final hidden states (after the output norm), what a PRM head reads.
    public let hidden: [Float]
    /// `rows × (featureLayers.count × embeddingWidth)`: each of the engine's `featureLayers` outputs
    /// (the residual stream after that layer, RMS-normalized without a weight), layer after layer per row;
    /// empty when the engine names no feature layers.
    public let layerHidden: [Float]
    public let vocabularySize: Int

    /// Logits of row `r` (the last requested row by default).
    public func logitsRow(_ r: Int? = nil) -> ArraySlice<Float> {
        let row = r ?? rows - 1
        return logits[(row * vocabularySize)..<((row + 1) * vocabularySize)]
    }
}

/// Why a step could not run. Nothing changed in the cache when one of these is thrown.
public enum ModelRunError: Error, Equatable, CustomStringConvertible {
    case emptyInput(Int)
    case tokenOutOfRange(Int32, vocabularySize: Int)
    case contextExceeded(needed: Int, context: Int)
    case duplicateSequence(Int)
    case noSuchLayer(Int, layers: Int)

    public var description: String {
        switch self {
        case .emptyInput(let s): return "sequence \(s) was given no tokens"
        case .tokenOutOfRange(let t, let v): return "token id \(t) is outside the vocabulary (0..<\(v))"
        case .contextExceeded(let n, let ctx): return "\(n) tokens exceed the model's context of \(ctx)"
        case .duplicateSequence(let s): return "sequence \(s) appears twice in one step; give it all its tokens in one input"
        case .noSuchLayer(let l, let n): return "layer \(l) does not exist: this model's layers are 0..<\(n)"
        }
    }
}
