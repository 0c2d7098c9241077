import Foundation

/// Why a file could not be written.
public enum OutputError: Error, CustomStringConvertible {
    case unwritable(path: String, reason: String)
    public var description: String {
        switch self { case .unwritable(let path, let reason): return "cannot write \(path): \(reason)" }
    }
}

extension SearchTree {
    /// Writes the tree as JSON (keys sorted, for programs).
    public func writeJSON(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try SearchTree.write(encoder.encode(self), to: path)
    }

    /// Writes the tree as a self-contained HTML page, for people.
    public func writeHTML(title: String, to path: String) throws {
        try SearchTree.write(Data(try SearchTreePage(tree: self, title: title).render().utf8), to: path)
    }

    static func write(_ data: Data, to path: String) throws {
        do { try data.write(to: URL(fileURLWithPath: path)) } catch {
            throw OutputError.unwritable(path: path, reason: error.localizedDescription)
        }
    }
}
