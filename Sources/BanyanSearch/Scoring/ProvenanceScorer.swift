import Foundation

/// A verifier for word problems that knows no answer: it checks where a solution's numbers come from.
/// The arithmetic checker catches a wrong sum but not a right sum of the wrong numbers; most errors of a
/// small model on one- and two-step stories are of that kind (an invented quantity, a number copied
/// wrong, a result that is not what the answer states). Per step:
///
/// - a calculation that does not add up scores 0;
/// - a calculation with an operand that is neither a number of the question (digits or number words
///   such as "five", "dozen", "twice", "half") nor the result of an earlier calculation scores 0;
/// - the answer step scores 0 when the stated answer is neither the result of a calculation nor a number
///   of the question, and ½ when the solution used fewer of the question's numbers than the question
///   needs (two, when it has two or more: a one-number "solution" of a story problem is a copied
///   number); otherwise 1;
/// - prose steps score 1.
///
/// It does not know which operation the story needs: "12 + 5 = 17" for a "how many are left?" question
/// passes. It is not an oracle: it reads the question and the solution only.
public struct ProvenanceScorer: StepScorer {
    public let name = "provenance"
    /// The question's numbers.
    public let given: [Double]

    public init(question: String) { given = ProvenanceScorer.numbers(in: question) }

    static let digits = try! NSRegularExpression(pattern: #"\d[\d,]*(?:\.\d+)?"#)
    static let words: [String: [Double]] = [
        "one": [1], "two": [2], "three": [3], "four": [4], "five": [5], "six": [6], "seven": [7], "eight": [8], "nine": [9],
        "ten": [10], "eleven": [11], "twelve": [12], "fifteen": [15], "twenty": [20], "thirty": [30], "fifty": [50], "hundred": [100],
        "dozen": [12], "dozens": [12], "twice": [2], "double": [2], "doubled": [2], "doubles": [2], "triple": [3], "tripled": [3], "halved": [2, 0.5], "thrice": [3], "half": [2, 0.5], "quarter": [4, 0.25],
        "week": [7], "weeks": [7], "hour": [60], "hours": [60], "pair": [2], "pairs": [2],
    ]

    /// Every number a question states: written in digits (commas allowed) or as a number word.
    public static func numbers(in text: String) -> [Double] {
        var found = digitNumbers(in: text)
        for word in text.lowercased().split(whereSeparator: { !$0.isLetter }) {
            found += words[String(word)] ?? []
        }
        return found
    }

    /// The numbers a question writes in digits, in order (commas allowed).
    public static func digitNumbers(in text: String) -> [Double] {
        let ns = text as NSString
        return digits.matches(in: text, range: NSRange(location: 0, length: ns.length)).compactMap {
            Double(ns.substring(with: $0.range).replacingOccurrences(of: ",", with: ""))
        }
    }

    static func contains(_ values: [Double], _ x: Double) -> Bool {
        values.contains { abs($0 - x) <= 1e-9 * max(1, abs(x)) }
    }

    public func scores(_ steps: [SolutionStep], text: String, finished: Bool) -> [Double] {
        var known = given
        var usedGiven = Set<Int>()
        var results: [Double] = []
        let needed = min(2, Set(given).count)
        return steps.map { step in
            let calculations = StepChecker.parse(step.text)
            var score = 1.0
            for c in calculations {
                if !c.isRight { score = 0 }
                for x in c.operands {
                    if let i = given.firstIndex(where: { abs($0 - x) <= 1e-9 * max(1, abs(x)) }) { usedGiven.insert(i); continue }
                    if !ProvenanceScorer.contains(known, x) { score = 0 }
                }
                known.append(c.result)
                results.append(c.result)
            }
            if calculations.isEmpty, step.text.range(of: "answer", options: .caseInsensitive) != nil,
               let stated = AnswerExtraction.extract(step.text), let value = Double(stated.replacingOccurrences(of: ",", with: "")) {
                if !ProvenanceScorer.contains(results, value) && !ProvenanceScorer.contains(given, value) {
                    score = 0
                } else if Set(usedGiven.map { given[$0] }).count < needed {
                    score = 0.5
                }
            }
            return score
        }
    }
}
