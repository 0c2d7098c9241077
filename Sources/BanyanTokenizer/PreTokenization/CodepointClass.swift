/// The character classes the pre-tokenizer patterns use (`\p{L}`, `\p{N}`, `\s`).
struct CodepointClass: OptionSet {
    let rawValue: UInt8
    static let letter = CodepointClass(rawValue: 1)
    static let number = CodepointClass(rawValue: 2)
    static let whitespace = CodepointClass(rawValue: 4)
    /// Set for every in-range code point, so "no class" means "past the end of the text".
    static let present = CodepointClass(rawValue: 8)

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init(_ scalar: Unicode.Scalar) {
        var c: CodepointClass = .present
        let v = scalar.value
        if v < 0x80 {
            // ASCII fast path.
            if (0x41...0x5A).contains(v) || (0x61...0x7A).contains(v) { c.insert(.letter) }
            else if (0x30...0x39).contains(v) { c.insert(.number) }
            else if v == 0x20 || (0x09...0x0D).contains(v) { c.insert(.whitespace) }
            self = c
            return
        }
        let p = scalar.properties
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: c.insert(.letter)
        case .decimalNumber, .letterNumber, .otherNumber: c.insert(.number)
        default: break
        }
        if p.isWhitespace { c.insert(.whitespace) }
        self = c
    }
}

/// Code points of a text with their classes, read past the end as "absent".
struct ClassifiedText {
    let scalars: [Unicode.Scalar]
    let classes: [CodepointClass]

    init(_ scalars: [Unicode.Scalar]) {
        self.scalars = scalars
        self.classes = scalars.map(CodepointClass.init)
    }

    @inline(__always) func cls(_ i: Int, end: Int) -> CodepointClass { i < end ? classes[i] : [] }
    @inline(__always) func cp(_ i: Int, end: Int) -> UInt32? { i < end ? scalars[i].value : nil }
}
