import BanyanModel
import Foundation

/// Perplexity by llama.cpp's protocol: the token stream is cut into non-overlapping chunks of
/// `context` tokens, each evaluated from an empty cache, and only the second half of each chunk is
/// scored (every scored token has at least context/2 tokens before it).
public struct PerplexityResult: Sendable {
    public var perplexity: Double
    public var chunks: Int
    public var scoredTokens: Int
    public var negativeLogLikelihood: Double
    /// Perplexity after each chunk, as llama.cpp prints it.
    public var runningPerplexity: [Double]
    public var seconds: Double
}

public enum PerplexityError: Error, CustomStringConvertible {
    case tooFewTokens(tokens: Int, needed: Int)
    public var description: String {
        switch self {
        case .tooFewTokens(let t, let n): return "the text has \(t) tokens; perplexity needs at least \(n) (twice the context)"
        }
    }
}

public enum Perplexity {
    public static func compute(engine: Engine, tokens: [Int32], context: Int, bos: Int32? = nil,
                               progress: (Int, Int, Double) -> Void = { _, _, _ in }) throws -> PerplexityResult {
        let chunks = tokens.count / context
        guard chunks >= 1, context >= 2 else { throw PerplexityError.tooFewTokens(tokens: tokens.count, needed: 2 * context) }
        let start = Date()
        let first = context / 2
        var nll = 0.0
        var count = 0
        var running: [Double] = []
        for c in 0..<chunks {
            var chunk = Array(tokens[(c * context)..<((c + 1) * context)])
            if let bos { chunk[0] = bos }
            let seq = engine.createSequence()
            defer { try? engine.free(seq) }
            let out = try engine.step([StepInput(sequence: seq, tokens: chunk, outputs: .all)])[0]
            for j in first..<(context - 1) {
                let row = out.logitsRow(j)
                let m = row.max()!
                var sum = 0.0
                for v in row { sum += exp(Double(v - m)) }
                let logp = Double(row[row.startIndex + Int(tokens[c * context + j + 1])] - m) - log(sum)
                nll -= logp
                count += 1
            }
            running.append(exp(nll / Double(count)))
            progress(c + 1, chunks, running.last!)
        }
        return PerplexityResult(perplexity: exp(nll / Double(count)), chunks: chunks, scoredTokens: count,
                                negativeLogLikelihood: nll, runningPerplexity: running, seconds: Date().timeIntervalSince(start))
    }
}
