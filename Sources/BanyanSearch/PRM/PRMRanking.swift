import BanyanGeneration
import Foundation

/// Training a head to rank the candidates of one problem, not only to label steps: what Best-of-N needs.
///
/// A pointwise loss on pooled steps learns mostly how hard a problem is (every sample of an easy problem
/// is right); selection needs the order *within* a problem. Beside the pointwise logistic loss on every
/// step, a pairwise logistic loss (as in PQM and V-STaR's DPO-style verifier) takes every pair of one
/// problem's solutions with different outcomes and pushes the right one's answer-step logit above the
/// wrong one's. The ranking term stretches the logits, so a Platt fit (a·logit + b, on the training
/// steps) makes the probability calibrated again.
public enum PRMRanking {
    /// Every (right, wrong) pair of solutions of the same problem, as indices of their last-step rows in
    /// the flattened step rows of `examples`.
    public static func pairs(_ examples: [PRMExample]) -> [(right: Int, wrong: Int)] {
        var lastRow: [Int] = [], row = 0
        for e in examples {
            row += e.features.count
            lastRow.append(row - 1)
        }
        var byProblem: [Int: [Int]] = [:]
        for (i, e) in examples.enumerated() where !e.features.isEmpty { byProblem[e.problem, default: []].append(i) }
        var out: [(Int, Int)] = []
        for members in byProblem.values.sorted(by: { $0[0] < $1[0] }) {
            for i in members where examples[i].correct {
                for j in members where !examples[j].correct { out.append((lastRow[i], lastRow[j])) }
            }
        }
        return out
    }

    /// A linear head fitted by full-batch Adam on the mean pointwise logistic loss plus `weight` times the
    /// mean pairwise logistic loss over `pairs`, then Platt-calibrated on the pointwise labels.
    public static func fit(_ x: [[Float]], _ y: [Float], pairs: [(right: Int, wrong: Int)], weight: Float,
                           settings: PRMTraining.Settings, metadata: [String: String] = [:]) -> PRMHead {
        precondition(!x.isEmpty && x.count == y.count, "no training rows")
        let d = x[0].count, n = x.count
        var mean = [Float](repeating: 0, count: d), invStd = [Float](repeating: 1, count: d)
        for row in x { for i in 0..<d { mean[i] += row[i] } }
        for i in 0..<d { mean[i] /= Float(n) }
        var variance = [Float](repeating: 0, count: d)
        for row in x { for i in 0..<d { let c = row[i] - mean[i]; variance[i] += c * c } }
        for i in 0..<d { invStd[i] = 1 / max(1e-6, (variance[i] / Float(n)).squareRoot()) }
        let z = x.map { row in (0..<d).map { (row[$0] - mean[$0]) * invStd[$0] } }

        var theta = [Float](repeating: 0, count: d + 1)
        var m = theta, v = theta
        var out = [Float](repeating: 0, count: n), e = out
        let pairScale = pairs.isEmpty ? 0 : weight / Float(pairs.count)
        for t in 1...settings.epochs {
            for r in 0..<n {
                var s = theta[d]
                let row = z[r]
                for i in 0..<d { s += theta[i] * row[i] }
                out[r] = s
                e[r] = (1 / (1 + expf(-s)) - y[r]) / Float(n)
            }
            for (a, b) in pairs {
                // d/d(margin) of log(1 + exp(-margin)), margin = out[a] - out[b].
                let g = -1 / (1 + expf(out[a] - out[b])) * pairScale
                e[a] += g
                e[b] -= g
            }
            var grad = [Float](repeating: 0, count: d + 1)
            for r in 0..<n where e[r] != 0 {
                let row = z[r], er = e[r]
                for i in 0..<d { grad[i] += er * row[i] }
                grad[d] += er
            }
            let c1 = 1 - powf(0.9, Float(t)), c2 = 1 - powf(0.999, Float(t))
            for i in theta.indices {
                let g = grad[i] + (i < d ? settings.l2 * theta[i] : 0)
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                theta[i] -= settings.learningRate * (m[i] / c1) / ((v[i] / c2).squareRoot() + 1e-8)
            }
        }
        var head = PRMHead(mean: mean, invStd: invStd, weight: Array(theta[0..<d]), bias: theta[d], metadata: metadata)
        let (a, b) = platt(x.map(head.logit), y)
        head.weight = head.weight.map { $0 * a }
        head.bias = head.bias * a + b
        head.metadata["platt"] = "\(a) \(b)"
        head.metadata["ranking_weight"] = "\(weight)"
        return head
    }

    /// Platt scaling: a, b minimizing the logistic loss of σ(a·s + b) against the labels (Newton's method).
    public static func platt(_ scores: [Float], _ labels: [Float]) -> (a: Float, b: Float) {
        var a = 1.0, b = 0.0
        for _ in 0..<50 {
            var ga = 0.0, gb = 0.0, haa = 1e-9, hab = 0.0, hbb = 1e-9
            for (s, y) in zip(scores, labels) {
                let x = Double(s), p = 1 / (1 + Foundation.exp(-(a * x + b))), w = p * (1 - p)
                ga += (p - Double(y)) * x
                gb += p - Double(y)
                haa += w * x * x
                hab += w * x
                hbb += w
            }
            let det = haa * hbb - hab * hab
            guard det > 1e-12 else { break }
            let da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det
            a -= da
            b -= db
            if abs(da) + abs(db) < 1e-9 { break }
        }
        return (Float(a), Float(b))
    }
}
