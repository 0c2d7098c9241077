import Foundation

extension Double {
    /// Whole numbers without ".0", for comparing with stated answers.
    var formatted: String { self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self) }
}

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

    /// One `x op y = z` found in a text (`op` normalized to + - * /).
    public struct Calculation: Sendable, Equatable {
        public var left: Double, op: Character, right: Double, result: Double

        public var isRight: Bool {
            guard let value = StepChecker.apply(op, left, right) else { return false }
            return abs(value - result) <= 1e-9 * max(1, abs(value))
        }
    }

    static func apply(_ op: Character, _ a: Double, _ b: Double) -> Double? {
        switch op {
        case "+": return a + b
        case "-": return a - b
        case "*": return a * b
        default: return b == 0 ? nil : a / b
        }
    }

    /// Every calculation in `text`, in order.
    public static func parse(_ text: String) -> [Calculation] {
        let ns = text as NSString
        return calculation.matches(in: text, range: NSRange(location: 0, length: ns.length)).compactMap { m in
            let part = { (i: Int) in ns.substring(with: m.range(at: i)) }
            guard let a = Double(part(1)), let b = Double(part(3)), let z = Double(part(4)) else { return nil }
            let op: Character = switch part(2) { case "×", "x": "*"; case "÷": "/"; default: Character(part(2)) }
            return Calculation(left: a, op: op, right: b, result: z)
        }
    }

    /// The verdict on every calculation in `text` (a step may hold several lines).
    public static func calculations(in text: String) -> [Verdict] {
        parse(text).map { $0.isRight ? .correct : .wrong }
    }

    /// An arithmetic chain read from a question such as "What is 7 + 4 - 2?": its numbers and operators.
    public struct Chain: Sendable, Equatable {
        public var numbers: [Double]
        public var operators: [Character]

        static let pattern = try! NSRegularExpression(pattern: #"^\s*What is\s+(-?\d+(?:\s*[-+*×x]\s*-?\d+)+)\s*\?\s*$"#)

        public init?(question: String) {
            let ns = question as NSString
            guard let m = Chain.pattern.firstMatch(in: question, range: NSRange(location: 0, length: ns.length)) else { return nil }
            let expression = ns.substring(with: m.range(at: 1))
            let tokens = try! NSRegularExpression(pattern: #"-?\d+|[-+*×x]"#)
                .matches(in: expression, range: NSRange(location: 0, length: (expression as NSString).length))
                .map { (expression as NSString).substring(with: $0.range) }
            var numbers: [Double] = [], operators: [Character] = []
            for (i, t) in tokens.enumerated() {
                if i % 2 == 0 { guard let v = Double(t) else { return nil }; numbers.append(v) }
                else { operators.append(t == "×" || t == "x" ? "*" : Character(t)) }
            }
            guard numbers.count == operators.count + 1, numbers.count >= 2 else { return nil }
            self.numbers = numbers
            self.operators = operators
        }

        /// The chain's value, evaluated left to right.
        public var value: Double {
            zip(operators, numbers.dropFirst()).reduce(numbers[0]) { StepChecker.apply($1.0, $0, $1.1) ?? .nan }
        }

        /// Verdicts for the calculations of a solution, in order: the k-th must be the chain's k-th
        /// operation on the right running value (operands of + and * in either order), with the right
        /// result. After a wrong one nothing is right; calculations beyond the chain are judged alone.
        public func verdicts(_ calculations: [Calculation]) -> [Verdict] {
            var value = numbers[0]
            var onTrack = true
            return calculations.enumerated().map { k, c in
                guard k < operators.count else { return c.isRight ? .correct : .wrong }
                let op = operators[k], next = numbers[k + 1]
                let operands = c.left == value && c.right == next
                    || (op == "+" || op == "*") && c.left == next && c.right == value
                let expected = StepChecker.apply(op, value, next) ?? .nan
                defer { value = expected }
                guard onTrack, c.op == op, operands, c.isRight else { onTrack = false; return .wrong }
                return .correct
            }
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
