import BanyanWeights
import COpenBLAS

/// y = x · Wᵀ for a weight stored as ggml rows (`[inputs, outputs]`, each output's row contiguous),
/// with `x` holding `rows` activation rows of `inputs` floats.
///
/// One or two rows (decoding): each weight row is dequantized once and dotted with every activation row.
/// More rows (prefill, batched decode): tiles of 64 weight rows are dequantized and multiplied with
/// OpenBLAS sgemm, so each weight byte is read once per call however many rows there are.
public enum MatMul {
    static let tileRows = 64
    public static let configureBLAS: Void = { openblas_set_num_threads(1) }()

    public static func linear(_ x: UnsafePointer<Float>, rows: Int, weight: TensorView,
                              _ y: UnsafeMutablePointer<Float>, pool: ThreadPool, quantizeActivations: Bool = true) {
        _ = configureBLAS
        let inputs = weight.rowLength
        let outputs = weight.rowCount
        // Enough tiles for every thread to take several (dynamic balancing), never tiny ones.
        let tileRows = max(16, min(MatMul.tileRows, outputs / (4 * pool.threadCount)))
        let tiles = (outputs + tileRows - 1) / tileRows
        let base = weight.baseAddress
        let rowBytes = weight.rowBytes
        let type = weight.type
        if quantizeActivations && QuantizedDot.types.contains(type) && inputs % 32 == 0 {
            // As llama.cpp: activations to 8 bits per block, integer dot products per weight block.
            let xq = QuantizedActivations(x, rows: rows, width: inputs)
            defer { xq.free() }
            if let kernel = QuantizedBlockDot.kernel(for: type) {
                pool.parallelFor(tiles) { tile in
                    for o in (tile * tileRows)..<min(outputs, (tile + 1) * tileRows) {
                        kernel(base + o * rowBytes, xq, 0..<rows, y + o, outputs)
                    }
                }
                return
            }
            pool.parallelFor(tiles) { tile in
                for o in (tile * tileRows)..<min(outputs, (tile + 1) * tileRows) {
                    let w = base + o * rowBytes
                    for r in 0..<rows { y[r * outputs + o] = QuantizedDot.dot(type, w, xq, row: r) }
                }
            }
            return
        }
        if rows <= 2 {
            pool.parallelFor(tiles) { tile in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: inputs)
                defer { scratch.deallocate() }
                for o in (tile * tileRows)..<min(outputs, (tile + 1) * tileRows) {
                    let w: UnsafePointer<Float>
                    if type == .f32 {
                        w = (base + o * rowBytes).assumingMemoryBound(to: Float.self)
                    } else {
                        Dequantize.row(type, base + o * rowBytes, scratch, count: inputs)
                        w = UnsafePointer(scratch)
                    }
                    for r in 0..<rows { y[r * outputs + o] = VectorMath.dot(x + r * inputs, w, count: inputs) }
                }
            }
            return
        }
        pool.parallelFor(tiles) { tile in
            let first = tile * tileRows
            let n = min(tileRows, outputs - first)
            var scratch: UnsafeMutablePointer<Float>? = nil
            let w: UnsafePointer<Float>
            if type == .f32 {
                w = (base + first * rowBytes).assumingMemoryBound(to: Float.self)
            } else {
                let s = UnsafeMutablePointer<Float>.allocate(capacity: n * inputs)
                for r in 0..<n { Dequantize.row(type, base + (first + r) * rowBytes, s + r * inputs, count: inputs) }
                scratch = s
                w = UnsafePointer(s)
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(n), Int32(inputs),
                        1, x, Int32(inputs), w, Int32(inputs), 0, y + first, Int32(outputs))
            scratch?.deallocate()
        }
    }
}
