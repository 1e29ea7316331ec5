import NIOCore

/// Encodes any `Encodable` value to MessagePack, straight into bytes (no intermediate tree or JSON).
///
/// The conventions are those of MessagePack-CSharp's contractless resolver, which ASP.NET Core
/// SignalR uses, so a .NET peer reads what this writes:
/// - structs, classes and other keyed containers → maps keyed by the coding keys' `stringValue`
///   (the property names), in encoding order; `Dictionary<String, T>` → a map too;
/// - arrays and other unkeyed containers → arrays;
/// - `nil` (`encodeNil`, `Optional.none` in an array or on its own) → nil; an optional *property*
///   that is `nil` is left out, as with `JSONEncoder`, unless ``encodesNilForAbsentOptionals`` is set;
/// - `Int` and its siblings → the smallest integer form; `Float` → float32; `Double` → float64;
///   `String` → str; `Bool` → bool; `[UInt8]` → bin;
/// - enums with raw values → their raw value (that is what their `Codable` implementation does);
/// - ``MessagePackTimestampRepresentable`` types (``MessagePackTimestamp``; `Date` once the
///   HubProtocol module conforms it) → the timestamp extension; ``MessagePackBinaryRepresentable``
///   types (`Data`, likewise) → bin; ``MessagePackRawValue`` → its bytes unchanged;
///   ``MessagePackValue`` → itself.
///
/// Values are written in encoding order. Each container's header is patched when it is done (its
/// content moves up by 2 or 4 bytes if it holds more than 15 elements). Writing to a container after
/// a later sibling container was started — which synthesized and ordinary hand-written `Codable`
/// code never does — throws an `EncodingError` instead of producing wrong bytes.
///
/// Errors are `EncodingError.invalidValue` with a ``MessagePackError`` as `underlyingError`
/// (``MessagePackError/Code/lengthLimitExceeded`` for a string or binary of 4 GiB or more,
/// ``MessagePackError/Code/unsupportedValue`` for misuse), or whatever a value's `encode(to:)` throws.
/// On error nothing is left in the output.
public struct MessagePackEncoder: Sendable {
    /// Values handed to every `encode(to:)` as `encoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]
    /// Writes `nil` for optional properties that are `nil` (`encodeIfPresent`) instead of leaving
    /// their keys out — the way MessagePack-CSharp writes null members. Off by default.
    public var encodesNilForAbsentOptionals = false

    /// Makes an encoder with the default options.
    public init() {}

    /// Appends the encoding of `value` to `writer`'s buffer.
    public func encode<T: Encodable>(_ value: T, into writer: inout MessagePackWriter) throws {
        let start = writer.buffer.writerIndex
        let state = EncodingState(
            writer: writer, userInfo: userInfo, encodesNilForAbsentOptionals: encodesNilForAbsentOptionals)
        writer.buffer = ByteBuffer()  // the state owns the storage now: no copy on write
        defer { writer = state.writer }
        do {
            try state.encode(value, parentFrame: EncodingState.rootFrameID, parent: nil, key: nil)
            try state.finish()
        } catch {
            state.writer.buffer.moveWriterIndex(to: start)
            throw error
        }
    }

    /// Appends the encoding of `value` to `buffer`.
    public func encode<T: Encodable>(_ value: T, into buffer: inout ByteBuffer) throws {
        try buffer.writeMessagePack { (writer: inout MessagePackWriter) throws in
            try encode(value, into: &writer)
        }
    }

    /// The encoding of `value` as bytes.
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        var writer = MessagePackWriter()
        try encode(value, into: &writer)
        return Array(writer.buffer.readableBytesView)
    }

    /// The encoding of `value` in a new buffer.
    public func encodeToByteBuffer<T: Encodable>(
        _ value: T, allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws -> ByteBuffer {
        var writer = MessagePackWriter(buffer: allocator.buffer(capacity: 64))
        try encode(value, into: &writer)
        return writer.buffer
    }
}
