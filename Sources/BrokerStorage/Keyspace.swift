/// One logical database's keys.
///
/// The broker foundation has no key commands yet, so a database only knows its size and how to
/// empty itself; the keyspace issue gives it keys, values and expiry behind the same type.
public struct Keyspace: Sendable {
    /// Makes an empty database.
    public init() {}

    /// The number of keys (`DBSIZE`).
    public var count: Int { 0 }

    /// The number of keys with an expiry (`INFO keyspace`'s `expires`).
    public var expiringCount: Int { 0 }

    /// Removes every key (`FLUSHDB`).
    public mutating func removeAll() {}
}
