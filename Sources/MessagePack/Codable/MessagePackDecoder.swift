import NIOCore

/// Decodes any `Decodable` value from MessagePack, straight from the bytes (no intermediate tree
/// or JSON).
///
/// It reads what ``MessagePackEncoder`` writes and what MessagePack-CSharp's contractless resolver
/// (ASP.NET Core SignalR) writes, and is lenient where the wire allows it:
/// - keyed containers read maps with string keys (integer keys match coding keys by `intValue` or
///   decimal `stringValue`); unkeyed containers read arrays; absent keys and nil values both make
///   `decodeIfPresent` return `nil`;
/// - integers of any width decode into any integer type they fit (else an error, never a trap);
///   `Double` and `Float` accept float64, float32 and integers;
/// - `[UInt8]` and ``MessagePackBinaryRepresentable`` types accept `bin`, or an array of integers in
///   `0...255`; ``MessagePackTimestampRepresentable`` types accept the timestamp extension (what
///   MessagePack-CSharp writes for a `DateTime`) or MessagePack-CSharp's `DateTimeOffset` layout, a
///   2-element array `[timestamp of the local clock time, offset in minutes]`, read as the instant it
///   names; a string goes to their `init?(messagePackTimestampText:)`;
///   ``MessagePackRawValue`` takes the value's bytes as they are; ``MessagePackValue`` takes the
///   value as a tree.
///
/// Errors are Swift's `DecodingError`s, as `JSONDecoder` throws them: a nil where a value is needed
/// is `valueNotFound`, another type is `typeMismatch`, a missing key is `keyNotFound`, and everything
/// wrong with the bytes (``MessagePackError/Code/truncated``, an integer that does not fit, invalid
/// UTF-8, nesting deeper than ``maxDepth``, bytes after the value…) is `dataCorrupted`. Each carries
/// the ``MessagePackError`` as the context's `underlyingError` where the reader found the problem.
/// No input makes the decoder trap.
public struct MessagePackDecoder: Sendable {
    /// Values handed to every `init(from:)` as `decoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]
    /// How many containers may nest.
    public var maxDepth = MessagePackReader.defaultMaxDepth

    /// Makes a decoder with the default options.
    public init() {}

    /// Decodes a `T` from all the readable bytes of `buffer`; bytes after the value are an error.
    public func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        let state = DecodingState(input: buffer, maxDepth: maxDepth, userInfo: userInfo)
        // Check the whole value's structure first: bad input fails before any `init(from:)` runs.
        let end = try state.end(ofValueAt: 0, depth: 0, codingPath: [])
        guard end == buffer.readableBytes else {
            let error = MessagePackError(
                .trailingBytes, "\(buffer.readableBytes - end) bytes after the value", offset: end)
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: [], debugDescription: error.description, underlyingError: error))
        }
        return try state.decode(T.self, at: 0, depth: 0, parent: nil, key: nil)
    }

    /// Decodes a `T` from all of `bytes`; bytes after the value are an error.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try decode(T.self, from: ByteBuffer(bytes: bytes))
    }

    /// Decodes a `T` from a value already checked by a reader (see ``MessagePackRawValue``), without
    /// checking its structure again.
    public func decode<T: Decodable>(_ type: T.Type, from rawValue: MessagePackRawValue) throws -> T {
        let state = DecodingState(input: rawValue.bytes, maxDepth: maxDepth, userInfo: userInfo)
        return try state.decode(T.self, at: 0, depth: 0, parent: nil, key: nil)
    }

    /// Decodes a `T` from the next value of `reader` and moves past it (the reader's ``MessagePackReader/maxDepth``
    /// applies to the check of its structure; this decoder's to the decoding).
    public func decode<T: Decodable>(_ type: T.Type, from reader: inout MessagePackReader) throws -> T {
        let raw: ByteBuffer
        do {
            var copy = reader
            raw = try copy.readRawValue()
            let value = try decode(T.self, from: MessagePackRawValue(checked: raw))
            reader = copy
            return value
        } catch let error as MessagePackError {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: [], debugDescription: error.description, underlyingError: error))
        }
    }
}
