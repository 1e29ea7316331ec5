/// A decoded MessagePack value as a tree, for tests, tools and debugging.
///
/// The hot paths never build these: they read with ``MessagePackReader`` and write with
/// ``MessagePackWriter`` or the `Codable` bridge. Decoding keeps the distinctions the wire makes
/// where they matter for re-encoding: `float32` vs `float64`, string vs binary, map order. Integers
/// decode to ``int(_:)`` whenever they fit `Int64`; ``uint(_:)`` holds only values above `Int64.max`
/// (``uint(_:)`` of a smaller value encodes to the same bytes as ``int(_:)``, but compares unequal).
public enum MessagePackValue: Sendable, Hashable {
    /// `nil`.
    case `nil`
    /// `false` / `true`.
    case bool(Bool)
    /// An integer that fits `Int64`, whatever its width on the wire.
    case int(Int64)
    /// An unsigned integer (decoding uses it only above `Int64.max`).
    case uint(UInt64)
    /// A `float32`.
    case float(Float)
    /// A `float64`.
    case double(Double)
    /// A string.
    case string(String)
    /// A byte string (`bin`).
    case binary([UInt8])
    /// An array.
    case array([MessagePackValue])
    /// A map, its pairs in wire order (keys may repeat and be of any type).
    case map([MessagePackMapEntry])
    /// An extension other than a timestamp.
    case `extension`(type: Int8, data: [UInt8])
    /// The timestamp extension (type −1).
    case timestamp(MessagePackTimestamp)
}

/// One key-value pair of a MessagePack map.
public struct MessagePackMapEntry: Sendable, Hashable {
    /// The pair's key.
    public var key: MessagePackValue
    /// The pair's value.
    public var value: MessagePackValue

    /// Makes a pair.
    public init(key: MessagePackValue, value: MessagePackValue) {
        self.key = key
        self.value = value
    }
}

extension MessagePackValue {
    /// The value of `key` in a map (the first pair with that string key), else `nil`.
    public subscript(key: String) -> MessagePackValue? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.key == .string(key) }?.value
    }

    /// The element at `index` of an array, else `nil`.
    public subscript(index: Int) -> MessagePackValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }
}
