import Banyan

/// One token's log-probability and the most likely alternatives, as the API reports them.
struct TokenLogprob: Sendable {
    var token: String
    var bytes: [UInt8]
    var logprob: Double
    var top: [(token: String, bytes: [UInt8], logprob: Double)]
}

/// A finished choice.
struct FinishedChoice: Sendable {
    var index: Int
    var text: String
    var finishReason: String
    var logprobs: [TokenLogprob]
    var tokens: Int
    /// Cumulative log-probability (best_of ranks by it) or a search score.
    var score: Double?
    var answer: String?
}

struct Usage: Sendable {
    var promptTokens: Int
    var completionTokens: Int
    var cachedTokens: Int
}

/// What the engine loop reports about one request, in order.
enum ServerEvent {
    /// Text that became safe to show, for one choice, with its tokens' log-probabilities.
    case text(choice: Int, text: String, logprobs: [TokenLogprob])
    case finished(choice: Int, reason: String)
    /// The request is done: the choices to return (ranked for best_of, beam and search), and the usage.
    case completed(choices: [FinishedChoice], usage: Usage, search: [String: Any]?)
    case failed(APIError)
}

extension ServerEvent: @unchecked Sendable {}  // the search summary is a JSON dictionary of plain values
