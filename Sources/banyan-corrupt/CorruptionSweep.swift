import BanyanGeneration
import BanyanWeights

/// Seeded mutation sweeps: thousands of corrupted variants of a real GGUF header and of a small
/// safetensors file must each parse or be rejected with a typed error — no crash, no hang, and no
/// tensor view outside the file. Prints one line per sweep: `<format> variants=N rejected=R accepted=A`.
///
///     banyan-corrupt gguf MODEL.gguf [VARIANTS] [SEED]
///     banyan-corrupt safetensors [VARIANTS] [SEED]
@main
enum CorruptionSweep {
    static func main() throws {
        let args = CommandLine.arguments
        guard args.count >= 2 else {
            print("usage: banyan-corrupt gguf MODEL.gguf [VARIANTS] [SEED] | banyan-corrupt safetensors [VARIANTS] [SEED]")
            return
        }
        switch args[1] {
        case "gguf":
            let variants = args.count > 3 ? Int(args[3])! : 10_000
            let seed = args.count > 4 ? UInt64(args[4])! : 2025
            try gguf(path: args[2], variants: variants, seed: seed)
        case "safetensors":
            safetensors(variants: args.count > 2 ? Int(args[2])! : 10_000, seed: args.count > 3 ? UInt64(args[3])! : 7)
        default:
            print("unknown format \(args[1])")
        }
    }

    /// Parses `file`; when it parses, every tensor must lie inside the file.
    static func accepts(_ file: MappedFile) -> Bool {
        do {
            let g = try GGUFFile(file: file)
            for t in g.tensors { precondition(t.offset >= 0 && t.offset + t.byteCount <= file.count, "tensor \(t.name) outside the file") }
            return true
        } catch {
            return false
        }
    }

    static func gguf(path: String, variants: Int, seed: UInt64) throws {
        let real = try GGUFFile(path: path)
        // An in-memory copy: each variant pokes bytes of the header region (magic through the tensor
        // table) or truncates it, is parsed, then restored.
        let original = MappedFile(bytes: real.file.bytes(at: 0, count: real.file.count))
        let headerEnd = real.dataStart
        let tableStart = real.tensors.isEmpty ? 24 : headerEnd - real.tensors.count * 40
        var rng = SeededRandom(seed: seed)
        var rejected = 0, accepted = 0
        for variant in 0..<variants {
            let kind = variant % 4
            if kind == 0 {
                if accepts(original.truncated(to: Int.random(in: 0..<headerEnd, using: &rng))) { accepted += 1 } else { rejected += 1 }
                continue
            }
            var saved: [(Int, UInt8)] = []
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                let at: Int
                switch kind {
                case 1: at = Int.random(in: 0..<64, using: &rng)                              // magic, version, counts, first key
                case 2: at = Int.random(in: max(0, tableStart)..<headerEnd, using: &rng)      // tensor infos
                default: at = Int.random(in: 0..<headerEnd, using: &rng)                      // anywhere in the header
                }
                saved.append((at, original.base.load(fromByteOffset: at, as: UInt8.self)))
                // Extreme values break length and count fields; random ones the rest.
                let extreme: UInt8 = [0x00, 0xFF, 0x7F, 0x80][Int.random(in: 0..<4, using: &rng)]
                original.poke(variant & 8 == 0 ? extreme : UInt8.random(in: 0...255, using: &rng), at: at)
            }
            if accepts(original) { accepted += 1 } else { rejected += 1 }
            for (at, b) in saved.reversed() { original.poke(b, at: at) }
        }
        precondition(accepts(original), "the restored file must parse again")
        print("gguf variants=\(variants) rejected=\(rejected) accepted=\(accepted)")
    }

    static func safetensors(variants: Int, seed: UInt64) {
        var header = #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"#
        header += #""b":{"dtype":"F16","shape":[4],"data_offsets":[24,32]},"c":{"dtype":"BF16","shape":[2,2],"data_offsets":[32,40]}}"#
        while (8 + header.utf8.count) % 8 != 0 { header += " " }
        var bytes: [UInt8] = []
        bytes.appendLE(UInt64(header.utf8.count))
        bytes += Array(header.utf8) + (0..<40).map { UInt8($0) }
        precondition((try? SafetensorsFile(file: MappedFile(bytes: bytes)))?.entries.count == 3, "the clean file must parse")
        var rng = SeededRandom(seed: seed)
        var rejected = 0, accepted = 0
        let jsonish = Array("{}[]\":,0123456789-eE.FBIU ".utf8)
        for variant in 0..<variants {
            var v = bytes
            switch variant % 3 {
            case 0: v = Array(v.prefix(Int.random(in: 0..<v.count, using: &rng)))
            case 1:
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    v[Int.random(in: 8..<(8 + header.utf8.count), using: &rng)] = jsonish.randomElement(using: &rng)!
                }
            default:
                for _ in 0..<Int.random(in: 1...4, using: &rng) { v[Int.random(in: 0..<v.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            }
            do {
                let f = try SafetensorsFile(file: MappedFile(bytes: v))
                for e in f.entries.values { precondition(e.offset + e.byteCount <= v.count, "tensor \(e.name) outside the file") }
                accepted += 1
            } catch {
                rejected += 1
            }
        }
        print("safetensors variants=\(variants) rejected=\(rejected) accepted=\(accepted)")
    }
}
