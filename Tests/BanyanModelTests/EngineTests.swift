import Banyan
import BanyanModel
import BanyanTestSupport
import Testing

/// The engine contract search relies on: a sequence's logits do not depend on how its tokens were
/// split into steps, on forking, on which other sequences share the step, or on the attention path.
@Suite(.serialized) struct EngineTests {
    static func tokens() throws -> [Int32] { try RealModelTests.tokenizer().encode(
        "Once upon a time, there was a little robot who lived in a small town by the sea. Every morning it walked along "
        + "the beach and counted the shells: three white ones, five brown ones and a blue one, which it kept in a jar. "
        + "One day a storm came, and the waves carried the jar away. The robot searched the shore for three days, asking "
        + "the gulls, the crabs and the old fisherman whether anyone had seen a jar full of shells.") }

    @Test(arguments: [KVElementType.f16, .f32])
    func splittingAPromptAcrossStepsGivesBitwiseTheSameLogits(type: KVElementType) throws {
        let m = try RealModelTests.model()
        let toks = try Self.tokens()
        let engine = try Engine(model: m, kvType: type)
        let whole = engine.createSequence()
        let expected = try engine.step([StepInput(sequence: whole, tokens: toks, outputs: .all)])[0]
        for split in [1, 7, 16, 17, 31, 32, 33, toks.count - 1] {
            let s = engine.createSequence()
            let a = try engine.step([StepInput(sequence: s, tokens: Array(toks.prefix(split)), outputs: .all)])[0]
            let b = try engine.step([StepInput(sequence: s, tokens: Array(toks.dropFirst(split)), outputs: .all)])[0]
            #expect(a.logits == Array(expected.logits.prefix(a.logits.count)), "split \(split): first part")
            #expect(b.logits == Array(expected.logits.suffix(b.logits.count)), "split \(split): second part")
            #expect(b.hidden == Array(expected.hidden.suffix(b.hidden.count)), "split \(split): hidden states")
            try engine.free(s)
        }
    }

    /// `step(_:into:)` refills the caller's outputs in place: a decode loop that keeps them gets the same
    /// logits, hidden states and feature states as fresh `step(_:)` calls, in the same buffers every step
    /// (no allocation for results), also when the number of inputs changes between steps.
    @Test func refilledOutputsMatchFreshOnesAndKeepTheirBuffers() throws {
        let m = try RealModelTests.model()
        let toks = Array(try Self.tokens().prefix(24))
        let fresh = try Engine(model: m), reused = try Engine(model: m)
        try fresh.setFeatureLayers([5])
        try reused.setFeatureLayers([5])
        let a = fresh.createSequence(), b = reused.createSequence()
        _ = try fresh.step([StepInput(sequence: a, tokens: Array(toks.prefix(8)))])
        var outputs: [StepOutput] = []
        try reused.step([StepInput(sequence: b, tokens: Array(toks.prefix(8)))], into: &outputs)
        var inputs = [StepInput(sequence: b, tokens: [0])]
        var addresses: Set<UnsafeRawPointer> = []
        for t in toks.dropFirst(8) {
            let expected = try fresh.step([StepInput(sequence: a, tokens: [t])])[0]
            inputs[0].tokens[0] = t
            try reused.step(inputs, into: &outputs)
            #expect(outputs.count == 1 && outputs[0].sequence == b)
            #expect(outputs[0].logits == expected.logits && outputs[0].hidden == expected.hidden)
            #expect(outputs[0].layerHidden == expected.layerHidden && outputs[0].layerHidden.count == m.config.embeddingWidth)
            outputs[0].logits.withUnsafeBufferPointer { addresses.insert(UnsafeRawPointer($0.baseAddress!)) }
        }
        #expect(addresses.count == 1, "the logits buffer was reallocated \(addresses.count - 1) times")
        // Two inputs, then one again: the outputs follow the inputs.
        let a2 = try fresh.fork(a).first!, b2 = try reused.fork(b).first!
        let pair = try fresh.step([StepInput(sequence: a, tokens: [toks[0]]), StepInput(sequence: a2, tokens: [toks[1]])])
        try reused.step([StepInput(sequence: b, tokens: [toks[0]]), StepInput(sequence: b2, tokens: [toks[1]])], into: &outputs)
        #expect(outputs.map(\.sequence) == [b, b2])
        #expect(outputs.map(\.logits) == pair.map(\.logits))
        let single = try fresh.step([StepInput(sequence: a2, tokens: [toks[2]], outputs: .none)])
        try reused.step([StepInput(sequence: b2, tokens: [toks[2]], outputs: .none)], into: &outputs)
        #expect(outputs.count == 1 && outputs[0].rows == 0 && outputs[0].logits.isEmpty && single[0].logits.isEmpty)
    }

