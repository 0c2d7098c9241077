import Foundation

/// Finds the final answer in a solution, in the order the reference evaluators look:
/// the last `\boxed{…}`, then "The answer is …", GSM8K's `#### …`, our prompt's `Answer: …`, and
/// finally the last number in the text.
public enum AnswerExtraction {
    public static func extract(_ text: String) -> String? {
        if let boxed = lastBoxed(text) { return clean(boxed) }
        for marker in ["the answer is", "final answer is", "####", "answer:"] {
            if let r = text.range(of: marker, options: [.caseInsensitive, .backwards]) {
                let rest = text[r.upperBound...].trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: ":$")))
                let line = rest.prefix { $0 != "\n" }
                if let number = firstNumber(in: String(line)) { return number }
                let cleaned = clean(String(line))
                if !cleaned.isEmpty { return cleaned }
            }
        }
        return lastNumber(in: text)
    }

    /// The argument of the last `\boxed{…}`, braces matched.
    static func lastBoxed(_ text: String) -> String? {
        guard let r = text.range(of: "\\boxed", options: .backwards) else { return nil }
        var i = r.upperBound
        while i < text.endIndex, text[i] == " " { i = text.index(after: i) }
        guard i < text.endIndex, text[i] == "{" else {
            // `\boxed 5` form: up to the next `$` or end of line.
            let rest = text[r.upperBound...].prefix { $0 != "$" && $0 != "\n" }
            return rest.trimmingCharacters(in: .whitespaces)
        }
        var depth = 0
        var out = ""
        for c in text[i...] {
            if c == "{" { depth += 1; if depth == 1 { continue } }
            if c == "}" { depth -= 1; if depth == 0 { return out } }
            out.append(c)
        }
        return nil
    }

    /// Digits with thousands commas inside ("1,234"), never a trailing comma ("Answer: 6, because …" is 6).
    static let numberPattern = try! NSRegularExpression(pattern: #"-?\d(?:[\d,]*\d)?(?:\.\d+)?(?:\s*/\s*\d+)?%?|-?\.\d+%?"#)

    static func numbers(in text: String) -> [String] {
        let ns = text as NSString
        return numberPattern.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range) }
    }

    static func firstNumber(in text: String) -> String? { numbers(in: text).first }
    static func lastNumber(in text: String) -> String? { numbers(in: text).last }

    /// Strips what wraps an answer: `$`, `\text{…}` units, trailing full stop, `\left`/`\right`, `dfrac`.
    static func clean(_ s: String) -> String {
        var t = s.trimmingCharacters(in: .whitespacesAndNewlines)
        for (a, b) in [("\\left", ""), ("\\right", ""), ("\\!", ""), ("dfrac", "frac"), ("tfrac", "frac"), ("$", ""), ("\\%", "%")] {
            t = t.replacingOccurrences(of: a, with: b)
        }
        if let r = t.range(of: "\\text{") { t = String(t[..<r.lowerBound]) }
        while t.hasSuffix(".") { t.removeLast() }
        return t.trimmingCharacters(in: .whitespaces)
    }
}

/// Whether two answers mean the same: as numbers (commas, decimals, fractions `a/b` or `\frac{a}{b}`,
/// percent), else as normalized strings.
public enum AnswerEquivalence {
    public static func equivalent(_ a: String, _ b: String) -> Bool {
        if let x = value(a), let y = value(b) {
            if close(x, y) { return true }
            // "50%" answers "50" (a percentage written with or without its sign), as Qwen-Math's grader allows.
            if a.contains("%") || b.contains("%"), let u = value(a.replacingOccurrences(of: "%", with: "")),
               let v = value(b.replacingOccurrences(of: "%", with: "")) { return close(u, v) }
            return false
        }
        return normalize(a) == normalize(b)
    }

    static func close(_ x: Double, _ y: Double) -> Bool { abs(x - y) <= 1e-6 * max(1, abs(x), abs(y)) }

    /// A canonical key for voting: equivalent numbers share a key.
    public static func key(_ answer: String) -> String {
        if let v = value(answer) {
            let rounded = (v * 1e6).rounded() / 1e6
            return rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int(rounded)) : String(rounded)
        }
        return normalize(answer)
    }

    /// The numeric value of an answer, if it is a number.
    public static func value(_ answer: String) -> Double? {
        var t = AnswerExtraction.clean(answer).replacingOccurrences(of: ",", with: "").replacingOccurrences(of: " ", with: "")
        var scale = 1.0
        if t.hasSuffix("%") { t.removeLast(); scale = 0.01 }
        if t.hasPrefix("\\frac{") || t.hasPrefix("-\\frac{") {
            let negative = t.hasPrefix("-")
            let parts = t.replacingOccurrences(of: "-\\frac{", with: "").replacingOccurrences(of: "\\frac{", with: "")
                .replacingOccurrences(of: "}", with: "").split(separator: "{")
            guard parts.count == 2, let n = Double(parts[0]), let d = Double(parts[1]), d != 0 else { return nil }
            return (negative ? -n / d : n / d) * scale
        }
        let slash = t.split(separator: "/")
        if slash.count == 2, let n = Double(slash[0]), let d = Double(slash[1]), d != 0 { return n / d * scale }
        guard let v = Double(t), v.isFinite else { return nil }
        return v * scale
    }

    static func normalize(_ s: String) -> String {
        AnswerExtraction.clean(s).lowercased().replacingOccurrences(of: " ", with: "")
    }
}
