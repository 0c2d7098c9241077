import Banyan
import BanyanModel
import BanyanTestSupport
import Foundation
import Testing

/// A tiny random-weight Llama written as GGUF, checked against a plain double-precision forward pass
/// written out here, step by step, from the paper's equations.
@Suite struct ReferenceForwardTests {
    struct Shape { let layers, width, heads, kvHeads, headDim, ff, vocab: Int; let tied: Bool }

    struct Reference {
        let s: Shape
        let w: [String: [Double]]   // row-major [out][in] for matrices

        func forward(_ tokens: [Int]) -> [[Double]] {
            let e = s.width, hd = s.headDim
            var keys = [[[Double]]](repeating: [], count: s.layers), values = keys
            var logitsAll: [[Double]] = []
            for (p, t) in tokens.enumerated() {
                var x = Array(w["token_embd.weight"]![(t * e)..<((t + 1) * e)])
                for l in 0..<s.layers {
                    let pre = "blk.\(l)."
                    let h = rms(x, w[pre + "attn_norm.weight"]!)
                    var q = matvec(w[pre + "attn_q.weight"]!, h, s.heads * hd)
                    var k = matvec(w[pre + "attn_k.weight"]!, h, s.kvHeads * hd)
                    let v = matvec(w[pre + "attn_v.weight"]!, h, s.kvHeads * hd)
                    rope(&q, heads: s.heads, p); rope(&k, heads: s.kvHeads, p)
                    keys[l].append(k); values[l].append(v)
                    var att = [Double](repeating: 0, count: s.heads * hd)
                    for head in 0..<s.heads {
                        let kv = head / (s.heads / s.kvHeads)
                        var scores = (0...p).map { j in
                            (0..<hd).reduce(0.0) { $0 + q[head * hd + $1] * keys[l][j][kv * hd + $1] } / Double(hd).squareRoot()
                        }
                        let m = scores.max()!
                        scores = scores.map { exp($0 - m) }
                        let z = scores.reduce(0, +)
                        for j in 0...p { for d in 0..<hd { att[head * hd + d] += scores[j] / z * values[l][j][kv * hd + d] } }
                    }
                    let o = matvec(w[pre + "attn_output.weight"]!, att, e)
                    x = zip(x, o).map(+)
                    let h2 = rms(x, w[pre + "ffn_norm.weight"]!)
                    let g = matvec(w[pre + "ffn_gate.weight"]!, h2, s.ff)
                    let u = matvec(w[pre + "ffn_up.weight"]!, h2, s.ff)
                    let a = zip(g, u).map { $0 / (1 + exp(-$0)) * $1 }
                    x = zip(x, matvec(w[pre + "ffn_down.weight"]!, a, e)).map(+)
                }
                let head = w[s.tied ? "token_embd.weight" : "output.weight"]!
                logitsAll.append(matvec(head, rms(x, w["output_norm.weight"]!), s.vocab))
            }
            return logitsAll
        }

        func rms(_ x: [Double], _ g: [Double]) -> [Double] {
            let r = 1 / (x.reduce(0) { $0 + $1 * $1 } / Double(x.count) + 1e-5).squareRoot()
            return zip(x, g).map { $0 * r * $1 }
        }
        func matvec(_ m: [Double], _ x: [Double], _ rows: Int) -> [Double] {
            (0..<rows).map { r in (0..<x.count).reduce(0.0) { $0 + m[r * x.count + $1] * x[$1] } }
        }
        /// Adjacent-pair RoPE (GGUF layout), base 10000.
        func rope(_ v: inout [Double], heads: Int, _ p: Int) {
            let hd = s.headDim
            for h in 0..<heads {
                for i in 0..<(hd / 2) {
                    let theta = Double(p) * pow(10000, -2 * Double(i) / Double(hd))
                    let a = v[h * hd + 2 * i], b = v[h * hd + 2 * i + 1]
                    v[h * hd + 2 * i] = a * cos(theta) - b * sin(theta)
                    v[h * hd + 2 * i + 1] = a * sin(theta) + b * cos(theta)
                }
            }
        }
    }

