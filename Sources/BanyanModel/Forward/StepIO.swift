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
///
/// `Engine.step(_:into:)` refills the outputs it is given in place: once their buffers are big enough, a
/// step allocates nothing for its results.
public struct StepOutput: Sendable {
    public private(set) var sequence: SequenceID
    public private(set) var rows: Int
    /// `rows × vocabularySize` logits.
    public private(set) var logits: [Float]
    /// `rows × embeddingWidth` final hidden states (after the output norm), what a PRM head reads.
    public private(set) var hidden: [Float]
    /// `rows × (featureLayers.count × embeddingWidth)`: each of the engine's `featureLayers` outputs
    /// (the residual stream after that layer, RMS-normalized without a weight), layer after layer per row;
    /// empty when the engine names no feature layers.
    public private(set) var layerHidden: [Float]
    public private(set) var vocabularySize: Int

    init(vocabularySize: Int) {
        (sequence, rows, logits, hidden, layerHidden) = (SequenceID(rawValue: -1), 0, [], [], [])
        self.vocabularySize = vocabularySize
    }

    /// Logits of row `r` (the last requested row by default).
    public func logitsRow(_ r: Int? = nil) -> ArraySlice<Float> {
        let row = r ?? rows - 1
        return logits[(row * vocabularySize)..<((row + 1) * vocabularySize)]
    }

    mutating func refill(sequence: SequenceID, rows: Int, logits: UnsafeBufferPointer<Float>, hidden: UnsafeBufferPointer<Float>,
                         layerHidden: UnsafeBufferPointer<Float>, vocabularySize: Int) {
        (self.sequence, self.rows, self.vocabularySize) = (sequence, rows, vocabularySize)
        func copy(_ source: UnsafeBufferPointer<Float>, into array: inout [Float]) {
            array.removeAll(keepingCapacity: true)
            array.append(contentsOf: source)
        }
        copy(logits, into: &self.logits)
        copy(hidden, into: &self.hidden)
        copy(layerHidden, into: &self.layerHidden)
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
