import BanyanModel
import BanyanWeights
import BanyanTestSupport
import Testing

@Suite struct GGUFReaderTests {
    @Test func readsTheDefaultModel() throws {
        let gguf = try TestModel.gguf()
        #expect(gguf.version == 3)
        #expect(gguf.tensors.count == 272)
        #expect(gguf.metadata.count == 33)
        #expect(gguf.dataStart == 1_785_664)
        #expect(gguf.alignment == 32)
        #expect(gguf.tensorTypeCounts == ["Q4_1": 210, "F32": 61, "Q8_0": 1])
        let embd = try #require(gguf.tensor(named: "token_embd.weight"))
        #expect(embd.type == .q8_0 && embd.shape == [576, 49152] && embd.byteCount == 30_081_024)
        let norm = try #require(gguf.tensor(named: "output_norm.weight"))
        #expect(norm.offset + norm.byteCount == gguf.file.count)
        #expect(gguf["tokenizer.ggml.tokens"]?.array?.count == 49152)
        #expect(gguf["tokenizer.ggml.tokens"]?.array?.string(at: 1) == "<|im_start|>")
        #expect(gguf["tokenizer.ggml.merges"]?.array?.string(at: 0) == "Ġ t")
        #expect(gguf["tokenizer.ggml.token_type"]?.array?.ints.prefix(18) == [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 1])
    }

    @Test func configFromMetadata() throws {
        let c = try LlamaConfig(gguf: try TestModel.gguf())
        #expect(c.layerCount == 30 && c.embeddingWidth == 576 && c.headCount == 9 && c.kvHeadCount == 3)
        #expect(c.feedForwardWidth == 1536 && c.vocabularySize == 49152 && c.ropeFreqBase == 100_000 && c.headDim == 64)
    }

    @Test func everyValueTypeRoundTrips() throws {
        var w = GGUFWriter()
        w.set("u8", UInt8(200)); w.set("i8", Int8(-5)); w.set("u16", UInt16(60000)); w.set("i16", Int16(-300))
        w.set("u32", UInt32(4_000_000_000)); w.set("i32", Int32(-7)); w.set("f32", Float(1.5)); w.set("bool", true)
        w.set("str", "héllo"); w.set("u64", UInt64.max); w.set("i64", Int64.min); w.set("f64", 2.25)
        w.set("arr", GGUFWritableArray(.int32, [Int32(1), Int32(-2), Int32(3)]))
        w.set("strs", GGUFWritableArray(.string, ["a", "", "ccc"]))
        w.set("nested", GGUFWritableArray(.array, [GGUFWritableArray(.uint8, [UInt8(1), UInt8(2)]),
                                                   GGUFWritableArray(.string, ["x"])]))
        w.addF32("t", shape: [4, 2], values: [1, 2, 3, 4, 5, 6, 7, 8])
        let g = try GGUFFile(file: MappedFile(bytes: w.bytes()))
        #expect(g["u8"]?.int == 200 && g["i8"]?.int == -5 && g["u16"]?.int == 60000 && g["i16"]?.int == -300)
        #expect(g["u32"]?.int == 4_000_000_000 && g["i32"]?.int == -7 && g["f32"]?.double == 1.5 && g["bool"]?.bool == true)
        #expect(g["str"]?.string == "héllo" && g["i64"]?.int == Int(Int64.min) && g["f64"]?.double == 2.25)
        if case .uint64(let v) = g["u64"] { #expect(v == .max) } else { Issue.record("u64 lost its type") }
        #expect(g["arr"]?.array?.ints == [1, -2, 3])
        #expect(g["strs"]?.array?.strings == ["a", "", "ccc"])
        let nested = try #require(g["nested"]?.array)
        #expect(nested.count == 2 && nested.element(at: 0).array?.ints == [1, 2] && nested.element(at: 1).array?.strings == ["x"])
        let t = try #require(g.tensor(named: "t"))
        #expect(t.shape == [4, 2] && t.byteCount == 32 && t.offset % 32 == 0)
    }

    @Test func versionTwoAndCustomAlignment() throws {
        var w = GGUFWriter()
        w.version = 2
        w.alignment = 64
        w.set("general.alignment", UInt32(64))
        w.addF32("a", shape: [3], values: [1, 2, 3])
        w.addF32("b", shape: [5], values: [1, 2, 3, 4, 5])
        let g = try GGUFFile(file: MappedFile(bytes: w.bytes()))
        #expect(g.version == 2 && g.alignment == 64)
        #expect(g.tensors.allSatisfy { $0.offset % 64 == 0 })
    }

    @Test func namedErrors() throws {
        func parse(_ bytes: [UInt8]) -> GGUFError? {
            do { _ = try GGUFFile(file: MappedFile(bytes: bytes)); return nil } catch { return error }
        }
        var w = GGUFWriter()
        w.set("general.architecture", "llama")
        w.addF32("x", shape: [8], values: Array(repeating: 1, count: 8))
        let good = w.bytes()
        #expect(parse(good) == nil)
        #expect(parse(Array("GGML".utf8) + good.dropFirst(4)) == .badMagic(found: Array("GGML".utf8)))
        var v9 = good; v9[4] = 9
        #expect(parse(v9) == .unsupportedVersion(9))
        #expect(parse(Array(good.prefix(20))) == .fileTooSmall(size: 20))
        if case .tensorPastEnd = parse(Array(good.dropLast(4))) {} else { Issue.record("truncated data not caught") }
        var badType = good
        // Layout: 24-byte header, one KV (8+20 key, 4 type, 8+5 value) ends at 69; the tensor info
        // is name (8+1), n_dims (4), one dim (8), then the type at 90 and the data offset at 94.
        let typeAt = 90
        #expect(badType[typeAt] == 0)
        badType[typeAt] = 4  // removed type Q4_2
        if case .unknownTensorType(_, _, 4) = parse(badType) {} else { Issue.record("removed type accepted") }
        var hugeCount = good
        for i in 8..<16 { hugeCount[i] = 0xFF }
        if case .countTooLarge(_, 8, _, _) = parse(hugeCount) {} else { Issue.record("huge tensor count accepted") }
        var zeroDim = good
        for i in (typeAt - 8)..<typeAt { zeroDim[i] = 0 }
        if case .badDimensions = parse(zeroDim) {} else { Issue.record("zero dimension accepted") }
        var misaligned = good
        misaligned[typeAt + 4] = 3
        if case .misalignedTensor = parse(misaligned) {} else { Issue.record("misaligned offset accepted") }
    }

    @Test func overlappingTensorsAreRejected() throws {
        var w = GGUFWriter()
        w.addF32("a", shape: [16], values: Array(repeating: 0, count: 16))
        w.addF32("b", shape: [16], values: Array(repeating: 0, count: 16))
        var bytes = w.bytes()
        // Each info is 33 bytes after the 24-byte header; b's data offset is the u64 ending at 90.
        // Pointing it at 32 makes b start inside a.
        for i in 82..<90 { bytes[i] = 0 }
        bytes[82] = 32
        #expect(throws: GGUFError.self) { try GGUFFile(file: MappedFile(bytes: bytes)) }
        do { _ = try GGUFFile(file: MappedFile(bytes: bytes)) } catch {
            if case .overlappingTensors = error {} else { Issue.record("expected overlap, got \(error)") }
        }
    }
}