    /// Writes the model as GGUF F32 and returns it with the reference.
    static func build(_ s: Shape, seed: UInt64) throws -> (LlamaModel, Reference) {
        var rng = SeededRandom(seed: seed)
        var w = GGUFWriter()
        w.set("general.architecture", "llama")
        w.set("llama.block_count", UInt32(s.layers)); w.set("llama.embedding_length", UInt32(s.width))
        w.set("llama.attention.head_count", UInt32(s.heads)); w.set("llama.attention.head_count_kv", UInt32(s.kvHeads))
        w.set("llama.attention.key_length", UInt32(s.headDim)); w.set("llama.feed_forward_length", UInt32(s.ff))
        w.set("llama.vocab_size", UInt32(s.vocab)); w.set("llama.context_length", UInt32(128))
        w.set("llama.rope.freq_base", Float(10000)); w.set("llama.attention.layer_norm_rms_epsilon", Float(1e-5))
        var weights: [String: [Double]] = [:]
        func add(_ name: String, _ inputs: Int, _ outputs: Int, norm: Bool = false) {
            let values: [Float] = (0..<(inputs * outputs)).map { _ in norm ? Float.random(in: 0.8...1.2, using: &rng) : Float.random(in: -0.5...0.5, using: &rng) }
            w.addF32(name, shape: outputs == 1 ? [inputs] : [inputs, outputs], values: values)
            weights[name] = values.map(Double.init)
        }
        add("token_embd.weight", s.width, s.vocab)
        for l in 0..<s.layers {
            let p = "blk.\(l)."
            add(p + "attn_norm.weight", s.width, 1, norm: true)
            add(p + "attn_q.weight", s.width, s.heads * s.headDim)
            add(p + "attn_k.weight", s.width, s.kvHeads * s.headDim)
            add(p + "attn_v.weight", s.width, s.kvHeads * s.headDim)
            add(p + "attn_output.weight", s.heads * s.headDim, s.width)
            add(p + "ffn_norm.weight", s.width, 1, norm: true)
            add(p + "ffn_gate.weight", s.width, s.ff)
            add(p + "ffn_up.weight", s.width, s.ff)
            add(p + "ffn_down.weight", s.ff, s.width)
        }
        add("output_norm.weight", s.width, 1, norm: true)
        if !s.tied { add("output.weight", s.width, s.vocab) }
        let gguf = try GGUFFile(file: MappedFile(bytes: w.bytes()))
        let config = try LlamaConfig(gguf: gguf)
        let model = LlamaModel(config: config, weights: try LlamaWeights(config: config, ropeLayout: .adjacentPairs, lookup: gguf.tensor(named:)),
                               pool: ThreadPool(threads: 2))
        return (model, Reference(s: s, w: weights))
    }

    static func maxRelativeError(_ a: [Float], _ b: [Double]) -> Double {
        let range = (b.max()! - b.min()!)
        return zip(a, b).map { abs(Double($0) - $1) }.max()! / range
    }

    @Test(arguments: [
        Shape(layers: 2, width: 32, heads: 4, kvHeads: 4, headDim: 8, ff: 48, vocab: 50, tied: false),   // no GQA, untied
        Shape(layers: 3, width: 48, heads: 6, kvHeads: 2, headDim: 16, ff: 64, vocab: 40, tied: true),   // GQA 3, head 16, tied
        Shape(layers: 1, width: 64, heads: 2, kvHeads: 1, headDim: 32, ff: 96, vocab: 30, tied: false),  // head size ≠ width/heads
        Shape(layers: 2, width: 128, heads: 4, kvHeads: 2, headDim: 64, ff: 96, vocab: 30, tied: true),  // head 64 (register path)
    ])
    func matchesDoublePrecisionReference(shape: Shape) throws {
        let (model, reference) = try ReferenceForwardTests.build(shape, seed: UInt64(shape.width))
        // 70 tokens: attention crosses two 32-key chunk boundaries.
        let tokens: [Int32] = (0..<70).map { Int32(($0 * 7 + 3) % shape.vocab) }
        let expected = reference.forward(tokens.map(Int.init))
        // All at once (prefill through the batched path) and then token by token (decode path).
        let engine = try Engine(model: model, pageSize: 4, numerics: .exact)  // f32 throughout, to compare with double precision
        let s1 = engine.createSequence()
        let all = try engine.step([StepInput(sequence: s1, tokens: tokens, outputs: .all)])[0]
        for p in 0..<tokens.count {
            #expect(ReferenceForwardTests.maxRelativeError(Array(all.logitsRow(p)), expected[p]) < 1e-4, "prefill row \(p)")
        }
        let s2 = engine.createSequence()
        for (p, t) in tokens.enumerated() {
            let out = try engine.step([StepInput(sequence: s2, tokens: [t])])[0]
            #expect(ReferenceForwardTests.maxRelativeError(Array(out.logitsRow()), expected[p]) < 1e-4, "decode row \(p)")
        }
    }
}
