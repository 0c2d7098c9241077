import Banyan
import Foundation

/// Writing search trees: JSON for programs, a self-contained HTML page for people.
enum TreeFiles {
    static func writeJSON(_ tree: SearchTree, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try write(encoder.encode(tree), to: path)
    }

    static func writeHTML(_ tree: SearchTree, title: String, to path: String) throws {
        try write(Data(try SearchTreePage(tree: tree, title: title).render().utf8), to: path)
    }

    static func write(_ data: Data, to path: String) throws {
        do { try data.write(to: URL(fileURLWithPath: path)) } catch {
            throw CLIError.invalid("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
