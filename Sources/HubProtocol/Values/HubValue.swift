import Foundation
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
/// Decoding a ``HubValueFormat/messagePack`` value and writing a raw value into a message of the
/// other format throw ``HubProtocolError/Code-swift.enum/unsupportedValueFormat`` until the
/// MessagePack hub protocol is added (see `HubValue+MessagePack` in that step).
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

    /// Whether this is ``null`` or a raw JSON `null`.
    public var isNull: Bool {
        switch storage {
        case .null: return true
        case .raw(let bytes, .json): return JSONScanner.isNullLiteral(bytes)
        case .raw, .value: return false
        }
    }

    /// Decodes the value into `T`.
    ///
    /// Raw JSON is decoded from its slice (by `JSONDecoder`, with fast paths for `String`, `Int`,
    /// `Double` and `Bool`); dates are read as ISO-8601 strings with or without fractional seconds
    /// and with `Z` or an offset. Property names match case-sensitively (ASP.NET Core matches them
    /// case-insensitively). A Swift value that already is a `T` is returned as it is; any other is
    /// converted through JSON.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws(HubProtocolError) -> T {
        switch storage {
        case .raw(let bytes, .json):
            return try JSONValueCoding.decode(type, from: bytes)
        case .raw(_, .messagePack):
            throw HubProtocolError(
                .unsupportedValueFormat, "Decoding MessagePack values is not supported yet.",
                context: "a MessagePack value was asked for as \(T.self)")
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
    /// Raw JSON as its text, a MessagePack value as its size, a Swift value as its description.
    public var description: String {
        switch storage {
        case .null: return "null"
        case .raw(let bytes, .json): return String(buffer: bytes)
        case .raw(let bytes, .messagePack): return "<MessagePack \(bytes.readableBytes) bytes>"
        case .value(let value): return "\(value)"
        }
    }
}

/// Lets ``HubValue/init(_:)`` see through optionals to spot `nil`.
protocol OptionalProtocol {
    var isNone: Bool { get }
}

extension Optional: OptionalProtocol {
    var isNone: Bool { self == nil }
}
