import Foundation

/// A Hugging Face checkpoint directory: `config.json`, and either `model.safetensors` or shards listed
/// in `model.safetensors.index.json`. Tensors are looked up by their HF names across shards.
public struct SafetensorsCheckpoint: Sendable {
    public let directory: String
    public let config: HFLlamaConfig
    public let shards: [SafetensorsFile]
    private let shardOfTensor: [String: Int]

    public init(directory: String) throws {
        self.directory = directory
        let configPath = directory + "/config.json"
        guard FileManager.default.fileExists(atPath: configPath) else { throw SafetensorsError.missingFile(path: configPath) }
        do {
            config = try JSONDecoder().decode(HFLlamaConfig.self, from: Data(contentsOf: URL(fileURLWithPath: configPath)))
        } catch {
            throw SafetensorsError.badConfig(path: configPath, detail: "\(error)")
        }
        let indexPath = directory + "/model.safetensors.index.json"
        let singlePath = directory + "/model.safetensors"
        var shards: [SafetensorsFile] = []
        var shardOf: [String: Int] = [:]
        if FileManager.default.fileExists(atPath: indexPath) {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: indexPath)))
            guard let map = (json as? [String: Any])?["weight_map"] as? [String: String] else {
                throw SafetensorsError.badIndex(path: indexPath, detail: "no \"weight_map\" object of tensor name to file name")
            }
            var fileIndex: [String: Int] = [:]
            for fileName in Set(map.values).sorted() {
                guard !fileName.contains("/") else {
                    throw SafetensorsError.badIndex(path: indexPath, detail: "shard name '\(fileName)' must be a file in the same directory")
                }
                let path = directory + "/" + fileName
                guard FileManager.default.fileExists(atPath: path) else { throw SafetensorsError.missingFile(path: path) }
                fileIndex[fileName] = shards.count
                shards.append(try SafetensorsFile(path: path))
            }
            for (tensor, fileName) in map {
                let i = fileIndex[fileName]!
                guard shards[i].entries[tensor] != nil else {
                    throw SafetensorsError.badIndex(path: indexPath, detail: "tensor '\(tensor)' is mapped to \(fileName) but not stored there")
                }
                shardOf[tensor] = i
            }
        } else if FileManager.default.fileExists(atPath: singlePath) {
            shards = [try SafetensorsFile(path: singlePath)]
            for name in shards[0].entries.keys { shardOf[name] = 0 }
        } else {
            throw SafetensorsError.missingFile(path: singlePath)
        }
        self.shards = shards
        self.shardOfTensor = shardOf
    }

    public var tensorNames: [String] { shardOfTensor.keys.sorted() }

    public func tensor(named name: String) -> TensorView? {
        shardOfTensor[name].flatMap { shards[$0].tensor(named: name) }
    }

    /// `tokenizer.json` beside the weights, if present.
    public var tokenizerPath: String? {
        let p = directory + "/tokenizer.json"
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }
}
