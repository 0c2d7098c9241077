import Foundation

/// Checks arithmetic written one calculation per line (`x op y = z`, with + - * × x / ÷): exact
/// process labels for free on problems like the synthetic chains.
public enum StepChecker {
    /// What a line of a solution is, to the checker.
    public enum Verdict: String, Sendable, Codable, Equatable {
        /// A calculation whose result is right.
        case correct
        /// A calculation whose result is wrong.
        case wrong
        /// No calculation in it (prose, the final answer line).
        case none
    }

    static let calculation = try! NSRegularExpression(
        pattern: #"(-?\d+(?:\.\d+)?)\s*([+\-*×x/÷])\s*(-?\d+(?:\.\d+)?)\s*=\s*(-?\d+(?:\.\d+)?)"#)

    /// The verdict on every calculation in `text` (a step may hold several lines).
    public static func calculations(in text: String) -> [Verdict] {
        let ns = text as NSString
        return calculation.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { m in
            let part = { (i: Int) in ns.substring(with: m.range(at: i)) }
            guard let a = Double(part(1)), let b = Double(part(3)), let z = Double(part(4)) else { return .wrong }
            let result: Double
            switch part(2) {
            case "+": result = a + b
            case "-": result = a - b
            case "*", "×", "x": result = a * b
            default:
                guard b != 0 else { return .wrong }
                result = a / b
            }
            return abs(result - z) <= 1e-9 * max(1, abs(result)) ? .correct : .wrong
        }
    }

    /// One step's verdict: wrong if any calculation in it is wrong, correct if it has one and all are
    /// right, none if it has none.
    public static func verdict(_ step: String) -> Verdict {
        let all = calculations(in: step)
        if all.contains(.wrong) { return .wrong }
        return all.isEmpty ? .none : .correct
    }
}
