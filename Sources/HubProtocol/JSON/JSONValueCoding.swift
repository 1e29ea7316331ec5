import Foundation
import NIOCore

/// Encodes Swift values into JSON and decodes raw JSON slices into Swift types, the way the JSON
/// hub protocol needs: compact, slashes unescaped, dates as ISO-8601 text.
enum JSONValueCoding {
    /// Shared: `JSONEncoder`/`JSONDecoder` are safe to use from several threads once configured,
    /// and building one per value would cost more than the value.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601DateCoding.format(date))
        }
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = ISO8601DateCoding.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "Expected an ISO-8601 date, found '\(text)'.")
            }
            return date
        }
        return decoder
    }()

    /// Appends `value` as JSON. `String`, `Int` and `Bool` are written directly; everything else
    /// goes through the shared `JSONEncoder`.
    static func write(_ value: any Encodable & Sendable, into buffer: inout ByteBuffer) throws(HubProtocolError) {
        switch value {
        case let string as String:
            buffer.writeJSONString(string)
        case let int as Int:
            buffer.writeString(String(int))
        case let bool as Bool:
            buffer.writeStaticString(bool ? "true" : "false")
        default:
            let data: Data
            do {
                data = try encoder.encode(value)
            } catch {
                throw HubProtocolError(
                    .valueEncodingFailed, "Failed to encode a value of type \(type(of: value)) as JSON.",
                    context: "\(error)")
            }
            buffer.writeBytes(data)
        }
    }

    /// Decodes a validated JSON value slice (no surrounding whitespace) into `T`.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: ByteBuffer) throws(HubProtocolError) -> T {
        if let value = fastDecode(type, from: bytes) { return value }
        do {
            return try decoder.decode(type, from: Data(bytes.readableBytesView))
        } catch {
            throw HubProtocolError(
                .valueDecodingFailed, "The value could not be decoded as \(T.self).", context: "\(error)")
        }
    }

    /// Decodes `String`, `Int`, `Double` and `Bool` without `JSONDecoder`; `nil` when `T` is another
    /// type or the value does not fit (then `JSONDecoder` decides, and explains any error).
    private static func fastDecode<T>(_ type: T.Type, from bytes: ByteBuffer) -> T? {
        if T.self == String.self {
            return bytes.withUnsafeReadableBytes { raw -> String? in
                guard raw.count >= 2, raw[0] == UInt8(ascii: "\"") else { return nil }
                var scanner = JSONScanner(raw)
                guard let token = try? scanner.scanString(), scanner.index == raw.count else { return nil }
                return scanner.string(token)
            } as? T
        }
        if T.self == Int.self {
            return bytes.withUnsafeReadableBytes { raw -> Int? in
                var scanner = JSONScanner(raw)
                guard let first = raw.first, first == UInt8(ascii: "-") || scanner.isDigit(first),
                    let token = try? scanner.scanNumber(), scanner.index == raw.count,
                    let value = scanner.integerValue(token)
                else { return nil }
                return Int(exactly: value)
            } as? T
        }
        if T.self == Double.self {
            return bytes.withUnsafeReadableBytes { raw -> Double? in
                guard let first = raw.first, first == UInt8(ascii: "-") || (first &- UInt8(ascii: "0")) < 10 else {
                    return nil
                }
                guard let value = Double(String(decoding: raw, as: UTF8.self)), value.isFinite else { return nil }
                return value
            } as? T
        }
        if T.self == Bool.self {
            if bytes.readableBytes == 4 && bytes.readableBytesView.elementsEqual("true".utf8) { return true as? T }
            if bytes.readableBytes == 5 && bytes.readableBytesView.elementsEqual("false".utf8) { return false as? T }
            return nil
        }
        return nil
    }
}

extension ByteBuffer {
    /// Appends `string` as a JSON string: quotes, `\"`, `\\`, and control characters escaped
    /// (`\b \t \n \f \r`, others as `\u00XX`); everything else, non-ASCII included, written raw,
    /// as System.Text.Json's relaxed encoder does.
    mutating func writeJSONString(_ string: String) {
        var string = string
        string.withUTF8 { writeJSONString(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Appends valid UTF-8 text as a JSON string, escaped as ``writeJSONString(_:)`` does.
    mutating func writeJSONString(utf8: UnsafeRawBufferPointer) {
        writeInteger(UInt8(ascii: "\""))
        var runStart = 0
        for i in 0..<utf8.count {
            let byte = utf8[i]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            writeBytes(UnsafeRawBufferPointer(rebasing: utf8[runStart..<i]))
            runStart = i + 1
            switch byte {
            case UInt8(ascii: "\""): writeStaticString("\\\"")
            case UInt8(ascii: "\\"): writeStaticString("\\\\")
            case 0x08: writeStaticString("\\b")
            case 0x09: writeStaticString("\\t")
            case 0x0A: writeStaticString("\\n")
            case 0x0C: writeStaticString("\\f")
            case 0x0D: writeStaticString("\\r")
            default:
                let digits: StaticString = "0123456789ABCDEF"
                writeStaticString("\\u00")
                writeInteger(digits.utf8Start[Int(byte >> 4)])
                writeInteger(digits.utf8Start[Int(byte & 0xF)])
            }
        }
        writeBytes(UnsafeRawBufferPointer(rebasing: utf8[runStart..<utf8.count]))
        writeInteger(UInt8(ascii: "\""))
    }
}
