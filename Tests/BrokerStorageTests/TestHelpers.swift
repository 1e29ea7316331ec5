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
