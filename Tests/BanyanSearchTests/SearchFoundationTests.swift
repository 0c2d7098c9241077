import Banyan
import BanyanSearch
import BanyanTestSupport
import Foundation
import Testing

@Suite struct AnswerTests {
    @Test(arguments: [
        ("so the total is \\boxed{\\frac{3}{4}}.", "\\frac{3}{4}"),
        ("first \\boxed{2} then \\boxed{ {7} }", "{7}"),
        ("The answer is 1,234.", "1,234"),
        ("Answer: 6, because 7 - 1 = 6", "6"),
        ("Natalia sold 48/2 = 24 clips.\n#### 72", "72"),
        ("8 - 3 = 5\n5 + 4 = 9\nAnswer: 9", "9"),
        ("He pays $12.50 in all, and then 3 more", "3"),
        ("no numbers here", nil),
    ] as [(String, String?)])
    func extraction(text: String, expected: String?) throws {
        #expect(AnswerExtraction.extract(text) == expected)
    }

    @Test func equivalence() throws {
        #expect(AnswerEquivalence.equivalent("1,234", "1234"))
        #expect(AnswerEquivalence.equivalent("0.75", "\\frac{3}{4}"))
        #expect(AnswerEquivalence.equivalent("3/4", "0.75"))
        #expect(AnswerEquivalence.equivalent("50%", "50"))
        #expect(AnswerEquivalence.equivalent("50%", "0.5"))
        #expect(AnswerEquivalence.equivalent("-7", "-7.0"))
        #expect(!AnswerEquivalence.equivalent("7", "8"))
        #expect(!AnswerEquivalence.equivalent("12", "1.2"))
        #expect(AnswerEquivalence.equivalent("\\left( 3, \\frac{\\pi}{2} \\right)", "( 3, \\frac{\\pi}{2} )"))
        #expect(AnswerEquivalence.key("1,000") == AnswerEquivalence.key("1000.0"))
    }
}

@Suite struct ArithmeticSourceTests {
    @Test func problemsAreSeededAndTheirAnswersRight() throws {
        let a = try ProblemSet.load("arith:operands=3,digits=1,ops=+-,count=50,seed=7")
        let b = try ProblemSet.load("arith:operands=3,digits=1,ops=+-,count=50,seed=7")
        let c = try ProblemSet.load("arith:operands=3,digits=1,ops=+-,count=50,seed=8")
        #expect(a == b && a != c && a.count == 50)
        for p in a {
            // "What is 7 + 4 - 2?": evaluate left to right.
            let tokens = p.question.dropFirst(8).dropLast().split(separator: " ").map(String.init)
            var value = Int(tokens[0])!
            for i in stride(from: 1, to: tokens.count, by: 2) {
                value = tokens[i] == "+" ? value + Int(tokens[i + 1])! : value - Int(tokens[i + 1])!
                #expect(value >= 0, "running value below zero in \(p.question)")
            }
            #expect(String(value) == p.answer, "\(p.question)")
        }
        let signed = try ProblemSet.load("arith:operands=4,digits=1,ops=-,count=50,seed=7,negatives=true")
        #expect(signed.contains { $0.answer.hasPrefix("-") })
        let two = try ProblemSet.load("arith:operands=4,digits=2,ops=*,count=5,seed=1")
        #expect(two.allSatisfy { $0.question.contains("*") && $0.question.split(separator: " ").count == 9 })
    }

    @Test(arguments: ["arith:operands=1", "arith:digits=x", "arith:ops=/", "arith:color=red", "arith:count", "arith:negatives=maybe"])
    func badSpecsAreClearErrors(spec: String) throws {
        #expect(throws: ProblemSetError.self) { try ProblemSet.load(spec) }
    }

    @Test func sharedDataSetsLoad() throws {
        let singleop = try ProblemSet.load(TestModel.dataSet("singleop.jsonl"))
        #expect(singleop.count == 562 && singleop[0].answer == "14")
        let math = try ProblemSet.load(TestModel.dataSet("math500.jsonl"))
        #expect(math.count == 500)
        #expect(throws: ProblemSetError.self) { try ProblemSet.load("/nonexistent.jsonl") }
    }
}

