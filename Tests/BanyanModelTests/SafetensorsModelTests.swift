import Banyan
import BanyanModel
import BanyanTestSupport
import Foundation
import Testing

/// The default model exported by tools/data/export_safetensors.py (F32, HF names and Q/K layout,
/// config.json, tokenizer.json) must compute what the GGUF computes.
@Suite struct SafetensorsModelTests {
    @Test func safetensorsAndGGUFAgreeOnLogits() throws {
        let dir = NSTemporaryDirectory() + "banyan-export-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tool = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("tools/data/export_safetensors.py").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", tool, try TestModel.path(), dir]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "export failed: tools/setup.sh installs numpy and gguf")

        let gguf = try LlamaModel(path: try TestModel.path())
        let hf = try LlamaModel(path: dir)
        #expect(hf.weights.ropeLayout == .halfSplit && gguf.weights.ropeLayout == .adjacentPairs)
        let hfTokenizer = try LoadedTokenizer(path: dir)
        let text = "<|im_start|>user\nWhat is 12+34?<|im_end|>\n<|im_start|>assistant\nThe sum of 12 and 34 is"
        let tokens = hfTokenizer.tokenizer.encode(text)
        #expect(tokens == (try Tokenizer(gguf: try TestModel.gguf())).encode(text))
        #expect(hfTokenizer.chatTemplate == (try LoadedTokenizer(gguf: try TestModel.gguf())).chatTemplate)
        func logits(_ m: LlamaModel) throws -> [Float] {
            let engine = try Engine(model: m, numerics: .exact)
            let s = engine.createSequence()
            let out = try engine.step([StepInput(sequence: s, tokens: tokens, outputs: .all)])[0]
            return out.logits
        }
        let a = try logits(gguf), b = try logits(hf)
        let range = a.max()! - a.min()!
        let worst = zip(a, b).map { abs($0 - $1) }.max()!
        print("safetensors vs GGUF: max |Δlogit| \(worst), relative to range \(worst / range)")
        #expect(worst / range < 1e-3)
    }
}
