import BanyanModel
import BanyanWeights
import BanyanTestSupport
import Foundation
import Testing

@Suite struct SafetensorsTests {
    /// Writes a safetensors file the way the reference writer does (header padded to 8 bytes).
    static func write(_ tensors: [(name: String, dtype: String, shape: [Int], bytes: [UInt8])], to path: String) throws {
        var offset = 0
        var entries: [String] = []
        for t in tensors {
            entries.append("\"\(t.name)\":{\"dtype\":\"\(t.dtype)\",\"shape\":\(t.shape),\"data_offsets\":[\(offset),\(offset + t.bytes.count)]}")
            offset += t.bytes.count
        }
        var header = "{" + entries.joined(separator: ",") + "}"
        while header.utf8.count % 8 != 0 { header += " " }
        var out: [UInt8] = []
        out.appendLE(UInt64(header.utf8.count))
        out += Array(header.utf8)
        for t in tensors { out += t.bytes }
        try Data(out).write(to: URL(fileURLWithPath: path))
    }

    static func f32Bytes(_ values: [Float]) -> [UInt8] {
        var out: [UInt8] = []
        for v in values { out.appendLE(v.bitPattern) }
        return out
    }

    @Test func shardedCheckpointWithConfig() throws {
        let dir = NSTemporaryDirectory() + "banyan-st-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try SafetensorsTests.write([("model.embed_tokens.weight", "F32", [4, 2], SafetensorsTests.f32Bytes([1, 2, 3, 4, 5, 6, 7, 8]))],
                                   to: dir + "/model-00001-of-00002.safetensors")
        try SafetensorsTests.write([("model.norm.weight", "BF16", [2], [0x80, 0x3F, 0x00, 0x40]),
                                    ("lm_head.weight", "F16", [4, 2], [UInt8](repeating: 0, count: 16))],
                                   to: dir + "/model-00002-of-00002.safetensors")
        let index = #"{"metadata":{"total_size":52},"weight_map":{"model.embed_tokens.weight":"model-00001-of-00002.safetensors","model.norm.weight":"model-00002-of-00002.safetensors","lm_head.weight":"model-00002-of-00002.safetensors"}}"#
        try Data(index.utf8).write(to: URL(fileURLWithPath: dir + "/model.safetensors.index.json"))
        let config = #"{"architectures":["LlamaForCausalLM"],"model_type":"llama","hidden_size":2,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":1,"num_key_value_heads":1,"vocab_size":4,"rms_norm_eps":1e-05,"rope_theta":100000.0,"tie_word_embeddings":false,"eos_token_id":[2,3]}"#
        try Data(config.utf8).write(to: URL(fileURLWithPath: dir + "/config.json"))

        let ckpt = try SafetensorsCheckpoint(directory: dir)
        #expect(ckpt.shards.count == 2)
        #expect(ckpt.tensorNames == ["lm_head.weight", "model.embed_tokens.weight", "model.norm.weight"])
        let embed = try #require(ckpt.tensor(named: "model.embed_tokens.weight"))
        #expect(embed.type == .f32 && embed.shape == [2, 4])
        #expect(ckpt.tensor(named: "model.norm.weight")?.type == .bf16)
        #expect(ckpt.config.hiddenSize == 2 && ckpt.config.eosTokenId == 2 && ckpt.config.tieWordEmbeddings == false)
        let llama = try LlamaConfig(hf: ckpt.config)
        #expect(llama.ropeFreqBase == 100_000 && llama.headDim == 2)
    }

    @Test func malformedHeadersAreNamed() throws {
        func parse(_ unpadded: String, data: Int) -> SafetensorsError? {
            var header = unpadded
            while header.utf8.count % 8 != 0 { header += " " }
            var out: [UInt8] = []
            out.appendLE(UInt64(header.utf8.count))
            out += Array(header.utf8) + [UInt8](repeating: 0, count: data)
            do { _ = try SafetensorsFile(file: MappedFile(bytes: out)); return nil } catch { return error as? SafetensorsError }
        }
        #expect(parse(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: 8) == nil)
        if case .headerNotJSON = parse("{nope", data: 0) {} else { Issue.record("bad JSON accepted") }
        if case .unknownDType = parse(#"{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}"#, data: 8) {} else { Issue.record("dtype") }
        if case .sizeMismatch = parse(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: 8) {} else { Issue.record("size") }
        if case .notContiguous = parse(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, data: 12) {} else { Issue.record("gap") }
        if case .bufferSizeMismatch = parse(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: 4) {} else { Issue.record("short") }
        var tooLong: [UInt8] = []
        tooLong.appendLE(UInt64.max)
        var caught: SafetensorsError?
        do { _ = try SafetensorsFile(file: MappedFile(bytes: tooLong)) } catch { caught = error }
        if case .headerTooLarge = caught {} else { Issue.record("huge header length accepted") }
    }
}