@Suite struct StepTests {
    @Test func checkerLabelsEachCalculation() throws {
        #expect(StepChecker.verdict("8 - 3 = 5") == .correct)
        #expect(StepChecker.verdict("8 - 3 = 6") == .wrong)
        #expect(StepChecker.verdict("6 × 7 = 42\n42 / 6 = 7") == .correct)
        #expect(StepChecker.verdict("6 x 7 = 42\n42 + 1 = 44") == .wrong)
        #expect(StepChecker.verdict("Answer: 9") == .none)
        #expect(StepChecker.verdict("-3 + 5 = 2") == .correct)
        #expect(StepChecker.verdict("5 / 0 = 1") == .wrong)
        // A whole expression on one line is one calculation (not its tail "0 + 2 = 8"), with precedence.
        #expect(StepChecker.verdict("6 + 0 + 2 = 8") == .correct)
        #expect(StepChecker.verdict("6 + 0 + 2 = 2") == .wrong)
        #expect(StepChecker.verdict("2 + 3 * 4 = 14") == .correct)
        #expect(StepChecker.verdict("9 - 4 - 2 = 3") == .correct)
        #expect(StepChecker.parse("6 + 0 + 2 = 8").map(\.operands) == [[6, 0, 2]])
    }

    /// Lines the default model wrote on training word problems (ASDiv), with unit words and "$" around
    /// the numbers: the checker reads them as calculations instead of passing them as prose.
    @Test func checkerReadsCalculationsWithUnits() throws {
        #expect(StepChecker.verdict("She lost 15 marbles - 38 marbles = 26 marbles") == .wrong)
        #expect(StepChecker.verdict("They spent 7 bird exhibits * 9 minutes = 67 minutes") == .wrong)
        #expect(StepChecker.verdict("They have 8 sets of tables * 7 chairs per set = 56 chairs") == .correct)
        #expect(StepChecker.parse("They have 8 sets of tables * 7 chairs per set = 56 chairs").map(\.operands) == [[8, 7]])
        let money = try #require(StepChecker.parse("She rented 4 different costumes * $2.00 = $8.00").first)
        #expect(money.operands == [4, 2] && money.operators == ["*"] && money.result == 8 && money.isRight)
        // Only three words may sit between a number and the next operator, so "1 hour and" is not an operand.
        #expect(StepChecker.parse("1 hour and 30 minutes * 45 minutes = 625 minutes").map(\.operands) == [[30, 45]])
        // The "x" that ends a unit word is not an operator; the word "x" is.
        #expect(StepChecker.parse("2 boxes x 3 = 6").map(\.operators) == [["*"]])
        #expect(StepChecker.parse("12 box - 2 box = 10").map(\.operators) == [["-"]])
        #expect(StepChecker.verdict("12 box - 2 box = 10") == .correct)
        // Unit words do not reach across lines.
        #expect(StepChecker.parse("I have 9\napples and 2 = 11").isEmpty)
        // A result written with decimals may be rounded to them; a whole-number result must be exact.
        #expect(StepChecker.verdict("Total time spent = 600 minutes / 45 minutes  = 13.33") == .correct)
        #expect(StepChecker.verdict("600 / 45 = 13.3") == .correct)
        #expect(StepChecker.verdict("600 / 45 = 13.4") == .wrong)
        #expect(StepChecker.verdict("600 / 45 = 13") == .wrong)
        #expect(StepChecker.verdict("10 / 4 = 2.5") == .correct)
    }

