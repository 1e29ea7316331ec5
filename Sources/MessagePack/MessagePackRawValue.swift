import NIOCore

/// One MessagePack value kept as its encoded bytes, checked but not decoded.
///
/// ``MessagePackDecoder`` fills a property of this type with the bytes of the value at that place
/// (a slice of the input, checked as ``MessagePackReader/readRawValue()`` checks), and
/// ``MessagePackEncoder`` writes the bytes back unchanged. The hub protocol uses it to carry method
/// arguments until it knows what type to decode them into. Other encoders and decoders cannot
/// handle it and throw.
public struct MessagePackRawValue: Sendable, Hashable, CustomStringConvertible {
    /// The encoded value.
    public let bytes: ByteBuffer

    /// Wraps `bytes` after checking that they hold exactly one whole value.
    public init(
        validating bytes: ByteBuffer, maxDepth: Int = MessagePackReader.defaultMaxDepth
    ) throws(MessagePackError) {
        var reader = MessagePackReader(buffer: bytes, maxDepth: maxDepth)
        let value = try reader.readRawValue()
        guard reader.isAtEnd else {
            throw MessagePackError(
                .trailingBytes, "\(reader.readableBytes) bytes after the value", offset: reader.offset)
        }
        self.bytes = value
    }

    /// Encodes `value`.
    public init(_ value: MessagePackValue) {
        var writer = MessagePackWriter()
        writer.writeValue(value)
        self.bytes = writer.buffer
    }

    /// Wraps bytes a reader has already checked (``MessagePackReader/readRawValue()``), without
    /// checking them again.
    ///
    /// Pass exactly one whole value. Bytes that are not one do not make anything trap: decoding them
    /// throws when it reaches the problem, and ``MessagePackEncoder`` copies them as they are.
    public init(checked bytes: ByteBuffer) {
        self.bytes = bytes
    }

    /// Decodes the value into `type`.
    public func decode<T: Decodable>(
        _ type: T.Type = T.self, using decoder: MessagePackDecoder = MessagePackDecoder()
    )
        throws -> T
    {
        try decoder.decode(T.self, from: bytes)
    }

    /// Decodes the value as a tree.
    public var value: MessagePackValue {
        get throws(MessagePackError) { try MessagePackValue(decoding: bytes) }
    }

    /// The bytes in hex.
    public var description: String {
        "MessagePackRawValue(" + bytes.readableBytesView.map { hexByte($0) }.joined(separator: " ") + ")"
    }
}

/// Two lowercase hex digits.
func hexByte(_ byte: UInt8) -> String {
    let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
}

extension MessagePackRawValue: Codable {
    /// Captures the value's bytes when `decoder` is a ``MessagePackDecoder``; throws otherwise.
    public init(from decoder: any Decoder) throws {
        guard let decoder = decoder as? ValueDecoder else {
            throw DecodingError.typeMismatch(
                MessagePackRawValue.self,
                DecodingError.Context(
                    codingPath: decoder.codingPath, debugDescription: "MessagePackRawValue needs MessagePackDecoder"))
        }
        self = try decoder.decode(MessagePackRawValue.self)
    }

    /// Writes the bytes unchanged when `encoder` is a ``MessagePackEncoder``; throws otherwise.
    public func encode(to encoder: any Encoder) throws {
        guard let encoder = encoder as? ValueEncoder else {
            let message = "MessagePackRawValue needs MessagePackEncoder"
            throw EncodingError.invalidValue(
                self,
                EncodingError.Context(
                    codingPath: encoder.codingPath, debugDescription: message,
                    underlyingError: MessagePackError(.unsupportedValue, message)))
        }
        try encoder.encodeRaw { $0.writeRaw(bytes) }
    }
}
