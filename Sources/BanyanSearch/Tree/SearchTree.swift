/// Everything one search explored for one problem: a node per step (the root is the prompt), with its
/// tokens, text, score, fate and the KV pages its tokens live in. Forked siblings share their parent's
/// pages, which the tree makes visible.
public struct SearchTree: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        /// Still part of a live or finished path.
        case kept
        /// Not among the best when the search chose which branches to grow.
        case pruned
        /// The last step of a finished solution.
        case completed
        /// A greedy look-ahead step, scored and discarded.
        case lookahead
    }

    public struct Node: Sendable, Codable, Equatable {
        public var id: Int
        public var parent: Int?
        public var children: [Int] = []
        public var depth: Int
        public var tokens: [Int32] = []
        public var text = ""
        public var score: Double?
        public var meanLogProbability: Double?
        /// The lowest log-probability of the step's tokens.
        public var minLogProbability: Double?
        public var status: Status = .kept
        /// Pages of the KV cache that hold this step's tokens (shared pages appear under several nodes).
        public var kvPages: [Int32] = []
        /// The answer of the solution this node completes.
        public var answer: String?

        enum CodingKeys: String, CodingKey {
            case id, parent, children, depth, tokens, text, score, status, answer
            case meanLogProbability = "mean_logprob", minLogProbability = "min_logprob", kvPages = "kv_pages"
        }
    }

    public private(set) var nodes: [Node]

    /// A tree holding only the prompt.
    public init(promptTokens: Int) {
        nodes = [Node(id: 0, parent: nil, depth: 0, text: "(prompt: \(promptTokens) tokens)")]
    }

    public static let root = 0

    /// A new empty node under `parent`; returns its id.
    mutating func add(under parent: Int, status: Status = .kept) -> Int {
        let id = nodes.count
        nodes.append(Node(id: id, parent: parent, depth: nodes[parent].depth + 1, status: status))
        nodes[parent].children.append(id)
        return id
    }

    subscript(id: Int) -> Node {
        get { nodes[id] }
        set { nodes[id] = newValue }
    }

    public func count(_ status: Status) -> Int { nodes.dropFirst().filter { $0.status == status }.count }
}
