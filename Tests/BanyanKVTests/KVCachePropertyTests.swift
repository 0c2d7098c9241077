import BanyanKV
import BanyanGeneration
import Testing

/// Random fork / extend / truncate / free programs against a shadow model of what each sequence holds.
/// Every token's K and V are written with values naming (sequence, position), so a read through the
/// block table shows whether copy-on-write kept each sequence's own history.
@Suite struct KVCachePropertyTests {
    struct Shadow { var values: [Float] }

    static func run(seed: UInt64, pageSize: Int, elementType: KVElementType, operations: Int) throws {
        var random = SeededRandom(seed: seed)
        func below(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        let g = KVGeometry(layers: 2, kvWidth: 4, pageSize: pageSize, elementType: elementType)
        let cache = try KVCache(geometry: g, capacityTokens: 600)
        cache.recordsEvents = true
        var shadow: [SequenceID: [Float]] = [:]
        var stamp: Float = 1
        for op in 0..<operations {
            let live = shadow.keys.sorted()
            // (`case 0, 1 where c` would bind `where` to the last pattern only, hence the ranges.)
            let choice = live.isEmpty ? 0 : below(10)
            switch choice {
            case 0...1 where live.count < 40:
                shadow[cache.createSequence()] = []
            case 2...3:
                let parent = live[below(live.count)]
                let before = cache.statistics
                let children = try cache.fork(parent, count: 1 + below(3))
                #expect(cache.statistics.pagesUsed == before.pagesUsed, "a fork allocates no page")
                #expect(cache.statistics.copyOnWriteBytes == before.copyOnWriteBytes, "a fork copies no KV byte")
                for c in children { shadow[c] = shadow[parent] }
            case 4...6:
                let s = live[below(live.count)]
                let n = 1 + below(2 * pageSize + 3)
                let start = try cache.length(of: s)
                do {
                    let slots = try cache.reserve(s, tokens: n)
                    for (i, slot) in slots.enumerated() {
                        // Small integers are exact in f16 too.
                        let v = Float(Int(stamp) % 2000)
                        stamp += 1
                        let k = [Float](repeating: v, count: 4), vv = [Float](repeating: -v, count: 4)
                        for layer in 0..<2 { cache.write(layer: layer, at: slot, key: k, value: vv) }
                        shadow[s]!.append(v)
                        #expect(start + i == shadow[s]!.count - 1)
                    }
                } catch KVCacheError.outOfPages {
                    #expect(try cache.length(of: s) == start, "a refused reserve changes nothing")
                }
            case 7:
                let s = live[below(live.count)]
                let to = below(shadow[s]!.count + 1)
                try cache.truncate(s, to: to)
                shadow[s]!.removeLast(shadow[s]!.count - to)
            case 8...9:
                let s = live[below(live.count)]
                try cache.free(s)
                shadow[s] = nil
            default:
                break
            }
            let problems = cache.invariantViolations()
            #expect(problems.isEmpty, "after operation \(op): \(problems.prefix(3))")
            if !problems.isEmpty { return }
            if op % 25 == 0 {
                for (s, values) in shadow where !values.isEmpty {
                    for layer in 0..<2 {
                        let (k, v) = try cache.read(layer: layer, sequence: s, positions: 0..<values.count, columns: 1..<2)
                        #expect(k == values && v == values.map { -$0 }, "\(s) layer \(layer) reads back what it wrote")
                    }
                }
            }
        }
        #expect(cache.statistics.logicalTokens == shadow.values.reduce(0) { $0 + $1.count })
        let copied = cache.statistics
        #expect(copied.forkBytesCopied + copied.copyOnWriteBytes == copied.bytesCopied,
                "every byte the storage copied is accounted to a fork or a copy-on-write")
        for s in shadow.keys { try cache.free(s) }
        #expect(cache.statistics.pagesUsed == 0, "freeing every sequence returns every page")
        #expect(cache.freePageCount == cache.capacityPages)
        #expect(cache.invariantViolations().isEmpty)
        // The trace replays to the same end state: every allocated page freed again.
        let allocated = cache.events.filter { $0.kind == .allocate }.count
        let freed = cache.events.filter { $0.kind == .freePage }.count
        #expect(allocated == freed && allocated > 0)
    }

    @Test(arguments: [1, 3, 16, 64])
    func randomProgramsKeepEverySequenceIntact(pageSize: Int) throws {
        for seed in 1...6 {
            try Self.run(seed: UInt64(seed * 100 + pageSize), pageSize: pageSize, elementType: seed % 2 == 0 ? .f16 : .f32, operations: 400)
        }
    }

