/// Why MessagePack input was refused, or why a value could not be encoded.
///
/// Every reader method throws this type (typed throws). The `Codable` bridge throws Swift's
/// `DecodingError` / `EncodingError` instead, as `JSONDecoder` does, with the `MessagePackError` as the
/// context's `underlyingError` (see ``MessagePackDecoder``).
public struct MessagePackError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable code for each way input or a value can be wrong.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The input ends inside a value: more bytes are needed. Also given when a declared length
        /// or element count exceeds the bytes that remain, so a hostile header fails at once.
        case truncated
        /// A format byte MessagePack never uses (`0xc1`).
        case invalidFormatByte
        /// The value has another type than the one asked for (a string where an integer was expected…).
        case typeMismatch
        /// A string's bytes are not valid UTF-8.
        case invalidUTF8
        /// Containers nest deeper than the reader's `maxDepth`.
        case depthLimitExceeded
        /// A length or count is too big for MessagePack (over 2³² − 1) when encoding.
        case lengthLimitExceeded
        /// A number does not fit the requested type (an integer overflow, or a float64 beyond `Float`'s range).
        case integerOverflow
        /// A timestamp extension (type −1) with a length other than 4, 8 or 12 bytes, or with nanoseconds
        /// of 1 000 000 000 or more.
        case invalidTimestamp
        /// Bytes are left after the one value a whole-input decode expects.
        case trailingBytes
        /// The `Codable` bridge was used in a way it cannot encode (a container written to after a later
        /// sibling, a ``MessagePackRawValue`` holding invalid bytes, a raw value given to another encoder…).
        case unsupportedValue
    }

    /// The kind of error.
    public var code: Code
    /// A human-readable explanation.
    public var message: String
    /// Where in the input it happened: bytes from the start of the reader's input, when known.
    public var offset: Int?

    /// Makes an error.
    public init(_ code: Code, _ message: String, offset: Int? = nil) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    /// The code, the offset when known, and the message.
    public var description: String {
        if let offset { return "MessagePack \(code.rawValue) at offset \(offset): \(message)" }
        return "MessagePack \(code.rawValue): \(message)"
    }
}
