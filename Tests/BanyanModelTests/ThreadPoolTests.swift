import Banyan
import BanyanModel
import Testing

@Suite struct ThreadPoolTests {
    @Test func everyIndexRunsExactlyOnceAndPoolsCanBeDropped() throws {
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 1000)
        defer { counts.deallocate() }
        for _ in 0..<20 {
            // A new pool each round: dropping it while its workers spin or park must be safe.
            let pool = ThreadPool(threads: 3)
            counts.initialize(repeating: 0)
            for n in [0, 1, 2, 7, 1000] {
                pool.parallelFor(n) { i in counts[i] += 1 }
            }
            // Index 0 is in the n = 1, 2, 7 and 1000 runs; 1 in three of them; 7…999 only in the last.
            #expect(counts[0] == 4 && counts[1] == 3 && counts[6] == 2)
            #expect(counts[7...].allSatisfy { $0 == 1 })
        }
    }

    @Test func concurrentCallersDoNotMixTheirJobs() async {
        let pool = ThreadPool(threads: 2)
        let results = await withTaskGroup(of: Bool.self) { group in
            for caller in 0..<4 {
                group.addTask {
                    let sums = UnsafeMutableBufferPointer<Int>.allocate(capacity: 512)
                    defer { sums.deallocate() }
                    for _ in 0..<200 {
                        sums.initialize(repeating: 0)
                        pool.parallelFor(512) { i in sums[i] += caller + 1 }
                        if !sums.allSatisfy({ $0 == caller + 1 }) { return false }
                    }
                    return true
                }
            }
            return await group.reduce(true) { $0 && $1 }
        }
        #expect(results)
    }
}