    /// Feature layers return each chosen layer's output, RMS-normalized, for exactly the rows asked for, and
    /// change nothing else: the last layer's state times the output norm's weight is the final hidden state.
    @Test func featureLayersReturnChosenLayersWithoutChangingTheStep() throws {
        let m = try RealModelTests.model()
        let toks = try Self.tokens(), e = m.config.embeddingWidth, last = m.config.layerCount - 1
        let plain = try Engine(model: m), probed = try Engine(model: m)
        try probed.setFeatureLayers([10, last])
        #expect(probed.featureLayers == [10, last])
        #expect(throws: ModelRunError.noSuchLayer(last + 1, layers: last + 1)) { try probed.setFeatureLayers([last + 1]) }
        func run(_ engine: Engine) throws -> [StepOutput] {
            let a = engine.createSequence(), b = engine.createSequence()
            return try engine.step([StepInput(sequence: a, tokens: Array(toks.prefix(20)), outputs: .all),
                                    StepInput(sequence: b, tokens: Array(toks.suffix(9)), outputs: .last)])
        }
        let (expected, got) = (try run(plain), try run(probed))
        for (x, y) in zip(expected, got) {
            #expect(x.logits == y.logits && x.hidden == y.hidden)
            #expect(x.layerHidden.isEmpty && y.layerHidden.count == y.rows * 2 * e)
            for r in 0..<y.rows {
                let mid = y.layerHidden[(r * 2 * e)..<(r * 2 * e + e)], top = y.layerHidden[(r * 2 * e + e)..<((r + 1) * 2 * e)]
                let meanSquare = mid.reduce(0.0) { $0 + Double($1 * $1) } / Double(e)
                #expect(abs(meanSquare - 1) < 1e-3, "layer 10 is RMS-normalized: \(meanSquare)")
                #expect(zip(top, m.weights.outputNorm).map { $0 * $1 } == Array(y.hidden[(r * e)..<((r + 1) * e)]))
                #expect(Array(mid) != Array(top))
            }
        }
    }

    /// 6 sequences forked from one prompt at a fork point, each extended by its own tokens, all in one
    /// batched step: shared-prefix and per-sequence attention, and each sequence alone without forking,
    /// give bitwise the same logits.
    @Test(arguments: [(16, 40), (16, 64), (16, 57), (1, 45), (7, 70), (64, 72)])
    func forkedBatchMatchesUnforkedSequencesBitwise(pageSize: Int, forkAt: Int) throws {
        let m = try RealModelTests.model()
        let toks = try Self.tokens()
        let prompt = Array(toks.prefix(forkAt))
        let tails: [[Int32]] = (0..<6).map { i in Array(toks.dropFirst(forkAt + i).prefix(1 + i % 3)) }
        var results: [AttentionStrategy: [[Float]]] = [:]
        for strategy in AttentionStrategy.allCases {
            // Each engine has its own options: the shared model is never changed, so suites can run at once.
            let engine = try Engine(model: m, pageSize: pageSize)
            engine.attentionStrategy = strategy
            let root = engine.createSequence()
            _ = try engine.step([StepInput(sequence: root, tokens: prompt)])
            let kids = try engine.fork(root, count: tails.count)
            var out = try engine.step(zip(kids, tails).map { StepInput(sequence: $0, tokens: $1, outputs: .all) })
            // A second, decode-shaped step: one token each.
            out = try engine.step(kids.map { StepInput(sequence: $0, tokens: [toks[5]]) })
            if strategy == .sharedPrefix {
                let p = engine.lastProfile
                #expect(p.sharedGroups == (forkAt >= 32 ? 1 : 0), "the shared-prefix path ran")
                #expect(p.positionsRead < p.positionsPerSequence || forkAt < 32)
            }
            results[strategy] = out.map(\.logits)
            for k in kids { try engine.free(k) }
            try engine.free(root)
            #expect(engine.statistics.pagesUsed == 0)
        }
        #expect(results[.sharedPrefix]! == results[.perSequence]!, "page \(pageSize), fork at \(forkAt): the two paths agree bitwise")
        // Each sequence alone, unforked.
        let engine = try Engine(model: m, pageSize: pageSize)
        for (i, tail) in tails.enumerated() {
            let s = engine.createSequence()
            _ = try engine.step([StepInput(sequence: s, tokens: prompt + tail)])
            let alone = try engine.step([StepInput(sequence: s, tokens: [toks[5]])])[0].logits
            #expect(alone == results[.sharedPrefix]![i], "sequence \(i) forked at \(forkAt) equals its unforked run")
            try engine.free(s)
        }
    }
}
