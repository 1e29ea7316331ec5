import NIOCore

/// A RESP2 or RESP3 value, as a client or a test sees a whole reply.
///
/// The server's hot path never builds these: it reads commands as argument slices
/// (``RESPCommandParser``) and writes replies straight into bytes (`ByteBuffer`'s `writeRESP…` methods).
/// RESP2's two nulls (`$-1` and `*-1`) are kept apart from RESP3's `_` so that a decoded value
/// encodes back to the same bytes.
///
/// Only the cases that hold a `RESPValue` directly, or more than one buffer, are `indirect`: the
/// common replies (simple strings, integers, bulk strings, arrays) are stored inline, with no
/// allocation of their own.
public enum RESPValue: Sendable, Hashable {
    /// `+OK` — a simple string (no CR or LF inside).
    case simpleString(ByteBuffer)
    /// `-ERR …` — a simple error.
    case simpleError(ByteBuffer)
    /// `:42` — a signed 64-bit integer.
    case integer(Int64)
    /// `$3\r\nfoo` — a binary-safe bulk string.
    case bulkString(ByteBuffer)
    /// RESP2's null bulk string, `$-1`.
    case nullBulkString
    /// RESP2's null array, `*-1`.
    case nullArray
    /// RESP3's null, `_`.
    case null
    /// `*N` — an array.
    case array([RESPValue])
    /// RESP3 `%N` — a map, its pairs in wire order.
    case map([RESPMapEntry])
    /// RESP3 `~N` — a set, its members in wire order.
    case set([RESPValue])
    /// RESP3 `,1.5` — a double.
    case double(Double)
    /// RESP3 `#t` / `#f` — a boolean.
    case boolean(Bool)
    /// RESP3 `(123…` — a big number, kept as its decimal digits (with an optional leading `-`).
    case bigNumber(ByteBuffer)
    /// RESP3 `!N` — a blob error.
    case blobError(ByteBuffer)
    /// RESP3 `=N` — a verbatim string with its three-byte format (`txt`, `mkd`).
    indirect case verbatimString(format: ByteBuffer, ByteBuffer)
    /// RESP3 `>N` — an out-of-band push.
    case push([RESPValue])
    /// RESP3 `|N` — attributes that precede the value they annotate.
    indirect case attribute([RESPMapEntry], RESPValue)
}

/// One key-value pair of a RESP3 map or attribute.
public struct RESPMapEntry: Sendable, Hashable {
    /// The pair's key.
    public var key: RESPValue
    /// The pair's value.
    public var value: RESPValue

    /// Makes a pair.
    public init(key: RESPValue, value: RESPValue) {
        self.key = key
        self.value = value
    }
}

/// The protocol a connection speaks, chosen by `HELLO`.
public enum RESPVersion: Int, Sendable, Hashable {
    /// RESP2, the default of every new connection.
    case resp2 = 2
    /// RESP3, after `HELLO 3`.
    case resp3 = 3
}

extension RESPValue {
    /// A bulk string holding the UTF-8 bytes of `string` (a convenience for tests and tools).
    public static func bulk(_ string: String) -> RESPValue {
        .bulkString(ByteBuffer(string: string))
    }

    /// A simple string holding `string`.
    public static func simple(_ string: String) -> RESPValue {
        .simpleString(ByteBuffer(string: string))
    }

    /// A simple error holding `string`.
    public static func error(_ string: String) -> RESPValue {
        .simpleError(ByteBuffer(string: string))
    }

    /// The text of a string-like value (simple, bulk, verbatim, error, big number), else `nil`.
    public var string: String? {
        switch self {
        case .simpleString(let b), .bulkString(let b), .simpleError(let b), .blobError(let b), .bigNumber(let b),
            .verbatimString(_, let b):
            return String(buffer: b)
        default:
            return nil
        }
    }
}
