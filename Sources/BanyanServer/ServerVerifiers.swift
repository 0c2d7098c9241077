import Banyan
import Foundation

/// The verifiers a server's searches may use. Those that read no file are there by their own names
/// (`checker`, `head` — the shipped head —, `head*checker` …); heads and token PRMs that live in files are
/// named when the server starts (`banyan serve --prm NAME=SPEC`). A request names one of them, never a path.
public struct ServerVerifiers: Sendable {
    /// The verifiers named at start, by name.
    public private(set) var named: [String: PRMSpec] = [:]

    /// The file-free scorers a request may name directly.
    public static let builtIn = ["likelihood", "checker", "provenance", "operations", "chain", "head", "self"]

    public init() {}

    /// Adds `NAME=SPEC`; the spec may name files (it is the operator's choice), which must exist.
    public mutating func add(_ argument: String) throws(ServerConfigurationError) {
        let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw .badVerifier(argument, "write NAME=SPEC with a name of letters, digits, - and _, as --prm mine=head:heads/mine.safetensors")
        }
        let (name, text) = (parts[0], parts[1])
        guard !ServerVerifiers.builtIn.contains(name), named[name] == nil else {
            throw .badVerifier(argument, "\(name) is already a verifier's name; choose another")
        }
        let spec: PRMSpec
        do { spec = try PRMSpec(parsing: text) } catch { throw .badVerifier(argument, String(describing: error)) }
        guard !spec.uses(.verifier) else { throw .badVerifier(argument, "the verifier needs each question's right answer; it is for evaluations") }
        for path in spec.files where !FileManager.default.fileExists(atPath: path) {
            throw .badVerifier(argument, "no file at \(path)")
        }
        named[name] = spec
    }

    /// Every name a request may use.
    public var names: [String] { ServerVerifiers.builtIn + named.keys.sorted() }

    /// The verifier a request names: one named at start, or a file-free scorer (or product of them).
    func spec(named name: String) throws(APIError) -> PRMSpec {
        if let spec = named[name] { return spec }
        let offered = "this server's verifiers are \(names.joined(separator: ", ")) and products of the file-free ones, as head*checker"
        let spec: PRMSpec
        do { spec = try PRMSpec(parsing: name) } catch { throw .invalid("search.prm \(name) is not a verifier here; \(offered)", param: "search.prm") }
        guard spec.files.isEmpty else {
            throw .invalid("search.prm cannot name a file; a request names one of the server's verifiers: \(offered) "
                           + "(the operator adds more with banyan serve --prm NAME=SPEC)", param: "search.prm")
        }
        guard !spec.uses(.verifier) else { throw .invalid("the verifier needs the right answer; it is for evaluations, not the API", param: "search.prm") }
        return spec
    }
}

extension PRMSpec {
    /// The files this scorer reads (a head's weights, a token PRM's model), none for the built-in ones.
    var files: [String] {
        factors.compactMap { f in
            switch f {
            case .head(let path): return path
            case .token(let path, _): return path == "default" ? nil : path
            default: return nil
            }
        }
    }
}

/// A server setting that cannot be used, with what to change.
public enum ServerConfigurationError: Error, CustomStringConvertible {
    case badVerifier(String, String)
    case badEnvironment(String, String, String)

    public var description: String {
        switch self {
        case .badVerifier(let argument, let why): return "--prm \(argument): \(why)"
        case .badEnvironment(let name, let value, let expected): return "\(name)=\(value) is not \(expected)"
        }
    }
}
