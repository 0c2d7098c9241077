import ArgumentParser
import Banyan
import Foundation

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a model's architecture, hyperparameters, tensor types and metadata.",
        discussion: "Works on GGUF files and on safetensors checkpoint directories (config.json + model.safetensors)."
    )

    @OptionGroup var model: ModelOptions

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "Also list every tensor with its type, shape and offset.")
    var tensors = false

    func run() throws {
        let source = try model.resolve()
        let summary = try ModelSummary(path: source.path)
        if json {
            try Terminal.json(summary.jsonObject(includeTensors: tensors))
        } else {
            print(summary.text(includeTensors: tensors))
        }
    }
}
