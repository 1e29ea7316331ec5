import NIOCore

/// One client's channels (or patterns, or shard channels), in subscription order, with O(1)
/// insert and remove.
///
/// An `OrderedSet` removes in O(n) (it shifts the elements and their hash indices), so a node
/// subscribed to thousands of connection channels paid O(n) for every UNSUBSCRIBE. Here each name
/// keeps its subscription number; iteration (rare: UNSUBSCRIBE with no names, disconnects) sorts
/// by it, so replies keep subscription order.
struct SubscriptionSet: Sequence {
    private var numbers: [ByteBuffer: UInt64] = [:]
    private var next: UInt64 = 0

    /// How many names.
    var count: Int { numbers.count }

    /// Whether there are none.
    var isEmpty: Bool { numbers.isEmpty }

    /// Adds `name`; `false` if it was there already.
    mutating func insert(_ name: ByteBuffer) -> Bool {
        guard numbers[name] == nil else { return false }
        numbers[name] = next
        next &+= 1
        return true
    }

    /// Removes `name`; `false` if it was not there.
    mutating func remove(_ name: ByteBuffer) -> Bool {
        numbers.removeValue(forKey: name) != nil
    }

    /// Removes every name.
    mutating func removeAll() {
        numbers.removeAll()
    }

    /// The names in subscription order.
    func makeIterator() -> IndexingIterator<[ByteBuffer]> {
        numbers.sorted { $0.value < $1.value }.map(\.key).makeIterator()
    }
}
