import Banyan
import Foundation

/// Why a test that needs the real model could not have it.
public enum TestModelError: Error, CustomStringConvertible {
    case unavailable(String)
    public var description: String {
        "this test needs the default model and could not get it (run `bash tools/setup.sh`, or set BANYAN_MODEL): \(self.detail)"
    }
    var detail: String { switch self { case .unavailable(let d): return d } }
}

/// The real default model for tests, fetched into the cache on first use (tests run on real weights),
/// and the fixtures and data sets that live in the repository.
public enum TestModel {
    private static let resolved: Result<String, TestModelError> = {
        do { return .success(try DefaultModel.resolve(explicit: nil).path) } catch {
            return .failure(.unavailable(String(describing: error)))
        }
    }()

    /// The model file's path; throws (failing only the tests that need it) when the model cannot be had.
    public static func path() throws -> String { try resolved.get() }

    private static let loadedGGUF: Result<GGUFFile, Error> = Result { try GGUFFile(path: try path()) }
    public static func gguf() throws -> GGUFFile { try loadedGGUF.get() }

    private static let loadedModel: Result<LlamaModel, Error> = Result { try LlamaModel(path: try path()) }
    /// The model, loaded once and shared (it is immutable; each test makes its own `Engine`).
    public static func model() throws -> LlamaModel { try loadedModel.get() }

    private static let loadedTokenizer: Result<LoadedTokenizer, Error> = Result { try LoadedTokenizer(path: try path()) }
    public static func tokenizer() throws -> LoadedTokenizer { try loadedTokenizer.get() }

    /// The repository's root, found from this file's place in it.
    public static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// A file under `Tests/Fixtures/` (reference outputs from llama.cpp and gguf-py).
    public static func fixture(_ name: String) -> String { repository.appendingPathComponent("Tests/Fixtures/\(name)").path }

    /// A data set under `data/`.
    public static func dataSet(_ name: String) -> String { repository.appendingPathComponent("data/\(name)").path }
}
