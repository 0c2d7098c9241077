import BanyanGeneration
import Foundation

/// Fitting a PRM head on labelled step features, in process, and measuring it.
public enum PRMTraining {
    public struct Settings: Sendable {
        /// Hidden units of a two-layer MLP head (0: a linear head).
        public var hiddenUnits = 0
        public var epochs = 200
        public var learningRate: Float = 0.01
        /// L2 penalty on the weights (not the biases).
        public var l2: Float = 1e-3
        public var seed: UInt64 = 0
        public init() {}
    }

    /// Fits a head to `x` (rows of features) and `y` (0/1 labels) with Adam on the logistic loss: full
    /// batch for a linear head, mini-batches of 256 for an MLP.
    public static func fit(_ x: [[Float]], _ y: [Float], settings: Settings, metadata: [String: String] = [:]) -> PRMHead {
        precondition(!x.isEmpty && x.count == y.count, "no training rows")
        let d = x[0].count, n = x.count
        // Standardize each feature over the training rows.
        var mean = [Float](repeating: 0, count: d), invStd = [Float](repeating: 1, count: d)
        for row in x { for i in 0..<d { mean[i] += row[i] } }
        for i in 0..<d { mean[i] /= Float(n) }
        var variance = [Float](repeating: 0, count: d)
        for row in x { for i in 0..<d { let c = row[i] - mean[i]; variance[i] += c * c } }
        for i in 0..<d { invStd[i] = 1 / max(1e-6, (variance[i] / Float(n)).squareRoot()) }
        let z = x.map { row in (0..<d).map { (row[$0] - mean[$0]) * invStd[$0] } }

        let h = settings.hiddenUnits
        var random = SeededRandom(seed: settings.seed)
        // Parameters in one vector: [w1 (h×d), b1 (h)] then [w (h or d), b].
        let inputs = h > 0 ? h : d
        let hiddenCount = h > 0 ? h * d + h : 0
        var theta = [Float](repeating: 0, count: hiddenCount + inputs + 1)
        if h > 0 {
            let s = (2 / Float(d)).squareRoot()
            for i in 0..<(h * d) { theta[i] = s * random.normal() }
            let s2 = (1 / Float(h)).squareRoot()
            for i in 0..<h { theta[hiddenCount + i] = s2 * random.normal() }
        }
        var m = [Float](repeating: 0, count: theta.count), v = m
        let batch = h > 0 ? min(256, n) : n
        var order = Array(0..<n)
        var t: Float = 0
        var activations = [Float](repeating: 0, count: h)
        for _ in 0..<settings.epochs {
            if h > 0 { order.shuffle(using: &random) }
            for start in stride(from: 0, to: n, by: batch) {
                let rows = order[start..<min(start + batch, n)]
                var grad = [Float](repeating: 0, count: theta.count)
                for r in rows {
                    let features = z[r]
                    var out = theta[theta.count - 1]
                    if h > 0 {
                        for u in 0..<h {
                            var a = theta[h * d + u]
                            let base = u * d
                            for i in 0..<d { a += theta[base + i] * features[i] }
                            activations[u] = max(0, a)
                            out += theta[hiddenCount + u] * activations[u]
                        }
                    } else {
                        for i in 0..<d { out += theta[i] * features[i] }
                    }
                    let p = 1 / (1 + expf(-out))
                    let e = p - y[r]
                    grad[theta.count - 1] += e
                    if h > 0 {
                        for u in 0..<h where activations[u] > 0 {
                            grad[hiddenCount + u] += e * activations[u]
                            let back = e * theta[hiddenCount + u]
                            grad[h * d + u] += back
                            let base = u * d
                            for i in 0..<d { grad[base + i] += back * features[i] }
                        }
                    } else {
                        for i in 0..<d { grad[i] += e * features[i] }
                    }
                }
                let scale = 1 / Float(rows.count)
                t += 1
                let (b1, b2): (Float, Float) = (0.9, 0.999)
                let c1 = 1 - powf(b1, t), c2 = 1 - powf(b2, t)
                for i in theta.indices {
                    var g = grad[i] * scale
                    let isBias = i == theta.count - 1 || (h > 0 && i >= h * d && i < hiddenCount)
                    if !isBias { g += settings.l2 * theta[i] }
                    m[i] = b1 * m[i] + (1 - b1) * g
                    v[i] = b2 * v[i] + (1 - b2) * g * g
                    theta[i] -= settings.learningRate * (m[i] / c1) / ((v[i] / c2).squareRoot() + 1e-8)
                }
            }
        }
        if h > 0 {
            return PRMHead(mean: mean, invStd: invStd, hiddenWeight: Array(theta[0..<(h * d)]), hiddenBias: Array(theta[(h * d)..<hiddenCount]),
                           weight: Array(theta[hiddenCount..<(hiddenCount + h)]), bias: theta[theta.count - 1], metadata: metadata)
        }
        return PRMHead(mean: mean, invStd: invStd, weight: Array(theta[0..<d]), bias: theta[d], metadata: metadata)
    }

    /// Area under the ROC curve: the chance a random positive outscores a random negative (ties: half).
    public static func auroc(_ scores: [Double], _ labels: [Bool]) -> Double? {
        let positives = labels.filter { $0 }.count, negatives = labels.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0, i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i...j where labels[order[k]] { rankSum += rank }
            i = j + 1
        }
        return (rankSum - Double(positives * (positives + 1)) / 2) / Double(positives * negatives)
    }

    /// Expected calibration error over equal-width probability bins, and each bin's (mean predicted,
    /// fraction right, count).
    public static func calibration(_ p: [Double], _ labels: [Bool], bins: Int = 10)
        -> (error: Double, bins: [(predicted: Double, observed: Double, count: Int)]) {
        var sums = [Double](repeating: 0, count: bins), hits = sums, counts = [Int](repeating: 0, count: bins)
        for (q, l) in zip(p, labels) {
            let b = min(bins - 1, Int(q * Double(bins)))
            sums[b] += q
            hits[b] += l ? 1 : 0
            counts[b] += 1
        }
        var error = 0.0
        var out: [(Double, Double, Int)] = []
        for b in 0..<bins where counts[b] > 0 {
            let predicted = sums[b] / Double(counts[b]), observed = hits[b] / Double(counts[b])
            error += Double(counts[b]) / Double(max(1, p.count)) * abs(predicted - observed)
            out.append((predicted, observed, counts[b]))
        }
        return (error, out)
    }
}

extension SeededRandom {
    /// A standard normal draw (Box–Muller), for weight initialisation.
    mutating func normal() -> Float {
        let u1 = max(1e-12, Double(next() >> 11) / Double(1 << 53)), u2 = Double(next() >> 11) / Double(1 << 53)
        return Float((-2 * Foundation.log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}
