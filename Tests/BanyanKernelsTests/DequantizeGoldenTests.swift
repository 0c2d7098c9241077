import BanyanKernels
import BanyanWeights
import Foundation
import Testing

/// `Dequantize` against golden values it did not produce: gguf-py's numpy port of ggml's reference
/// dequantizers, run over seeded random blocks (Tests/Fixtures/dequant-golden.json, written by
/// tools/make_dequant_golden.py). Every value must match bit for bit.
@Suite struct DequantizeGoldenTests {
    static let names = ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K"]

    /// Tests/Fixtures/dequant-golden.json, found from this file: two directories up, then Fixtures.
    static let fixtureURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
        .appendingPathComponent("dequant-golden.json")

    struct Golden: Decodable {
        let source: String
        let types: [Case]
    }

    struct Case: Decodable {
        let name: String
        let ggmlType: UInt32
        let blocks: Int
        let blockSize: Int
        let bytesPerBlock: Int
        /// The raw blocks, hex.
        let bytes: String
        /// The expected values as numbers (for reading; they equal `bits`).
        let values: [Double]
        /// The expected values' binary32 patterns, little-endian, hex: the reference compared against.
        let bits: String
    }

    static func load() throws -> Golden {
        let data = try Data(contentsOf: fixtureURL)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Golden.self, from: data)
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Bytes from a hex string, nil when it is not hex.
    static func hexBytes(_ hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append((hi << 4) | lo)
            i += 2
        }
        return out
    }

    static func hex32(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
    }

    /// The little-endian UInt32 at `bytes[4 * i ..< 4 * i + 4]`.
    static func word(_ bytes: [UInt8], _ i: Int) -> UInt32 {
        let b0 = UInt32(bytes[4 * i])
        let b1 = UInt32(bytes[4 * i + 1]) << 8
        let b2 = UInt32(bytes[4 * i + 2]) << 16
        let b3 = UInt32(bytes[4 * i + 3]) << 24
        return b0 | b1 | b2 | b3
    }

    @Test func fixtureCoversEveryQuantizedType() throws {
        let golden = try Self.load()
        let inFixture = Set(golden.types.map { $0.name })
        #expect(inFixture == Set(Self.names), "fixture types \(inFixture.sorted()), expected \(Self.names)")
        for type in Dequantize.supported where type.blockSize > 1 {
            #expect(inFixture.contains(type.name), "Dequantize supports \(type.name) but the golden fixture has no \(type.name)")
        }
    }

    @Test(arguments: ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K"])
    func dequantizeMatchesGGUFPy(name: String) throws {
        let golden = try Self.load()
        let found = golden.types.first(where: { $0.name == name })
        let c = try #require(found, "no \(name) in \(Self.fixtureURL.path)")
        let type = try #require(GGMLType(rawValue: c.ggmlType), "\(name): unknown ggml type id \(c.ggmlType)")
        try #require(type.name == name, "\(name): ggml type id \(c.ggmlType) is \(type.name) here")
        try #require(type.blockSize == c.blockSize, "\(name): block size \(type.blockSize) here, \(c.blockSize) in the fixture")
        try #require(type.bytesPerBlock == c.bytesPerBlock,
                     "\(name): \(type.bytesPerBlock) bytes per block here, \(c.bytesPerBlock) in the fixture")

        let count = c.blocks * c.blockSize
        let raw = try #require(Self.hexBytes(c.bytes), "\(name): bytes are not hex")
        let expectedBytes = try #require(Self.hexBytes(c.bits), "\(name): bits are not hex")
        try #require(raw.count == c.blocks * type.bytesPerBlock, "\(name): \(raw.count) raw bytes for \(c.blocks) blocks")
        try #require(expectedBytes.count == 4 * count, "\(name): \(expectedBytes.count / 4) expected bit patterns for \(count) values")
        try #require(c.values.count == count, "\(name): \(c.values.count) expected values for \(count) values")

        var got = [Float](repeating: .nan, count: count)
        raw.withUnsafeBytes { src in
            got.withUnsafeMutableBufferPointer { dst in
                Dequantize.row(type, src.baseAddress!, dst.baseAddress!, count: count)
            }
        }

        var mismatches = 0
        for i in 0..<count {
            let expectedBits = Self.word(expectedBytes, i)
            let expected = Float(bitPattern: expectedBits)
            // The fixture's number and bit pattern are one value (== so a zero's sign does not matter here).
            #expect(Float(c.values[i]) == expected, "\(name) [\(i)]: fixture number \(c.values[i]) is not its bits \(Self.hex32(expectedBits))")
            if got[i].bitPattern != expectedBits {
                mismatches += 1
                if mismatches <= 10 {
                    Issue.record("""
                        \(name) value \(i) (block \(i / c.blockSize), element \(i % c.blockSize)): \
                        expected \(expected) (\(Self.hex32(expectedBits))), got \(got[i]) (\(Self.hex32(got[i].bitPattern)))
                        """)
                }
            }
        }
        #expect(mismatches == 0, "\(name): \(mismatches) of \(count) values differ from gguf-py's (\(golden.source))")
    }
}
