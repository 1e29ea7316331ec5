import Foundation
import MessagePack
import NIOCore

/// One argument, stream item or completion result: either a raw value received from a peer, or a
/// Swift value to send.
///
/// A received value stays a validated slice of the input (``format`` tells which protocol read it)
/// until ``decode(_:)`` turns it, once, straight into the Swift type the caller asks for: no
/// intermediate tree is built. A value to send holds any `Encodable & Sendable` Swift value and is
/// encoded by each protocol that writes it; a raw value is copied verbatim into a message of its
/// own format.
///
/// A raw value written into a message of the other format — a message received from a JSON client
/// forwarded to a MessagePack one, or the reverse — is transcoded in one streaming pass, without a
/// tree: JSON numbers become the smallest MessagePack integer when their value is integral and fits
/// (else float64); MessagePack `bin` becomes a base64 string and timestamps ISO-8601 strings in JSON.
/// What JSON cannot hold (other extensions, map keys that are not strings, NaN and infinities)
/// throws ``HubProtocolError/Code-swift.enum/unsupportedValueFormat``. JSON has no dates or byte
/// strings, so a date or `byte[]` a JSON client sent reaches a MessagePack connection as a string:
/// `Date` decodes from it (ISO-8601), `Data` does not, and neither would a .NET MessagePack client
/// expecting a `DateTime` or a `byte[]`.
public struct HubValue: Sendable {
    enum Storage: Sendable {
        /// `null` / `nil`, written without an encoder.
        case null
        /// A validated slice of received input, in the given format.
        case raw(ByteBuffer, HubValueFormat)
        /// A Swift value to encode.
        case value(any Encodable & Sendable)
    }

    let storage: Storage

    init(storage: Storage) {
        self.storage = storage
    }

    /// `null` (JSON) / `nil` (MessagePack).
    public static let null = HubValue(storage: .null)

    /// A Swift value to send; each protocol encodes it (JSON through `JSONEncoder`).
    ///
    /// `nil` optionals become ``null``.
    public init(_ value: some Encodable & Sendable) {
        if let optional = value as? any OptionalProtocol, optional.isNone {
            self.storage = .null
        } else {
            self.storage = .value(value)
        }
    }

    /// A raw JSON value (UTF-8 bytes of one JSON value, surrounding whitespace allowed), validated
    /// now and copied verbatim into JSON messages.
    public init(rawJSON bytes: ByteBuffer) throws(HubProtocolError) {
        let trimmed = try JSONScanner.validateValue(bytes)
        self.storage = .raw(trimmed, .json)
    }

    /// A raw JSON value from text (see ``init(rawJSON:)-(ByteBuffer)``).
    public init(rawJSON text: String) throws(HubProtocolError) {
        try self.init(rawJSON: ByteBuffer(string: text))
    }

    /// A raw MessagePack value (exactly one encoded value), checked now — its structure, to
    /// `maximumDepth` nested containers — and copied verbatim into MessagePack messages.
    public init(
        rawMessagePack bytes: ByteBuffer, maximumDepth: Int = MessagePackReader.defaultMaxDepth
    ) throws(HubProtocolError) {
        do throws(MessagePackError) {
            self.storage = .raw(try MessagePackRawValue(validating: bytes, maxDepth: maximumDepth).bytes, .messagePack)
        } catch {
            throw HubProtocolError.invalidMessagePack(error)
        }
    }

    /// The format of a received raw value; `nil` for a Swift value or ``null``.
    public var format: HubValueFormat? {
        if case .raw(_, let format) = storage { return format }
        return nil
    }

    /// The bytes of a received raw value (exactly the value, no framing); `nil` otherwise.
    public var rawBytes: ByteBuffer? {
        if case .raw(let bytes, _) = storage { return bytes }
        return nil
    }

    /// Whether this is ``null``, a raw JSON `null` or a raw MessagePack nil.
    public var isNull: Bool {
        switch storage {
        case .null: return true
        case .raw(let bytes, .json): return JSONScanner.isNullLiteral(bytes)
        case .raw(let bytes, .messagePack):
            return bytes.readableBytes == 1 && bytes.getInteger(at: bytes.readerIndex, as: UInt8.self) == 0xC0
        case .value: return false
        }
    }

    /// Decodes the value into `T`.
    ///
    /// Raw JSON is decoded from its slice (by `JSONDecoder`, with fast paths for `String`, `Int`,
    /// `Double` and `Bool`); dates are read as ISO-8601 strings with or without fractional seconds
    /// and with `Z` or an offset. Raw MessagePack is decoded from its slice too (by
    /// `MessagePackDecoder`, with the same fast paths): maps by property name, any integer width into
    /// any integer type it fits, `Date` from the timestamp extension (or MessagePack-CSharp's
    /// `DateTimeOffset` array, or an ISO-8601 string), `Data` and `[UInt8]` from `bin`. Property names match
    /// case-sensitively (ASP.NET Core matches them case-insensitively). A Swift value that already
    /// is a `T` is returned as it is; any other is converted through JSON.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws(HubProtocolError) -> T {
        switch storage {
        case .raw(let bytes, .json):
            return try JSONValueCoding.decode(type, from: bytes)
        case .raw(let bytes, .messagePack):
            return try MessagePackValueCoding.decode(type, from: bytes)
        case .null:
            return try JSONValueCoding.decode(type, from: ByteBuffer(string: "null"))
        case .value(let value):
            if let value = value as? T { return value }
            var buffer = ByteBuffer()
            try JSONValueCoding.write(value, into: &buffer)
            return try JSONValueCoding.decode(type, from: buffer)
        }
    }
}

extension HubValue: CustomStringConvertible {
    /// Raw JSON as its text, raw MessagePack as its JSON text (or its bytes in hex when JSON cannot
    /// hold it), a Swift value as its description.
    public var description: String {
        switch storage {
        case .null: return "null"
        case .raw(let bytes, .json): return String(buffer: bytes)
        case .raw(let bytes, .messagePack):
            if let json = try? MessagePackToJSONTranscoder.transcode(bytes) { return String(buffer: json) }
            return "<MessagePack " + bytes.readableBytesView.map { hexByte($0) }.joined(separator: " ") + ">"
        case .value(let value): return "\(value)"
        }
    }

    private func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}

/// Lets ``HubValue/init(_:)`` see through optionals to spot `nil`.
protocol OptionalProtocol {
    var isNone: Bool { get }
}

extension Optional: OptionalProtocol {
    var isNone: Bool { self == nil }
}
