import Banyan
import BanyanTestSupport
import Testing

/// Seeded mutation tests: thousands of corrupted variants of real headers must each parse or be
/// rejected with a typed error; none may crash, hang or yield a tensor outside the file.
@Suite struct CorruptionTests {
    /// Parses `file`; when it parses, every tensor must lie inside the file.
    static func check(_ file: MappedFile) -> Bool {
        do {
            let g = try GGUFFile(file: file)
            for t in g.tensors { precondition(t.offset >= 0 && t.offset + t.byteCount <= file.count, "tensor outside file") }
            return true
        } catch {
            return false
        }
    }

    @Test func tenThousandCorruptedModelHeaders() throws {
        // An in-memory copy of the real model: each variant pokes a few bytes of the header region
        // (magic through the tensor table, 1.79 MB) or truncates it, then restores it.
        let original = MappedFile(bytes: TestModel.gguf.file.bytes(at: 0, count: TestModel.gguf.file.count))
        let headerEnd = TestModel.gguf.dataStart
        var rng = SeededGenerator(seed: 2025)
        var rejected = 0, accepted = 0
        // Offsets worth hitting: the fixed header and the tensor table, where every field matters.
        let tableStart = 1_769_507
        for variant in 0..<10_000 {
            let kind = variant % 4
            if kind == 0 {
                // Truncate anywhere in the header region.
                let cut = Int.random(in: 0..<headerEnd, using: &rng)
                if CorruptionTests.check(original.truncated(to: cut)) { accepted += 1 } else { rejected += 1 }
                continue
            }
            var saved: [(Int, UInt8)] = []
            let flips = Int.random(in: 1...8, using: &rng)
            for _ in 0..<flips {
                let at: Int
                switch kind {
                case 1: at = Int.random(in: 0..<64, using: &rng)                       // magic, version, counts, first key
                case 2: at = Int.random(in: tableStart..<headerEnd, using: &rng)       // tensor infos
                default: at = Int.random(in: 0..<headerEnd, using: &rng)               // anywhere in the header
                }
                saved.append((at, original.base.load(fromByteOffset: at, as: UInt8.self)))
                // Mix random bytes with the extreme values that break length and count fields.
                let byte: UInt8 = [0x00, 0xFF, 0x7F, 0x80][Int.random(in: 0..<4, using: &rng)] ^ (variant & 8 == 0 ? 0 : UInt8.random(in: 0...255, using: &rng))
                original.poke(byte, at: at)
            }
            if CorruptionTests.check(original) { accepted += 1 } else { rejected += 1 }
            for (at, b) in saved.reversed() { original.poke(b, at: at) }
        }
        #expect(accepted + rejected == 10_000)
        #expect(rejected > 5_000, "most corruptions of lengths, counts and offsets must be caught (rejected \(rejected))")
        #expect(CorruptionTests.check(original), "the restored file parses again")
    }

    @Test func tenThousandCorruptedSafetensors() throws {
        var header = #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"#
        header += #""b":{"dtype":"F16","shape":[4],"data_offsets":[24,32]},"c":{"dtype":"BF16","shape":[2,2],"data_offsets":[32,40]}}"#
        while (8 + header.utf8.count) % 8 != 0 { header += " " }
        var bytes: [UInt8] = []
        bytes.appendLittleEndian(UInt64(header.utf8.count))
        bytes += Array(header.utf8)
        bytes += (0..<40).map { UInt8($0) }
        let good = try SafetensorsFile(file: MappedFile(bytes: bytes))
        #expect(good.entries.count == 3 && good.metadata["format"] == "pt")
        #expect(good.tensor(named: "a")?.shape == [3, 2])

        var rng = SeededGenerator(seed: 7)
        var rejected = 0
        let printable = Array("{}[]\":,0123456789-eE.FBIU ".utf8)
        for variant in 0..<10_000 {
            var v = bytes
            switch variant % 3 {
            case 0: v = Array(v.prefix(Int.random(in: 0..<v.count, using: &rng)))
            case 1:
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    v[Int.random(in: 8..<(8 + header.utf8.count), using: &rng)] = printable.randomElement(using: &rng)!
                }
            default:
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    v[Int.random(in: 0..<v.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            do {
                let f = try SafetensorsFile(file: MappedFile(bytes: v))
                for e in f.entries.values { precondition(e.offset + e.byteCount <= v.count) }
            } catch {
                rejected += 1
            }
        }
        #expect(rejected > 3_000, "rejected \(rejected)")
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }
}
