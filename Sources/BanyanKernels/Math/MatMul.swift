import BanyanWeights
import COpenBLAS

/// One tile of a multi-weight product: output rows `outputs` of one weight.
struct MatMulTile {
    let type: GGMLType
    let base: UnsafeRawPointer
    let packed: UnsafeRawPointer?
    let rowBytes: Int
    let outputs: Range<Int>
    let y: UnsafeMutablePointer<Float>
    let stride: Int
}

/// y = x · Wᵀ for a weight stored as ggml rows (`[inputs, outputs]`, each output's row contiguous),
/// with `x` holding `rows` activation rows of `inputs` floats.
///
/// Q4_0 / Q4_1 / Q8_0 weights (llama.cpp numerics): activations are quantized to 8 bits once, and the
/// SIMD kernels of `QuantizedBlockDot` take four activation rows per pass over each weight row, so the
/// weights are read once per call however many rows there are. Q5 goes through a plain block loop.
/// Q4_K / Q6_K with up to four rows: fused dots against 8-bit activations (`KQuantDot`). F16 / BF16 with
/// one or two rows: fused float dots (`HalfDot`); F32 rows are dotted in place.
/// Otherwise, or with f32 numerics: one or two rows dequantize each weight row once and dot it with every
/// activation row; more rows dequantize tiles of 64 weight rows and multiply them with OpenBLAS sgemm.
public enum MatMul {
    static let tileRows = 64
    public static let configureBLAS: Void = { openblas_set_num_threads(1) }()

    /// Several products of the same input (Q, K and V; gate and up) in one pass: the activations are
    /// quantized once and all weights' rows share one balanced set of tiles, one pool dispatch.
    /// With a `workspace`, nothing is allocated: the quantized activations and the tile list reuse its buffers.
    public static func linear(_ x: UnsafePointer<Float>, rows: Int, weights: [TensorView], _ ys: [UnsafeMutablePointer<Float>],
                              pool: ThreadPool, quantizeActivations: Bool = true, workspace: MatMulWorkspace = MatMulWorkspace()) {
        withExtendedLifetime(weights) {
            linear(x, rows: rows, weights: weights.map(WeightMatrix.init(borrowing:)), ys, pool: pool,
                   quantizeActivations: quantizeActivations, workspace: workspace)
        }
    }

    /// The same for weights the caller keeps alive (a model's): no reference counting per call.
    public static func linear(_ x: UnsafePointer<Float>, rows: Int, weights: [WeightMatrix], _ ys: [UnsafeMutablePointer<Float>],
                              pool: ThreadPool, quantizeActivations: Bool = true, workspace: MatMulWorkspace = MatMulWorkspace()) {
        linear(x, rows: rows, count: weights.count, weight: { weights[$0] }, output: { ys[$0] }, pool: pool,
               quantizeActivations: quantizeActivations, workspace: workspace)
    }

    /// The products of `count` weights of one input, `weight(i)` into `output(i)`: closures, not arrays, so
    /// that a forward pass names its weights and outputs without building or retaining any.
    public static func linear(_ x: UnsafePointer<Float>, rows: Int, count: Int, weight: (Int) -> WeightMatrix,
                              output: (Int) -> UnsafeMutablePointer<Float>, pool: ThreadPool, quantizeActivations: Bool = true,
                              workspace: MatMulWorkspace = MatMulWorkspace()) {
        let inputs = weight(0).rowLength
        var quantizable = quantizeActivations && inputs % 32 == 0
        for i in 0..<count where weight(i).rowLength != inputs || !QuantizedBlockDot.supports(weight(i).type) { quantizable = false }
        guard quantizable else {
            for i in 0..<count { linear(x, rows: rows, weight: weight(i), output(i), pool: pool, quantizeActivations: quantizeActivations) }
            return
        }
        quantized(x, rows: rows, inputs: inputs, count: count, weight: weight, output: output, pool: pool, workspace: workspace)
    }

    /// The quantized products of `count` weights (`weight(i)` into `output(i)`) of one input: activations
    /// quantized once, every weight's rows in one balanced set of tiles, one pool dispatch. Closures, not
    /// arrays, so a single-weight call builds none.
    @inline(__always)
    private static func quantized(_ x: UnsafePointer<Float>, rows: Int, inputs: Int, count: Int, weight: (Int) -> WeightMatrix,
                                  output: (Int) -> UnsafeMutablePointer<Float>, pool: ThreadPool, workspace space: MatMulWorkspace) {
        let xq = space.quantize(x, rows: rows, width: inputs, pool: pool)
        // Tiles of 8 to 64 rows (whole 8-row groups, for repacked weights), about eight per thread, never
        // straddling two weights.
        var total = 0
        for i in 0..<count { total += weight(i).rowCount }
        let tileRows = max(8, min(MatMul.tileRows, total / (8 * pool.threadCount))) / 8 * 8
        space.tiles.removeAll()
        for i in 0..<count {
            let w = weight(i), y = output(i)
            let (type, base, rowBytes, rowCount, packed) = (w.type, w.base, w.rowBytes, w.rowCount, w.packed)
            for lo in stride(from: 0, to: rowCount, by: tileRows) {
                space.tiles.append(MatMulTile(type: type, base: base, packed: packed, rowBytes: rowBytes,
                                              outputs: lo..<min(lo + tileRows, rowCount), y: y, stride: rowCount))
            }
        }
        let tiles = space.tiles.elements
        pool.parallelFor(tiles.count, job: TileJob(tiles: tiles, xq: xq, rows: rows, inputs: inputs))
    }

