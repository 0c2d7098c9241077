import Banyan
import Foundation

/// The real default model for tests, fetched into the cache on first use (tests run on real weights).
public enum TestModel {
    public static let path: String = {
        do {
            return try DefaultModel.resolve(explicit: nil).path
        } catch {
            fatalError("tests need the default model and could not get it: \(error)")
        }
    }()

    public static let gguf: GGUFFile = try! GGUFFile(path: path)

    /// `$BANYAN_SHARED`, else `../shared` beside the checkout: reference outputs and data sets.
    public static let sharedDirectory: String = {
        if let dir = ProcessInfo.processInfo.environment["BANYAN_SHARED"], !dir.isEmpty { return dir }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.deletingLastPathComponent().appendingPathComponent("shared").path
    }()

    public static func sharedFile(_ relative: String) -> String { sharedDirectory + "/" + relative }
}
