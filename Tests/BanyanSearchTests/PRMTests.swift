import Banyan
import BanyanSearch
import Foundation
import Testing

@Suite struct PRMHeadTests {
    @Test func sha256MatchesTheStandardVectors() throws {
        func hex(_ s: String) -> String {
            var h = SHA256()
            h.update(Array(s.utf8))
            return h.finalize()
        }
        #expect(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // 56 bytes: the padding spills into a second block.
        #expect(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // Fed in pieces of every size: the same digest.
        var pieces = SHA256()
        let text = Array(String(repeating: "banyan", count: 50).utf8)
        var i = 0, k = 1
        while i < text.count { pieces.update(Array(text[i..<min(i + k, text.count)])); i += k; k = k % 70 + 1 }
        var whole = SHA256()
        whole.update(text)
        #expect(pieces.finalize() == whole.finalize())
    }

    @Test func aurocAndCalibration() throws {
        #expect(PRMTraining.auroc([0.1, 0.2, 0.8, 0.9], [false, false, true, true]) == 1)
        #expect(PRMTraining.auroc([0.9, 0.8, 0.2, 0.1], [false, false, true, true]) == 0)
        #expect(PRMTraining.auroc([0.5, 0.5, 0.5, 0.5], [false, true, false, true]) == 0.5)
        #expect(PRMTraining.auroc([0.3, 0.7], [true, true]) == nil, "needs both classes")
        let c = PRMTraining.calibration([0.05, 0.05, 0.95, 0.95], [false, false, true, true])
        #expect(abs(c.error - 0.05) < 1e-9)
    }

    /// Labels that depend on two of twenty features: both head kinds learn them from scratch.
    @Test(arguments: [0, 8]) func fitsASeparableProblem(hidden: Int) throws {
        var random = SeededRandom(seed: 3)
        func uniform() -> Float { Float(Double(random.next() >> 11) / Double(1 << 53)) * 2 - 1 }
        let x = (0..<400).map { _ in (0..<20).map { _ in uniform() } }
        let y: [Float] = x.map { $0[3] + 0.5 * $0[7] > 0 ? 1 : 0 }
        var settings = PRMTraining.Settings()
        settings.hiddenUnits = hidden
        settings.epochs = hidden > 0 ? 60 : 300
        settings.learningRate = 0.05
        let head = PRMTraining.fit(x, y, settings: settings, metadata: ["model_sha256": "abc"])
        let scores = x.map { Double(head.logit($0)) }
        #expect(try #require(PRMTraining.auroc(scores, y.map { $0 > 0.5 })) > 0.97)

        // Written and read back: the same head; a head for another model is refused with a clear error.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("head-\(hidden).safetensors").path
        try head.write(to: path)
        let back = try PRMHead.load(path: path, modelSHA256: "abc")
        #expect(back == head)
        #expect(throws: PRMHeadError.self) { try PRMHead.load(path: path, modelSHA256: "def") }
        #expect(throws: PRMHeadError.self) { try PRMHead.load(path: path, width: 576) }
    }
}
