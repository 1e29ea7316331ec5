import Foundation
import MessagePack
import NIOCore

/// Encodes Swift values into MessagePack and decodes raw MessagePack slices into Swift types, the
/// way the MessagePack hub protocol needs: MessagePack-CSharp's contractless conventions, `Date` as
/// the timestamp extension, `Data` as `bin`.
enum MessagePackValueCoding {
    /// Shared: both are value types without state between calls.
    static let encoder = MessagePackEncoder()
    static let decoder = MessagePackDecoder()

    /// Appends `value`. `String`, `Int`, `Bool`, `Double` and `Date` are written directly; everything else
    /// goes through `MessagePackEncoder`, straight into the writer's buffer.
    static func write(_ value: any Encodable & Sendable, into writer: inout MessagePackWriter) throws(HubProtocolError)
    {
        switch value {
        case let string as String where UInt64(string.utf8.count) <= UInt64(UInt32.max):
            writer.writeString(string)
        case let int as Int:
            writer.writeInteger(int)
        case let bool as Bool:
            writer.writeBool(bool)
        case let double as Double:
            writer.writeDouble(double)
        case let date as Date:
            do throws(MessagePackError) {
                writer.writeTimestamp(try date.messagePackTimestamp)
            } catch {
                throw HubProtocolError(
                    .valueEncodingFailed, "Failed to encode a Date as MessagePack.", context: "\(error)")
            }
        default:
            do {
                try encoder.encode(value, into: &writer)
            } catch {
                throw HubProtocolError(
                    .valueEncodingFailed, "Failed to encode a value of type \(type(of: value)) as MessagePack.",
                    context: "\(error)")
            }
        }
    }

    /// Decodes a checked MessagePack value slice into `T`.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: ByteBuffer) throws(HubProtocolError) -> T {
        if let value = fastDecode(type, from: bytes) { return value }
        do {
            return try decoder.decode(T.self, from: MessagePackRawValue(checked: bytes))
        } catch {
            throw HubProtocolError(
                .valueDecodingFailed, "The value could not be decoded as \(T.self).", context: "\(error)")
        }
    }

    /// Decodes `String`, `Int`, `Double` and `Bool` with the reader alone; `nil` when `T` is another
    /// type or the value does not fit (then the decoder decides, and explains any error).
    private static func fastDecode<T>(_ type: T.Type, from bytes: ByteBuffer) -> T? {
        var reader = MessagePackReader(buffer: bytes)
        if T.self == String.self { return (try? reader.readString()) as? T }
        if T.self == Int.self { return (try? reader.readInteger(as: Int.self)) as? T }
        if T.self == Double.self { return (try? reader.readDouble()) as? T }
        if T.self == Bool.self { return (try? reader.readBool()) as? T }
        return nil
    }
}
