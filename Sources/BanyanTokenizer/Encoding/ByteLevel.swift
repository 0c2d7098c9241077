/// GPT-2's reversible byte ↔ code point map: byte-level BPE vocabularies store text in this form
/// (space is "Ġ", newline "Ċ"), so every byte string has a spelling in printable characters.
enum ByteLevel {
    /// Code point for each byte.
    static let scalarOfByte: [Unicode.Scalar] = {
        var printable = Set<UInt8>()
        for b in UInt8(0x21)...0x7E { printable.insert(b) }
        for b in UInt8(0xA1)...0xAC { printable.insert(b) }
        for b in UInt8(0xAE)...0xFF { printable.insert(b) }
        var map = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if printable.contains(UInt8(b)) {
                map[b] = Unicode.Scalar(UInt8(b))
            } else {
                map[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return map
    }()

    /// Byte for each mapped code point (nil for code points outside the map).
    static let byteOfScalar: [UInt32: UInt8] = {
        var m: [UInt32: UInt8] = [:]
        for (b, s) in scalarOfByte.enumerated() { m[s.value] = UInt8(b) }
        return m
    }()

    /// Decodes a vocabulary entry back to raw bytes; characters outside the map keep their UTF-8.
    static func decode(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        for s in String(decoding: text, as: UTF8.self).unicodeScalars {
            if let b = byteOfScalar[s.value] { out.append(b) } else { out += Array(String(s).utf8) }
        }
        return out
    }

    /// The mapped spelling of raw bytes, as UTF-8 (the form the vocabulary stores).
    static func encode(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(scalarOfByte[Int(b)]) }
        return Array(String(s).utf8)
    }
}
