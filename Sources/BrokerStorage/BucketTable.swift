/// A power-of-two array of chain heads (entry indices, -1 for an empty bucket), in pages that
/// are only allocated when first written.
///
/// Creating a table is O(number of pages), not O(buckets): filling a flat 4-million-bucket
/// array took ~10 ms here (2.6 ms for 1 million), a pause on the event loop each time a big
/// keyspace grows. Redis avoids the same cost with `calloc`'s lazily zeroed pages; this module
/// keeps to the standard library, so it pages the table itself and pays ~2 µs per 4096 buckets
/// as the rehash (or an insert) first touches them.
struct BucketTable: Sendable {
    static let pageShift = 12
    static let pageSize = 1 << pageShift

    /// The number of buckets (0, or a power of two ≥ 4).
    let count: Int
    private let pageLength: Int
    private let pageMask: Int
    /// An empty page stands for `pageLength` empty buckets.
    private var pages: [ContiguousArray<Int32>]

    /// No buckets.
    init() {
        count = 0
        pageLength = 0
        pageMask = 0
        pages = []
    }

    /// `count` empty buckets; `count` must be a power of two.
    init(count: Int) {
        self.count = count
        pageLength = Swift.min(count, Self.pageSize)
        pageMask = pageLength - 1
        pages = Array(repeating: [], count: count / pageLength)
    }

    var isEmpty: Bool { count == 0 }

    subscript(bucket: Int) -> Int32 {
        @inline(__always) get {
            let page = bucket &>> Self.pageShift
            return pages[page].isEmpty ? -1 : pages[page][bucket & pageMask]
        }
        @inline(__always) set {
            let page = bucket &>> Self.pageShift
            if pages[page].isEmpty {
                if newValue < 0 { return }
                pages[page] = ContiguousArray(repeating: -1, count: pageLength)
            }
            pages[page][bucket & pageMask] = newValue
        }
    }
}
