@testable import BrokerStorage

/// The UTF-8 bytes of `text`.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A string value holding `text`'s bytes.
func stringValue(_ text: String) -> KeyspaceValue { .string(StringValue(bytes(text))) }

/// The bytes of a string value (tests only store strings).
func stringBytes(_ value: KeyspaceValue?) -> [UInt8]? {
    guard let value else { return nil }
    switch value {
    case .string(let s): return s.bytes
    case .hash(let never), .list(let never), .set(let never), .sortedSet(let never): switch never {}
    }
}

/// SplitMix64: a seeded generator, so a failing randomized test fails the same way again.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

extension Keyspace {
    /// Every key, by walking a whole SCAN with no writes in between.
    func scanAll(count: Int = 10) -> [[UInt8]] {
        var cursor: UInt64 = 0
        var keys: [[UInt8]] = []
        repeat {
            let page = scan(cursor: cursor, count: count)
            keys += page.keys
            cursor = page.cursor
        } while cursor != 0
        return keys
    }
}