    @Test func chainCheckerWantsTheQuestionsOperations() throws {
        let chain = try #require(StepChecker.Chain(question: "What is 6 + 3 - 4?"))
        #expect(chain.numbers == [6, 3, 4] && chain.operators == ["+", "-"])
        func verdicts(_ text: String) -> [StepChecker.Verdict] { chain.verdicts(StepChecker.parse(text)) }
        #expect(verdicts("6 + 3 = 9\n9 - 4 = 5\nAnswer: 5") == [.correct, .correct])
        #expect(verdicts("3 + 6 = 9\n9 - 4 = 5") == [.correct, .correct], "+ commutes")
        #expect(verdicts("6 + 3 = 9\n9 - 1 = 8") == [.correct, .wrong], "right arithmetic, wrong operand")
        #expect(verdicts("6 + 3 = 8\n8 - 4 = 4") == [.wrong, .wrong], "nothing after a wrong line is right")
        #expect(verdicts("6 + 3 = 9\n4 - 9 = -5") == [.correct, .wrong], "- does not commute")
        #expect(verdicts("6 - 3 = 3\n3 - 4 = -1") == [.wrong, .wrong], "wrong operator")
        #expect(verdicts("6 + 3 - 4 = 5\nAnswer: 5") == [.correct], "the whole chain on one line")
        #expect(verdicts("6 + 3 - 4 = 6") == [.wrong])
        #expect(verdicts("6 + 3 = 9\n9 - 4 + 1 = 6") == [.correct, .wrong], "beyond the chain")
        #expect(StepChecker.Chain(question: "Tom has 6 apples. How many?") == nil)
        #expect(chain.value == 5)
        func steps(_ lines: [String]) -> [SolutionStep] { lines.map { SolutionStep(tokens: [1], text: $0, meanLogProbability: 0) } }
        let drift = steps(["6 + 3 = 9\n", "9 - 1 = 8\n", "Answer: 8"])
        #expect(ChainCheckerScorer(question: "What is 6 + 3 - 4?").scores(drift, text: "", finished: true) == [1, 0, 0])
        #expect(CheckerScorer().scores(drift, text: "", finished: true) == [1, 1, 1], "the arithmetic checker sees only sums")
        let early = steps(["6 + 3 = 9\n", "Answer: 9"])
        #expect(ChainCheckerScorer(question: "What is 6 + 3 - 4?").scores(early, text: "", finished: true) == [1, 0], "stopping early")
        let right = steps(["6 + 3 = 9\n", "9 - 4 = 5\n", "Answer: 5"])
        #expect(ChainCheckerScorer(question: "What is 6 + 3 - 4?").scores(right, text: "", finished: true) == [1, 1, 1])
        #expect(ChainCheckerScorer(question: "Tom has 6 apples.").scores(drift, text: "", finished: true) == [1, 1, 1])
    }

    @Test func delimiterFoundInsideAndAcrossTokens() throws {
        func feed(_ delimiter: String, _ tokens: [String]) -> [Bool] {
            var d = StepDelimiter(delimiter)
            return tokens.map { d.append(Array($0.utf8)) }
        }
        // Inside one token; split across two; newlines separated by text are no blank line.
        #expect(feed("\n\n", ["The sum", " is 5.\n\nNext", "Then\n", "\n", "a\n", "b\n"]) == [false, true, false, true, false, false])
        #expect(feed("\n", ["8 - 3 = 5", "\n", "5 + 4", " = 9\nAnswer"]) == [false, true, false, true])
        // After a step ends, its bytes do not count toward the next delimiter.
        #expect(feed("\n\n", ["x\n\n", "\n", "y"]) == [true, false, false])
    }
}

@Suite struct EvaluationTests {
    @Test func wilsonIntervals() throws {
        let half = Proportion(hits: 10, total: 20)
        #expect(abs(half.low - 0.2993) < 1e-3 && abs(half.high - 0.7007) < 1e-3)
        let none = Proportion(hits: 0, total: 20)
        #expect(none.low == 0 && abs(none.high - 0.1611) < 1e-3)
        #expect(Proportion(hits: 0, total: 0).value == 0)
    }

    @Test func recordsAndSummaryCountEveryRuleAndBudget() throws {
        func solution(_ answer: String, _ score: Double) -> Solution {
            Solution(steps: [], text: "Answer: \(answer)", answer: answer, score: score, end: .endOfGeneration)
        }
        let solutions = [solution("5", 0), solution("4", 1), solution("5", 0), solution("3", 0)]
        let result = SearchResult(strategy: .bestOfN, solutions: solutions,
                                  picks: SearchResult.picks(solutions, budgets: SearchResult.powersOfTwo(upTo: 4)),
                                  accounting: SearchAccounting(tokensPrefilled: 10, tokensDecoded: 40))
        let right = EvaluationRecord(problem: Problem(id: "a", question: "q", answer: "4"), result: result)
        #expect(right.coverage)
        #expect(right.isCorrect(.weighted, budget: 4) && right.isCorrect(.vanilla, budget: 2))
        #expect(!right.isCorrect(.majority, budget: 4) && !right.isCorrect(.weighted, budget: 1))
        let wrong = EvaluationRecord(problem: Problem(id: "b", question: "q", answer: "7"), result: result)
        #expect(!wrong.coverage)
        let back = try EvaluationRecord.read(right.jsonLine + "\n" + wrong.jsonLine + "\n", source: "test")
        #expect(back == [right, wrong])
        let summary = EvaluationSummary(back)
        #expect(summary.problems == 2 && summary.tokensDecoded == 80 && summary.coverage.hits == 1)
        #expect(summary.accuracy["weighted"]?[4]?.hits == 1 && summary.accuracy["majority"]?[4]?.hits == 0)
        #expect(summary.accuracy["vanilla"]?[1]?.hits == 0 && summary.accuracy["vanilla"]?.keys.sorted() == [1, 2, 4])
    }
}
