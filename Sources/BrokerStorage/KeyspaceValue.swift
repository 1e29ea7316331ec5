/// A value in the keyspace: one case per Redis type.
///
/// Only strings exist yet. The other cases carry `Never`, so no value of those types can be
/// made until the issues that implement them replace `Never` with their representation; code
/// that switches over a value already has to name every Redis type. The value is 24 bytes.
public enum KeyspaceValue: Sendable, Equatable {
    /// A string (`TYPE` reports `string`).
    case string(StringValue)
    /// A hash — not implemented yet.
    case hash(Never)
    /// A list — not implemented yet.
    case list(Never)
    /// A set — not implemented yet.
    case set(Never)
    /// A sorted set (`zset`) — not implemented yet.
    case sortedSet(Never)

    /// The name `TYPE` replies with.
    public var typeName: String {
        switch self {
        case .string: "string"
        case .hash: "hash"
        case .list: "list"
        case .set: "set"
        case .sortedSet: "zset"
        }
    }
}
