import BanyanGeneration

/// Synthetic arithmetic chains with difficulty knobs, e.g. `arith:operands=3,digits=1,ops=+-,count=200,seed=7`:
/// "What is 7 + 4 - 2?" with answer 9. Every intermediate result can be checked exactly, so a step
/// checker gives true process labels, and difficulty can be dialed to where search matters.
public struct ArithmeticSource: Sendable, Equatable {
    /// Numbers in the chain (≥ 2).
    public var operands = 3
    /// Digits per number (1 gives 0–9, 2 gives 10–99, …).
    public var digits = 1
    /// Operators drawn from: + - * (× also accepted).
    public var operators: [Character] = ["+", "-"]
    public var count = 200
    public var seed: UInt64 = 7
    /// Whether running values may go below zero. Off by default: a subtraction draws a number no larger
    /// than the running value (as the prior calibration did), since the small model cannot do negatives.
    public var negatives = false

    public init() {}

    public init(spec: String) throws(ProblemSetError) {
        let body = spec.hasPrefix("arith:") ? String(spec.dropFirst(6)) : ""
        for item in body.split(separator: ",") where !item.isEmpty {
            let kv = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw .badSpec(spec, reason: "\(item) is not key=value") }
            let (key, value) = (kv[0], kv[1])
            func int(_ range: ClosedRange<Int>) throws(ProblemSetError) -> Int {
                guard let v = Int(value), range.contains(v) else {
                    throw .badSpec(spec, reason: "\(key) must be an integer in \(range.lowerBound)...\(range.upperBound)")
                }
                return v
            }
            switch key {
            case "operands": operands = try int(2...12)
            case "digits": digits = try int(1...6)
            case "count": count = try int(1...1_000_000)
            case "negatives":
                guard let v = Bool(value) else { throw .badSpec(spec, reason: "negatives takes true or false") }
                negatives = v
            case "seed":
                guard let v = UInt64(value) else { throw .badSpec(spec, reason: "seed must be a non-negative integer") }
                seed = v
            case "ops":
                let ops = value.map { $0 == "×" ? "*" : $0 }
                guard !ops.isEmpty, ops.allSatisfy({ "+-*".contains($0) }) else {
                    throw .badSpec(spec, reason: "ops takes characters from + - * (for example ops=+-)")
                }
                operators = Array(Set(ops)).sorted()
            default:
                throw .badSpec(spec, reason: "unknown key \(key) (operands, digits, ops, count, seed, negatives)")
            }
        }
    }

    /// The problems, the same for the same settings. Chains are evaluated left to right, which is how
    /// the prompt's worked examples compute them (one operation per line).
    public func problems() -> [Problem] {
        var random = SeededRandom(seed: seed)
        let low = digits == 1 ? 0 : Int(pow10(digits - 1)), high = Int(pow10(digits)) - 1
        return (0..<count).map { i in
            var numbers = [low + Int(random.next() % UInt64(high - low + 1))]
            var ops: [Character] = []
            var value = numbers[0]
            for _ in 1..<operands {
                var op = operators[Int(random.next() % UInt64(operators.count))]
                var n = low + Int(random.next() % UInt64(high - low + 1))
                if op == "-" && !negatives && n > value {
                    // Keep the running value ≥ 0: a smaller number if one has the digits, else add.
                    if value >= low { n = low + Int(random.next() % UInt64(value - low + 1)) } else { op = "+" }
                }
                ops.append(op)
                numbers.append(n)
                value = ArithmeticSource.apply(op, value, n)
            }
            var expression = "\(numbers[0])"
            for (op, n) in zip(ops, numbers.dropFirst()) { expression += " \(op) \(n)" }
            return Problem(id: "arith-\(seed)-\(i)", question: "What is \(expression)?", answer: String(value))
        }
    }

    static func apply(_ op: Character, _ a: Int, _ b: Int) -> Int {
        switch op {
        case "+": return a + b
        case "-": return a - b
        default: return a * b
        }
    }

    private func pow10(_ n: Int) -> Double { (0..<n).reduce(1.0) { r, _ in r * 10 } }
}
