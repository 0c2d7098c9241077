/// A step scorer named as users name it: `likelihood`, `checker`, `provenance`, `operations`, `chain`, `verifier`, `head`,
/// `head:PATH`, `self`, or `token:PATH[,key=value…]` (PATH `default` for the default model); or the product of
/// several that score steps from the text and hidden states alone, as `head*checker`.
public enum PRMSpec: Sendable, Equatable, CustomStringConvertible {
    case likelihood
    /// Each `x op y = z` line adds up (knows no answer).
    case checker
    /// For word problems: the checker, and every number used comes from the question or an earlier line.
    case provenance
    /// For two-number stories: provenance, and each calculation weighted by how likely the story's words
    /// make its operation (`OperationCues`, learned from training stories).
    case operations
    /// Exact process labels for "What is a op b op …?": an oracle for synthetic chains only.
    case chain
    /// The known answer: an oracle.
    case verifier
    /// A learned PRM head on the policy's hidden states (nil: the one shipped for the default model).
    case head(path: String?)
    /// The policy asked on a fork whether each step is correct.
    case selfVerification
    /// A second Llama model as a token PRM with its own forked KV cache.
    case token(path: String, settings: TokenPRMSettings)
    /// Each step scores the product of its factors' scores (`head*checker`: the learned head, zeroed where a
    /// line's arithmetic is wrong). Factors are the scorers that need no fork or second model.
    indirect case product([PRMSpec])

    public static let names = ["likelihood", "checker", "provenance", "operations", "chain", "verifier", "head", "head:PATH", "self",
                               "token:PATH[,format=rlhflow|math-shepherd|generic,reencode,good=,bad=,probe=,between=,header=,after=]",
                               "A*B (a product, as head*checker)"]

    public init(parsing text: String) throws(SearchConfigurationError) {
        if text.contains("*") && !text.hasPrefix("token:") {
            let parts = text.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
            var factors: [PRMSpec] = []
            for part in parts {
                guard !part.isEmpty else { throw .badPRM(text, "a product names a scorer on each side of every *, as head*checker") }
                let factor = try PRMSpec(parsing: part)
                switch factor {
                case .selfVerification, .token:
                    throw .badPRM(text, "\(part) scores on a fork or with a second model and cannot be a factor; "
                        + "factors are likelihood, checker, provenance, operations, chain, verifier and head")
                default: factors.append(factor)
                }
            }
            guard factors.filter({ if case .head = $0 { return true } else { return false } }).count <= 1 else {
                throw .badPRM(text, "a product reads at most one learned head")
            }
            self = .product(factors)
            return
        }
        if text.hasPrefix("head:") {
            let path = String(text.dropFirst(5))
            guard !path.isEmpty else { throw .badPRM(text, "head:PATH needs a path") }
            self = .head(path: path)
            return
        }
        if text.hasPrefix("token:") {
            let parts = text.dropFirst(6).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard let path = parts.first, !path.isEmpty else { throw .badPRM(text, "token:PATH needs a path (or `default`)") }
            self = .token(path: path, settings: try TokenPRMSettings(parsing: Array(parts.dropFirst())))
            return
        }
        switch text {
        case "likelihood": self = .likelihood
        case "checker": self = .checker
        case "provenance": self = .provenance
        case "operations": self = .operations
        case "chain": self = .chain
        case "verifier": self = .verifier
        case "head": self = .head(path: nil)
        case "self": self = .selfVerification
        default: throw .badPRM(text, "known: \(PRMSpec.names.joined(separator: ", "))")
        }
    }

    /// The text that parses back to this spec.
    public var description: String {
        switch self {
        case .likelihood: return "likelihood"
        case .checker: return "checker"
        case .provenance: return "provenance"
        case .operations: return "operations"
        case .chain: return "chain"
        case .verifier: return "verifier"
        case .head(let path): return path.map { "head:\($0)" } ?? "head"
        case .selfVerification: return "self"
        case .token(let path, let settings): return (["token:" + path] + settings.arguments).joined(separator: ",")
        case .product(let factors): return factors.map(\.description).joined(separator: "*")
        }
    }

    /// The scorers this one multiplies: its factors for a product, else itself.
    public var factors: [PRMSpec] {
        if case .product(let factors) = self { return factors }
        return [self]
    }

    /// Whether this scorer is `spec` or a product with `spec` among its factors.
    public func uses(_ spec: PRMSpec) -> Bool { factors.contains(spec) }

    /// The learned head this scorer reads, if any: `.some(nil)` for the shipped one.
    public var headPath: String?? {
        for case .head(let path) in factors { return .some(path) }
        return nil
    }

    /// Whether the scorer knows the right answer (verifier) or derives it from a synthetic question
    /// (chain): figures with these are ceilings, not what a verifier can do on real problems.
    public var isOracle: Bool { uses(.verifier) || uses(.chain) }
}

/// The settings after `token:PATH`: the PRM's prompt format and how it reads a label.
public struct TokenPRMSettings: Sendable, Equatable {
    public enum Format: String, Sendable, CaseIterable { case rlhflow, mathShepherd = "math-shepherd", generic }
    public var format: Format = .rlhflow
    /// Recompute every step's whole conversation (the reference's cost) instead of forking.
    public var reencode = false
    /// Text overrides of the format: good, bad, probe, between, header, after.
    public var overrides: [String: String] = [:]

    public static let overridable: Set = ["good", "bad", "probe", "between", "header", "after"]

    public init() {}

    public init(parsing parts: [String]) throws(SearchConfigurationError) {
        for part in parts {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            let key = kv.first ?? ""
            let value = kv.count == 2 ? kv[1].replacingOccurrences(of: "\\n", with: "\n") : nil
            switch key {
            case "format":
                let name = value == "shepherd" ? "math-shepherd" : value ?? ""
                guard let f = Format(rawValue: name) else {
                    throw .badPRM(part, "format is one of \(Format.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                format = f
            case "reencode": reencode = true
            case _ where TokenPRMSettings.overridable.contains(key):
                guard let value else { throw .badPRM(part, "\(key)= needs a text") }
                overrides[key] = value
            default:
                throw .badPRM(part, "unknown token PRM setting \"\(key)\" (known: format, reencode, \(TokenPRMSettings.overridable.sorted().joined(separator: ", ")))")
            }
        }
    }

    var arguments: [String] {
        var out = format == .rlhflow ? [] : ["format=\(format.rawValue)"]
        if reencode { out.append("reencode") }
        for (k, v) in overrides.sorted(by: { $0.key < $1.key }) { out.append("\(k)=\(v.replacingOccurrences(of: "\n", with: "\\n"))") }
        return out
    }
}
