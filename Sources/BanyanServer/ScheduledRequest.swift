import Banyan

/// A generation request on the engine thread, and where it is in its life.
final class ScheduledRequest {
    enum State {
        /// Its prompt is being computed in this step, into this sequence (forked from a cached prefix or new).
        case prefilling(SequenceID)
        /// Its choices each sample one token per step.
        case decoding
        /// Answered (completed, failed or cancelled), holding no sequence; dropped from the running list.
        case done
    }

    let job: Job
    var state: State
    /// Prompt tokens the prefix cache supplied.
    var cachedTokens = 0
    var choices: [Choice] = []
    var sawFirstToken = false

    init(job: Job, prompt: SequenceID, cachedTokens: Int) {
        self.job = job
        state = .prefilling(prompt)
        self.cachedTokens = cachedTokens
    }

    var request: GenerationRequest { job.request }

    var isDone: Bool { if case .done = state { return true } else { return false } }

    /// Decoding and every choice has ended: ready to answer.
    var isComplete: Bool {
        if case .decoding = state { return choices.allSatisfy { $0.finish != nil } }
        return false
    }

    /// Sequences it holds or will hold while it runs.
    var liveSequences: Int {
        switch state {
        case .prefilling: return request.width
        case .decoding: return choices.filter { $0.finish == nil }.count
        case .done: return 0
        }
    }
}

/// One choice of a running request: its sequence, sampler and the text so far.
struct Choice {
    var index: Int
    var sequence: SequenceID
    var sampler: Sampler
    /// The logits its next token is sampled from (the last step's row).
    var logits: [Float] = []
    var stream: TextStream
    var tokens: [Int32] = []
    var logprobs: [TokenLogprob] = []
    var text = ""
    var cumulativeLogprob = 0.0
    var finish: String?
    var lastToken = ContinuousClock.now
}
