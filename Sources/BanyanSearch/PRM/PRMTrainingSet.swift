/// Labelled solutions from one or more problem sets, split by problem into training and held-out parts
/// (the last `holdout` fraction of each set's problems), with problems that also appear in an evaluation
/// set dropped before anything is split: a head must never see a problem it is measured on later.
public struct PRMTrainingSet: Sendable {
    public var train: [PRMExample] = []
    public var test: [PRMExample] = []
    /// Training problems dropped because an evaluation set has the same question.
    public var excluded = 0

    /// `sources`: each set's examples (problem indices into its own problems) and problems.
    public init(sources: [(examples: [PRMExample], problems: [Problem])], holdout: Double, excluding questions: Set<String> = []) {
        var offset = 0
        for (examples, problems) in sources {
            let cut = Int(Double(problems.count) * (1 - holdout))
            let banned = Set(problems.indices.filter { questions.contains(PRMTrainingSet.normalized(problems[$0].question)) })
            excluded += banned.count
            for var e in examples where !banned.contains(e.problem) {
                let held = e.problem >= cut
                e.problem += offset
                if held { test.append(e) } else { train.append(e) }
            }
            offset += problems.count
        }
    }

    /// Questions compared without case or spacing differences.
    public static func normalized(_ question: String) -> String {
        question.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
