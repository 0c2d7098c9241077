import BanyanSearch
import BanyanTestSupport
import Foundation
import Testing

/// The word-problem verifier that catches the wrong operation: labels derived from answers, the words it
/// reads, the shipped table reproduced from the training stories, and its verdicts on stories it never saw.
@Suite struct OperationCuesTests {
    /// The sets only evaluated on (`data/README.md`): their questions never reach the training stories.
    static let evaluationSets = ["singleop.jsonl", "singleeq.jsonl", "svamp.jsonl", "multiarith.jsonl", "gsm8k_test.jsonl", "math500.jsonl"]

    /// What the shipped table is learned from: ASDiv and AddSub without any evaluation question.
    static func trainingStories() throws -> [Problem] {
        let held = Set(try evaluationSets.flatMap { try ProblemSet.load(TestModel.dataSet($0)) }.map { PRMTrainingSet.normalized($0.question) })
        return try ["asdiv.jsonl", "addsub.jsonl"].flatMap { try ProblemSet.load(TestModel.dataSet($0)) }
            .filter { !held.contains(PRMTrainingSet.normalized($0.question)) }
    }

    @Test func labelsComeFromTheAnswerWhenExactlyOneOperationFits() {
        #expect(OperationCues.label(question: "Jose starts with 7 bottle caps. He gets 2 more. How many does he end with?", answer: "9") == "+")
        #expect(OperationCues.label(question: "Tom had 12 apples and gave 5 away. How many are left?", answer: "7") == "-")
        #expect(OperationCues.label(question: "There are 3 boxes with 4 pens each. How many pens?", answer: "12") == "*")
        #expect(OperationCues.label(question: "Share 12 sweets among 4 children. How many each?", answer: "3") == "/")
        // 2 + 2 = 2 × 2: ambiguous, not a training story; three numbers: not a two-number story.
        #expect(OperationCues.label(question: "Ann has 2 cats and 2 dogs. How many pets?", answer: "4") == nil)
        #expect(OperationCues.label(question: "Ann has 2 cats, 3 dogs and 1 fish. How many pets?", answer: "6") == nil)
    }

    @Test func featuresReadTheWholeQuestionAndItsLastSentence() {
        let f = OperationCues.features("Tom had 12 apples. How many are left?")
        #expect(f.contains("tom") && f.contains("had_apples") && f.contains("left"))
        #expect(f.contains("L:how_many") && f.contains("L:left") && !f.contains("L:tom"))
        #expect(OperationCues.features("No end mark here").contains("L:end_mark"))
    }

    /// The shipped table is exactly what `learn` gives on the training stories. With
    /// `BANYAN_WRITE_OPERATION_CUES=PATH` the learned table is written there first (to regenerate it).
    @Test func shippedTableIsLearnedFromTheTrainingStories() throws {
        let stories = try Self.trainingStories()
        let learned = OperationCues.learn(stories, source: "data/asdiv.jsonl + data/addsub.jsonl, without evaluation-set questions")
        if let path = ProcessInfo.processInfo.environment["BANYAN_WRITE_OPERATION_CUES"] { try learned.write(toFile: path) }
        #expect(learned.stories.reduce(0, +) > 600, "hundreds of labelled two-number stories: \(learned.stories)")
        #expect(try OperationCues.shipped() == learned)
    }

    /// Five-fold cross-validation on the training stories: the operation is predicted far above the most
    /// common operation's share, and the tempered probabilities are roughly calibrated.
    @Test func predictsTheOperationOfStoriesItWasNotLearnedFrom() throws {
        let labelled = try Self.trainingStories().filter { OperationCues.label(question: $0.question, answer: $0.answer) != nil }
        var right = 0, confidence = 0.0
        for fold in 0..<5 {
            let test = labelled.indices.filter { $0 % 5 == fold }
            let cues = OperationCues.learn(labelled.indices.filter { $0 % 5 != fold }.map { labelled[$0] })
            for i in test {
                let p = cues.probabilities(labelled[i].question)
                let best = p.indices.max { p[$0] < p[$1] }!
                right += OperationCues.operations[best] == OperationCues.label(question: labelled[i].question, answer: labelled[i].answer) ? 1 : 0
                confidence += p[best]
            }
        }
        let accuracy = Double(right) / Double(labelled.count), meanConfidence = confidence / Double(labelled.count)
        let commonest = Double(OperationCues.learn(labelled).stories.max()!) / Double(labelled.count)
        print("operation cues, 5-fold: accuracy \(accuracy), mean confidence \(meanConfidence), commonest operation \(commonest)")
        #expect(accuracy > commonest + 0.25)
        #expect(abs(meanConfidence - accuracy) < 0.1)
    }

    @Test func theWrongOperationScoresBelowTheRightOne() throws {
        let question = "Sara had 12 balloons. She gave 5 of them to her friend. How many balloons does Sara have left?"
        let scorer = OperationScorer(question: question, cues: try OperationCues.shipped())
        func score(_ lines: [String]) -> Double {
            let steps = lines.map { SolutionStep(tokens: [], text: $0, meanLogProbability: 0) }
            return scorer.scores(steps, text: lines.joined(separator: "\n"), finished: true).min()!
        }
        let right = score(["12 - 5 = 7", "The answer is 7."]), wrong = score(["12 + 5 = 17", "The answer is 17."])
        #expect(right == 1 && wrong < 0.5, "right \(right), wrong \(wrong)")
        #expect(score(["12 - 5 = 8", "The answer is 8."]) == 0, "bad arithmetic still scores 0 (provenance)")
        // Three numbers: the cues do not apply, provenance alone decides.
        #expect(OperationScorer(question: "Ann has 2 cats, 3 dogs and 1 fish. How many pets?", cues: try OperationCues.shipped()).weights == nil)
    }
}
