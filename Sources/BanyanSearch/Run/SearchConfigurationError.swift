/// Why a search could not be set up. Each message says what to change.
public enum SearchConfigurationError: Error, Equatable, CustomStringConvertible {
    case badPRM(String, String)
    case outOfRange(String, String)
    case needsExpectedAnswer
    case noChatTemplate
    case noDefaultHead
    case noAutoTable
    case noShippedAutoTable(prm: String, shipped: [String])
    case unreadable(String)
    case badAutoTable(path: String, detail: String)
    case autoTableScorer(path: String, learnedWith: String, given: String)
    case unknownStrategyInTable(path: String, strategy: String)
    case badExamples(String)

    public var description: String {
        switch self {
        case .badPRM(let text, let why): return "bad --prm \"\(text)\": \(why)"
        case .outOfRange(let name, let why): return "\(name) \(why)"
        case .needsExpectedAnswer: return "--prm verifier needs the expected answer (--expected ANSWER, or a data set with answers)"
        case .noChatTemplate: return "this model has no chat template Banyan knows (ChatML or Llama 3)"
        case .noDefaultHead: return "no default PRM head is installed; give --prm head:PATH (from banyan train-prm)"
        case .noAutoTable: return "no auto table is installed; make one with banyan auto-table and give --auto-table FILE"
        case .noShippedAutoTable(let prm, let shipped):
            return "no auto table is shipped for --prm \(prm) (shipped: \(shipped.joined(separator: ", "))); give one of those --prm, "
                + "or learn a table with banyan auto-table and give --auto-table FILE"
        case .unreadable(let path): return "cannot read \(path)"
        case .badAutoTable(let path, let detail): return "\(path) is not an auto table (banyan auto-table writes one): \(detail)"
        case .autoTableScorer(let path, let learned, let given):
            return "the auto table \(path) was learned with --prm \(learned), not \(given); give that --prm or another --auto-table"
        case .unknownStrategyInTable(let path, let strategy):
            return "the auto table \(path) names strategy \"\(strategy)\", which is not best-of-n, beam, dvts or particles"
        case .badExamples(let why): return why
        }
    }
}
