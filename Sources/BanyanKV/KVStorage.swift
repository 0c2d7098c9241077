#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes behind the pages: K then V, each laid out [layer][page][slot][kvWidth], so one layer's slots
/// of a page are contiguous. The address space for every page is reserved up front and committed by the
/// kernel only when first written, so a generous capacity costs no memory until it is used.
/// Raw pointers stay in here; the model reads and writes through the `package` methods.
final class KVStorage {
    let geometry: KVGeometry
    let capacityPages: Int
    private let keys: UnsafeMutableRawPointer
    private let values: UnsafeMutableRawPointer
    private let halfBytes: Int
    /// Every KV byte this storage ever copied between pages (copy-on-write), whoever asked.
    private(set) var bytesCopied = 0

    init(geometry: KVGeometry, capacityPages: Int) throws(KVCacheError) {
        self.geometry = geometry
        self.capacityPages = capacityPages
        halfBytes = capacityPages * geometry.pageBytes / 2
        #if canImport(Glibc)
        let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE
        #else
        let flags = MAP_PRIVATE | MAP_ANONYMOUS
        #endif
        let p = mmap(nil, 2 * halfBytes, PROT_READ | PROT_WRITE, flags, -1, 0)
        guard let p, p != UnsafeMutableRawPointer(bitPattern: -1) else { throw .cannotReserve(bytes: 2 * halfBytes) }
        keys = p
        values = p + halfBytes
    }

    deinit { munmap(keys, 2 * halfBytes) }

    @inline(__always) private func byteOffset(layer: Int, page: Int32, slot: Int) -> Int {
        ((layer * capacityPages + Int(page)) * geometry.pageSize + slot) * geometry.kvWidth * geometry.elementType.byteCount
    }

    @inline(__always) func keyRow(layer: Int, page: Int32, slot: Int) -> UnsafeMutableRawPointer {
        keys + byteOffset(layer: layer, page: page, slot: slot)
    }

    @inline(__always) func valueRow(layer: Int, page: Int32, slot: Int) -> UnsafeMutableRawPointer {
        values + byteOffset(layer: layer, page: page, slot: slot)
    }

    /// Copies the first `slots` slots of every layer of page `from` into page `to`; returns the bytes copied.
    func copy(page from: Int32, to: Int32, slots: Int) -> Int {
        let bytes = slots * geometry.kvWidth * geometry.elementType.byteCount
        for layer in 0..<geometry.layers {
            keyRow(layer: layer, page: to, slot: 0).copyMemory(from: keyRow(layer: layer, page: from, slot: 0), byteCount: bytes)
            valueRow(layer: layer, page: to, slot: 0).copyMemory(from: valueRow(layer: layer, page: from, slot: 0), byteCount: bytes)
        }
        bytesCopied += 2 * geometry.layers * bytes
        return 2 * geometry.layers * bytes
    }

    func write(layer: Int, at slot: KVSlot, key: UnsafePointer<Float>, value: UnsafePointer<Float>) {
        let type = geometry.elementType, width = geometry.kvWidth
        KVRows.store(key, to: keyRow(layer: layer, page: slot.page, slot: Int(slot.slot)), count: width, as: type)
        KVRows.store(value, to: valueRow(layer: layer, page: slot.page, slot: Int(slot.slot)), count: width, as: type)
    }

    /// Where the K and V rows are, as a plain value attention can hold without reference counting.
    var rowLocator: KVRowLocator {
        KVRowLocator(keys: UnsafeRawPointer(keys), values: UnsafeRawPointer(values), capacityPages: capacityPages,
                     pageSize: geometry.pageSize, rowBytes: geometry.kvWidth * geometry.elementType.byteCount,
                     elementBytes: geometry.elementType.byteCount)
    }

    func gather(layer: Int, table: [Int32], positions range: Range<Int>, columns: Range<Int>,
                keys k: UnsafeMutablePointer<Float>, values v: UnsafeMutablePointer<Float>) {
        let ps = geometry.pageSize, type = geometry.elementType, width = columns.count
        let columnBytes = columns.lowerBound * type.byteCount
        let rowBytes = geometry.kvWidth * type.byteCount
        var position = range.lowerBound, row = 0
        while position < range.upperBound {
            let page = table[position / ps]
            let slot = position % ps
            let run = min(ps - slot, range.upperBound - position)
            let kp = keyRow(layer: layer, page: page, slot: slot) + columnBytes
            let vp = valueRow(layer: layer, page: page, slot: slot) + columnBytes
            for j in 0..<run {
                KVRows.load(UnsafeRawPointer(kp + j * rowBytes), into: k + (row + j) * width, count: width, as: type)
                KVRows.load(UnsafeRawPointer(vp + j * rowBytes), into: v + (row + j) * width, count: width, as: type)
            }
            position += run
            row += run
        }
    }
}

/// The addresses of K and V rows in a cache's storage: plain values, valid while the cache lives and no
/// page is freed. Attention holds one for a step and reads the pages in place through it.
package struct KVRowLocator {
    let keys: UnsafeRawPointer, values: UnsafeRawPointer
    let capacityPages: Int, pageSize: Int, rowBytes: Int, elementBytes: Int

    /// The addresses of the K and V rows of `range`'s positions of layer `layer` of a sequence with block
    /// table `table`, `column` elements into each row.
    @inline(__always)
    package func rowAddresses(layer: Int, table: UnsafeBufferPointer<Int32>, positions range: Range<Int>, column: Int,
                              keys k: UnsafeMutablePointer<UnsafeRawPointer>, values v: UnsafeMutablePointer<UnsafeRawPointer>) {
        let columnBytes = column * elementBytes
        for (j, position) in range.enumerated() {
            let offset = ((layer * capacityPages + Int(table[position / pageSize])) * pageSize + position % pageSize) * rowBytes + columnBytes
            k[j] = keys + offset
            v[j] = values + offset
        }
    }
}
