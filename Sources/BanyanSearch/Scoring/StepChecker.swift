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

    static let number = #"-?\d+(?:\.\d+)?"#
    /// Up to three words after a number ("18 apples", "8 sets of tables", "7 chairs per set"), never the
    /// operator "x".
    static let units = #"(?:[ \t]+(?!x\b)[A-Za-z']+){0,3}"#
    /// `x op y [op z …] = r`: a whole line's expression, so "6 + 0 + 2 = 8" is one calculation, not "0 + 2 = 8".
    /// Each number may carry a "$" before it and unit words after it: "18 apples - 13 apples = 5 apples",
    /// "4 costumes * $2.00 = $8.00".
    static let calculation = try! NSRegularExpression(
        pattern: "\\$?(\(number))\(units)((?:\\s*[+\\-*×x/÷]\\s*\\$?\(number)\(units))+)\\s*=\\s*\\$?(\(number))")
    static let operation = try! NSRegularExpression(pattern: "([+\\-*×x/÷])\\s*\\$?(\(number))")
    /// A unit word inside an expression, removed before reading its operators (so the "x" ending "box" is
    /// not taken for one).
    static let unitWord = try! NSRegularExpression(pattern: #"(?<![A-Za-z'])(?!x(?![A-Za-z']))[A-Za-z']+"#)

    /// One calculation found in a text: operands, operators (normalized to + - * /) and the stated result.
    public struct Calculation: Sendable, Equatable {
        public var operands: [Double]
        public var operators: [Character]
        public var result: Double
        /// Digits after the result's decimal point as written: "13.33" is 600 / 45 rounded to 2 places.
        public var resultDecimals: Int

        public init(operands: [Double], operators: [Character], result: Double, resultDecimals: Int = 0) {
            self.operands = operands
            self.operators = operators
            self.result = result
            self.resultDecimals = resultDecimals
        }

        /// `x op y = z`.
        public init(left: Double, op: Character, right: Double, result: Double) {
            self.init(operands: [left, right], operators: [op], result: result)
        }

        public var left: Double { operands[0] }
        public var op: Character { operators[0] }
        public var right: Double { operands[1] }

        /// The expression's value with the usual precedence (* and / first), left to right otherwise.
        public var value: Double? {
            var terms: [Double] = [operands[0]], signs: [Character] = []
            for (op, x) in zip(operators, operands.dropFirst()) {
                if op == "*" || op == "/" {
                    guard let v = StepChecker.apply(op, terms[terms.count - 1], x) else { return nil }
                    terms[terms.count - 1] = v
                } else {
                    terms.append(x)
                    signs.append(op)
                }
            }
            return zip(signs, terms.dropFirst()).reduce(terms[0]) { $1.0 == "+" ? $0 + $1.1 : $0 - $1.1 }
        }

        /// Exact for a whole-number result; a result written with decimals may be rounded to them.
        public var isRight: Bool {
            guard let value else { return false }
            let rounding = resultDecimals > 0 ? 0.5 * pow(10, -Double(resultDecimals)) : 0
            return abs(value - result) <= rounding + 1e-9 * max(1, abs(value))
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
            guard let first = Double(part(1)), let result = Double(part(3)) else { return nil }
            let written = part(3), decimals = written.firstIndex(of: ".").map { written.distance(from: $0, to: written.endIndex) - 1 } ?? 0
            let tail = unitWord.stringByReplacingMatches(
                in: part(2), range: NSRange(location: 0, length: (part(2) as NSString).length), withTemplate: "")
            let tns = tail as NSString
            var operands = [first], operators: [Character] = []
            for o in operation.matches(in: tail, range: NSRange(location: 0, length: tns.length)) {
                guard let x = Double(tns.substring(with: o.range(at: 2))) else { return nil }
                let symbol = tns.substring(with: o.range(at: 1))
                let op: Character = switch symbol { case "×", "x": "*"; case "÷": "/"; default: Character(symbol) }
                operators.append(op)
                operands.append(x)
            }
            return Calculation(operands: operands, operators: operators, result: result, resultDecimals: decimals)
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

        /// Verdicts for the calculations of a solution, in order: each must carry on the chain from the
        /// running value with its next operation(s) (a line may do several at once, as "6 + 0 + 2 = 8"; the
        /// operands of a single + or * in either order), with the right result. After a wrong one nothing
        /// is right; calculations beyond the chain are judged alone.
        public func verdicts(_ calculations: [Calculation]) -> [Verdict] {
            var value = numbers[0], position = 0
            var onTrack = true
            return calculations.map { c in
                guard position < operators.count else { return c.isRight ? .correct : .wrong }
                let m = c.operators.count
                let end = min(position + m, operators.count)
                var expected = value
                for k in position..<end { expected = StepChecker.apply(operators[k], expected, numbers[k + 1]) ?? .nan }
                var follows = position + m <= operators.count && Array(operators[position..<end]) == c.operators
                    && c.operands == [value] + Array(numbers[(position + 1)...end])
                if m == 1, position < operators.count, operators[position] == "+" || operators[position] == "*" {
                    follows = follows || (c.op == operators[position] && c.left == numbers[position + 1] && c.right == value)
                }
                defer {
                    value = expected
                    position = end
                }
                guard onTrack, follows, c.isRight else { onTrack = false; return .wrong }
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