    @Test func forkSharesEverythingAndCopiesOnlyThePartialPage() throws {
        let g = KVGeometry(layers: 30, kvWidth: 192, pageSize: 16, elementType: .f16)
        let cache = try KVCache(geometry: g, capacityTokens: 2000)
        let s = cache.createSequence()
        _ = try cache.reserve(s, tokens: 500)
        let kids = try cache.fork(s, count: 16)
        var st = cache.statistics
        #expect(st.pagesUsed == 32 && st.pagesShared == 32 && st.logicalTokens == 17 * 500)
        #expect(st.forkBytesCopied == 0 && st.copyOnWriteCopies == 0)
        for k in kids { _ = try cache.reserve(k, tokens: 1) }
        st = cache.statistics
        // 500 = 31 full pages + 4 tokens: each child's first write copies the 4-token page, except the
        // last owner, which writes in place.
        #expect(st.copyOnWriteCopies == 16, "the parent still holds the partial page, so all 16 children copy it")
        #expect(st.copyOnWriteBytes == 16 * 2 * 30 * 4 * 192 * 2)
        #expect(st.bytesCopied == st.copyOnWriteBytes && st.forkBytesCopied == 0, "the storage's own count: forks copied nothing")
        _ = try cache.reserve(s, tokens: 1)
        #expect(cache.statistics.copyOnWriteCopies == 16, "the last owner of a page writes in place")
        #expect(cache.statistics.pagesUsed == 31 + 17)
    }

    /// The page pool alone, without storage: counts, the free list and reuse order.
    @Test func pagePoolCountsReferencesAndReusesFreedPagesFirst() throws {
        var pool = PagePool(capacity: 3)
        let a = pool.take()!, b = pool.take()!
        #expect((a, b) == (0, 1) && pool.freeCount == 1 && pool.pagesUsed == 2)
        pool.retain(a, times: 2)
        #expect(pool.referenceCount(of: a) == 3 && pool.sharedCount == 1)
        let first = pool.release(a), second = pool.release(a), last = pool.release(a)
        #expect(!first && !second && last, "only the last reference frees the page")
        let reused = pool.take(), third = pool.take(), none = pool.take()
        #expect(reused == a, "a freed page is reused first")
        #expect(third == 2 && none == nil, "an empty pool gives nothing")
        #expect(pool.peakPagesUsed == 3)
        #expect(pool.violations(against: [[a], [b], [2]]).isEmpty)
        #expect(!pool.violations(against: [[a], [b]]).isEmpty, "a page no table names is caught")
    }

    @Test func badArgumentsAreTypedErrors() throws {
        #expect(throws: KVCacheError.badPageSize(0)) { try KVCache(geometry: KVGeometry(layers: 1, kvWidth: 4, pageSize: 0), capacityTokens: 10) }
        #expect(throws: KVCacheError.badPageSize(257)) { try KVCache(geometry: KVGeometry(layers: 1, kvWidth: 4, pageSize: 257), capacityTokens: 10) }
        #expect(throws: KVCacheError.badCapacity(0)) { try KVCache(geometry: KVGeometry(layers: 1, kvWidth: 4), capacityTokens: 0) }
        let cache = try KVCache(geometry: KVGeometry(layers: 1, kvWidth: 4, pageSize: 4), capacityTokens: 8)
        let s = cache.createSequence()
        #expect(throws: KVCacheError.badForkCount(-1)) { try cache.fork(s, count: -1) }
        #expect(throws: KVCacheError.outOfPages(needed: 3, free: 2, pageSize: 4)) { try cache.reserve(s, tokens: 9) }
        #expect(try cache.length(of: s) == 0)
        try cache.free(s)
        #expect(throws: KVCacheError.unknownSequence(s.rawValue)) { try cache.free(s) }
    }

    @Test func traceRoundTripsThroughJSONLines() throws {
        let cache = try KVCache(geometry: KVGeometry(layers: 1, kvWidth: 4, pageSize: 4), capacityTokens: 64)
        cache.recordsEvents = true
        let s = cache.createSequence()
        _ = try cache.reserve(s, tokens: 6)
        let kids = try cache.fork(s, count: 2)
        _ = try cache.reserve(kids[0], tokens: 1)
        try cache.truncate(kids[1], to: 3)
        for k in kids { try cache.free(k) }
        try cache.free(s)
        let text = KVEvent.jsonLines(cache.events)
        let back = try KVEvent.parse(jsonLines: text)
        #expect(back == cache.events)
        #expect(Set(back.map(\.kind)) == Set(KVEvent.Kind.allCases))
        #expect(throws: KVTraceError.self) { try KVEvent.parse(jsonLines: "{\"kind\":\"fork\"}\nnot json\n") }
    }
}
