/// What the bytes at a position start: the value's family, the size of its header and the number
/// the header carries. Internal to the reader; everything that reads goes through
/// ``MessagePackCursor/header()`` so that every bound is checked in one place.
struct MessagePackHeader {
    enum Kind: UInt8 {
        case `nil`
        case bool
        /// A positive fixint, `uintN`, or an `intN` holding a value ≥ 0; `value` is the number.
        case nonNegativeInteger
        /// A negative fixint or an `intN` holding a value < 0; `value` is its `Int64` bit pattern.
        case negativeInteger
        case float32
        case float64
        case string
        case binary
        case array
        case map
        case `extension`
    }

    var kind: Kind
    /// Bytes before the payload (for scalars: the whole value; for extensions: including the type byte).
    var size: Int
    /// bool: 0 or 1; integers: see `Kind`; floats: the bit pattern; string, binary, extension: the
    /// payload length; array: the element count; map: the pair count.
    var value: UInt64
    /// The extension type (extensions only).
    var extensionType: Int8 = 0

    /// The payload's length in bytes as an `Int` (strings, binaries, extensions; checked to fit the input).
    var length: Int { Int(truncatingIfNeeded: value) }
}

extension MessagePackHeader.Kind {
    /// The family name used in error messages.
    var name: String {
        switch self {
        case .nil: "nil"
        case .bool: "bool"
        case .nonNegativeInteger, .negativeInteger: "integer"
        case .float32: "float32"
        case .float64: "float64"
        case .string: "string"
        case .binary: "binary"
        case .array: "array"
        case .map: "map"
        case .extension: "extension"
        }
    }
}
