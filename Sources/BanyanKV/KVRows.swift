/// Converting cached rows between f32 and the cache's element type. Plain loops: with a target CPU
/// that has F16C, LLVM turns them into vcvtps2ph / vcvtph2ps on whole vectors.
enum KVRows {
    @inline(__always)
    static func store(_ x: UnsafePointer<Float>, to p: UnsafeMutableRawPointer, count: Int, as type: KVElementType) {
        switch type {
        case .f32:
            p.copyMemory(from: x, byteCount: count * 4)
        case .f16:
            let h = p.assumingMemoryBound(to: Float16.self)
            for i in 0..<count { h[i] = Float16(x[i]) }
        }
    }

    @inline(__always)
    static func load(_ p: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>, count: Int, as type: KVElementType) {
        switch type {
        case .f32:
            UnsafeMutableRawPointer(y).copyMemory(from: p, byteCount: count * 4)
        case .f16:
            let h = p.assumingMemoryBound(to: Float16.self)
            for i in 0..<count { y[i] = Float(h[i]) }
        }
    }
}
