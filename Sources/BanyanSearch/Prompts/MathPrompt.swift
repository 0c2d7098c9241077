import BanyanTokenizer
import Foundation

/// The prompt that makes a small model usable on arithmetic: a chat turn with worked examples in the
/// step format the checker reads (one `x op y = z` calculation per line, then `Answer: N`). The 135M
/// default model rambles zero-shot but follows this format. Users can give their own system text and
/// examples.
public struct MathPrompt: Sendable, Equatable {
    public struct Example: Sendable, Equatable, Codable {
        public var question: String
        public var solution: String
        public init(question: String, solution: String) {
            self.question = question
            self.solution = solution
        }
    }

    public var system: String
    public var examples: [Example]

    public init(system: String = MathPrompt.defaultSystem, examples: [Example] = MathPrompt.defaultExamples) {
        self.system = system
        self.examples = examples
    }

    public static let defaultSystem = "Solve the problem. Write one calculation per line, then the answer as Answer: N."

    public static let defaultExamples = [
        Example(question: "What is 8 - 3 + 4?", solution: "8 - 3 = 5\n5 + 4 = 9\nAnswer: 9"),
        Example(question: "Tom has 6 apples. He buys 7 more and eats 2. How many apples does he have?",
                solution: "6 + 7 = 13\n13 - 2 = 11\nAnswer: 11"),
    ]

    /// Worked examples from JSON Lines, one `{"question": …, "solution": …}` per line.
    public static func examples(jsonLines text: String, source: String) throws(ProblemSetError) -> [Example] {
        var examples: [Example] = []
        for (i, line) in text.split(whereSeparator: \.isNewline).enumerated() where !line.allSatisfy(\.isWhitespace) {
            guard let e = try? JSONDecoder().decode(Example.self, from: Data(line.utf8)) else {
                throw .badSpec(source, reason: "line \(i + 1) is not a worked example {\"question\": …, \"solution\": …}")
            }
            examples.append(e)
        }
        return examples
    }

    /// The conversation up to the start of the assistant's solution, rendered with the model's template.
    public func render(question: String, template: ChatTemplate) -> String {
        var messages = [ChatMessage(role: "system", content: system)]
        for e in examples {
            messages.append(ChatMessage(role: "user", content: e.question))
            messages.append(ChatMessage(role: "assistant", content: e.solution))
        }
        messages.append(ChatMessage(role: "user", content: question))
        return template.render(messages, addGenerationPrompt: true)
    }
}