    /// One dispatch's tiles as a pool job (no allocation per dispatch, unlike a closure).
    private struct TileJob: ParallelJob {
        let tiles: UnsafeBufferPointer<MatMulTile>, xq: QuantizedActivations, rows: Int, inputs: Int
        @inline(__always) func run(_ t: Int) { MatMul.run(tiles[t], xq, rows: rows, inputs: inputs) }
    }

    @inline(__always)
    fileprivate static func run(_ tile: MatMulTile, _ xq: QuantizedActivations, rows: Int, inputs: Int) {
        #if BANYAN_AVX2 && arch(x86_64)
        if let packed = tile.packed {
            PackedQuantDot.tile(tile.type, packed: packed, inputs: inputs, outputs: tile.outputs, xq, rows: 0..<rows, into: tile.y,
                                stride: tile.stride)
            return
        }
        #endif
        QuantizedBlockDot.tile(tile.type, weights: tile.base, rowBytes: tile.rowBytes, outputs: tile.outputs, xq, rows: 0..<rows,
                               into: tile.y, stride: tile.stride)
    }

    public static func linear(_ x: UnsafePointer<Float>, rows: Int, weight: TensorView,
                              _ y: UnsafeMutablePointer<Float>, pool: ThreadPool, quantizeActivations: Bool = true,
                              workspace: MatMulWorkspace = MatMulWorkspace()) {
        withExtendedLifetime(weight) {
            linear(x, rows: rows, weight: WeightMatrix(borrowing: weight), y, pool: pool, quantizeActivations: quantizeActivations,
                   workspace: workspace)
        }
    }

    /// The same for a weight the caller keeps alive (a model's): no reference counting per call.
    public static func linear(_ x: UnsafePointer<Float>, rows: Int, weight: WeightMatrix,
                              _ y: UnsafeMutablePointer<Float>, pool: ThreadPool, quantizeActivations: Bool = true,
                              workspace: MatMulWorkspace = MatMulWorkspace()) {
        _ = configureBLAS
        let inputs = weight.rowLength
        let outputs = weight.rowCount
        let type = weight.type
        if quantizeActivations && QuantizedBlockDot.supports(type) && inputs % 32 == 0 {
            linear(x, rows: rows, count: 1, weight: { _ in weight }, output: { _ in y }, pool: pool, workspace: workspace)
            return
        }
        // Enough tiles for every thread to take several (dynamic balancing), never tiny ones.
        let tileRows = max(8, min(MatMul.tileRows, outputs / (8 * pool.threadCount)))
        let tiles = (outputs + tileRows - 1) / tileRows
        let base = weight.base
        let rowBytes = weight.rowBytes
        // 8-bit activations against one weight block at a time: Q4_K / Q6_K for a few rows (decode; prompt
        // batches dequantize tiles for sgemm below instead), Q5 always (as llama.cpp).
        let kQuant = KQuantDot.supports(type) && inputs % 256 == 0 && rows <= 4
        if quantizeActivations && (kQuant || QuantizedDot.types.contains(type) && inputs % 32 == 0) {
            let xq = QuantizedActivations(x, rows: rows, width: inputs)
            defer { xq.free() }
            pool.parallelFor(tiles) { tile in
                for o in (tile * tileRows)..<min(outputs, (tile + 1) * tileRows) {
                    let w = base + o * rowBytes
                    for r in 0..<rows {
                        y[r * outputs + o] = kQuant ? KQuantDot.dot(type, w, xq, row: r) : QuantizedDot.dot(type, w, xq, row: r)
                    }
                }
            }
            return
        }
        if rows <= 2 {
            pool.parallelFor(tiles) { tile in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: inputs)
                defer { scratch.deallocate() }
                for o in (tile * tileRows)..<min(outputs, (tile + 1) * tileRows) {
                    if HalfDot.supports(type) {
                        for r in 0..<rows { y[r * outputs + o] = HalfDot.dot(type, base + o * rowBytes, x + r * inputs, count: inputs) }
                        continue
                    }
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
