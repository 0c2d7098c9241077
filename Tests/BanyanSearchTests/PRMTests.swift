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

@Suite struct PRMRankingTests {
    static func example(_ problem: Int, _ rows: [[Float]], correct: Bool) -> PRMExample {
        PRMExample(problem: problem, features: rows, exact: rows.map { _ in correct }, correct: correct,
                   checker: rows.map { _ in true }, meanLogProbability: rows.map { _ in 0 })
    }

    @Test func pairsAreRightAgainstWrongWithinAProblem() {
        let e = [Self.example(0, [[0], [1]], correct: true), Self.example(0, [[2]], correct: false),
                 Self.example(1, [[3]], correct: false), Self.example(0, [[4], [5]], correct: false), Self.example(1, [[6]], correct: true)]
        // Last-step rows: 1, 2, 3, 5, 6. Problem 0: right {1} against wrong {2, 5}; problem 1: right {6} against wrong {3}.
        let pairs = PRMRanking.pairs(e).map { [$0.right, $0.wrong] }
        #expect(pairs == [[1, 2], [1, 5], [6, 3]])
    }

    @Test func plattRecoversAKnownScale() {
        var random = SeededRandom(seed: 5)
        var s: [Float] = [], y: [Float] = []
        for _ in 0..<4000 {
            let x = Float(Double(random.next() >> 11) / Double(1 << 53)) * 8 - 4
            let p = 1 / (1 + exp(-(0.5 * Double(x) - 1)))
            s.append(x)
            y.append(Double(random.next() >> 11) / Double(1 << 53) < p ? 1 : 0)
        }
        let (a, b) = PRMRanking.platt(s, y)
        #expect(abs(a - 0.5) < 0.1 && abs(b + 1) < 0.15, "a \(a), b \(b)")
    }

    /// Feature 0 is the solution's own quality; feature 1 says how easy the problem is, with per-solution
    /// noise. Ease decides most pooled labels, so a pooled loss leans on feature 1 and, within a problem,
    /// ranks partly by its noise; the ranking term learns that within a problem only feature 0 counts.
    @Test func theRankingTermPicksBetterWithinProblems() {
        var random = SeededRandom(seed: 8)
        func u() -> Float { Float(Double(random.next() >> 11) / Double(1 << 53)) * 2 - 1 }
        func examples(_ problems: Range<Int>) -> [PRMExample] {
            problems.flatMap { p -> [PRMExample] in
                let ease = u()
                return (0..<8).map { _ in
                    let quality = u()
                    let right = 2.5 * ease + quality > 0
                    return Self.example(p, [[quality, ease + 0.5 * u()]], correct: right)
                }
            }
        }
        let train = examples(0..<300), test = examples(300..<500)
        var settings = PRMTraining.Settings()
        settings.epochs = 300
        settings.learningRate = 0.05
        let x = train.flatMap(\.features), y = PRMLabelKind.outcome.targets(train)!
        let pooled = PRMRanking.fit(x, y, pairs: [], weight: 0, settings: settings)
        let ranked = PRMRanking.fit(x, y, pairs: PRMRanking.pairs(train), weight: 4, settings: settings)
        let a = PRMMeasurement(test, head: pooled), b = PRMMeasurement(test, head: ranked)
        #expect(a.mixedProblems > 50)
        #expect(b.topOneLastMixed > a.topOneLastMixed + 0.05, "ranked \(b.topOneLastMixed) vs pooled \(a.topOneLastMixed)")
        #expect(b.calibrationError < 0.1, "Platt scaling keeps the ranked head calibrated: \(b.calibrationError)")
    }

    @Test func evaluationQuestionsAreDroppedBeforeTheSplit() {
        let problems = (0..<8).map { Problem(id: "\($0)", question: "What is \($0) + 1?", answer: "\($0 + 1)") }
        let examples = (0..<8).map { Self.example($0, [[Float($0)]], correct: true) }
        let set = PRMTrainingSet(sources: [(examples, problems), (examples, problems)], holdout: 0.25,
                                 excluding: [PRMTrainingSet.normalized("what is 2  + 1?")])
        #expect(set.excluded == 2)
        #expect(set.train.count == 10 && set.test.count == 4)
        #expect(Set(set.train.map(\.problem)) == [0, 1, 3, 4, 5, 8, 9, 11, 12, 13], "the second set's problems are offset by 8")
    }
}
