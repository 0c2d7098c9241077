/// Byte-level BPE (`tokenizer.ggml.model = gpt2`): each pre-token's bytes start as one symbol per byte,
/// then the adjacent pair with the lowest merge rank is merged, leftmost first, until none applies.
/// Symbols are token ids and merges an integer table, so no strings are built while encoding.
struct BytePairEncoder: Sendable {
    /// Token id of each single byte (its mapped character).
    let byteToken: [TokenID]
    /// (left id << 32 | right id) → (rank, merged id).
    let merges: [UInt64: (rank: Int32, result: TokenID)]

    init(vocabulary: Vocabulary, merges mergeList: [(left: [UInt8], right: [UInt8])]) throws(TokenizerError) {
        var byteToken = [TokenID](repeating: -1, count: 256)
        for b in 0..<256 {
            let spelled = Array(String(ByteLevel.scalarOfByte[b]).utf8)
            if let id = vocabulary.id(of: spelled) { byteToken[b] = id }
        }
        self.byteToken = byteToken
        var table: [UInt64: (rank: Int32, result: TokenID)] = [:]
        table.reserveCapacity(mergeList.count)
        for (rank, m) in mergeList.enumerated() {
            guard let l = vocabulary.id(of: m.left), let r = vocabulary.id(of: m.right),
                  let result = vocabulary.id(of: m.left + m.right) else { continue }
            let key = UInt64(UInt32(l)) << 32 | UInt64(UInt32(r))
            if table[key] == nil { table[key] = (Int32(rank), result) }
        }
        self.merges = table
    }

    /// Encodes the raw bytes of one pre-token.
    func encode(_ bytes: some Collection<UInt8>, into out: inout [TokenID]) {
        var symbols: [TokenID] = []
        symbols.reserveCapacity(bytes.count)
        // A byte missing from the vocabulary is dropped, as llama.cpp does (never the case for complete vocabularies).
        for b in bytes where byteToken[Int(b)] >= 0 { symbols.append(byteToken[Int(b)]) }
        while symbols.count > 1 {
            var bestRank = Int32.max
            var bestAt = -1
            var bestResult: TokenID = 0
            for i in 0..<(symbols.count - 1) {
                let key = UInt64(UInt32(symbols[i])) << 32 | UInt64(UInt32(symbols[i + 1]))
                if let m = merges[key], m.rank < bestRank {
                    bestRank = m.rank
                    bestAt = i
                    bestResult = m.result
                }
            }
            if bestAt < 0 { break }
            symbols[bestAt] = bestResult
            symbols.remove(at: bestAt + 1)
        }
        out += symbols
    }
}
