/// A list in memory kept between uses: `removeAll` keeps the capacity, and reading the elements hands out
/// a buffer, not an array, so a hot loop that refills it every call (with plain values) neither allocates,
/// once warm, nor retains anything. Noncopyable: one owner frees it.
package struct ScratchList<Element>: ~Copyable {
    private var storage: UnsafeMutablePointer<Element>
    private var capacity: Int
    package private(set) var count = 0

    package init(capacity: Int = 16) {
        self.capacity = max(capacity, 1)
        storage = .allocate(capacity: self.capacity)
    }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }

    package mutating func removeAll() {
        storage.deinitialize(count: count)
        count = 0
    }

    package mutating func append(_ element: Element) {
        if count == capacity {
            let grown = UnsafeMutablePointer<Element>.allocate(capacity: 2 * capacity)
            grown.moveInitialize(from: storage, count: count)
            storage.deallocate()
            storage = grown
            capacity *= 2
        }
        (storage + count).initialize(to: element)
        count += 1
    }

    /// The elements, valid until the next `append` or `removeAll`.
    package var elements: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: storage, count: count) }
}
