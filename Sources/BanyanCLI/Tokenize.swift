import ArgumentParser
import Banyan
import Foundation

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn text into the model's token ids (as llama.cpp would).",
        discussion: "Special tokens such as <|im_start|> are matched as single tokens unless --no-special is given."
    )

    @OptionGroup var model: ModelOptions
    @Flag(help: "Print exactly one JSON array of token ids on stdout.") var json = false
    @Flag(name: .customLong("no-special"), help: "Treat special-token text as plain text.") var noSpecial = false
    @Option(help: "Read the text from this file instead of the argument.") var file: String?
    @Argument(help: "The text to tokenize.") var text: String?

    func validate() throws {
        guard (text == nil) != (file == nil) else { throw ValidationError("give either TEXT or --file F, not both or neither") }
    }

    func run() throws {
        let input: String
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else { throw CLIError.unreadable(file) }
            input = String(decoding: data, as: UTF8.self)
        } else {
            input = text!
        }
        let loaded = try LoadedTokenizer(path: model.resolve().path)
        let ids = loaded.tokenizer.encode(input, parseSpecial: !noSpecial)
        if json {
            print("[" + ids.map(String.init).joined(separator: ",") + "]")
        } else {
            for id in ids {
                print("\(id)\t\(loaded.tokenizer.decode([id]).debugDescription)")
            }
            Terminal.status("\(ids.count) tokens")
        }
    }
}

enum CLIError: Error, CustomStringConvertible {
    case unreadable(String)
    case invalid(String)
    var description: String {
        switch self {
        case .unreadable(let p): return "cannot read \(p)"
        case .invalid(let m): return m
        }
    }
}
