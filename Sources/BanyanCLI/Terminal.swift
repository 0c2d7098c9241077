import Foundation

/// Where progress and timings go: stderr, so stdout carries only a command's result.
enum Terminal {
    static func status(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// One JSON object on a line, keys sorted so output is stable.
    static func json(_ object: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
