import MessagePack
import NIOCore

/// Rewrites one MessagePack value as compact JSON in a single pass, with no tree in between: a raw
/// MessagePack argument received from a MessagePack client, forwarded to a JSON connection.
///
/// - nil → `null`, bool → `true`/`false`, integers of every width → decimal;
/// - float32 and float64 → the shortest text that reads back as the same number (a float32 as a
///   float32: `0.1`, not `0.10000000149011612`), without a trailing `.0`, as .NET writes doubles;
///   NaN and infinities throw ``HubProtocolError/Code-swift.enum/unsupportedValueFormat`` (JSON has
///   no such numbers);
/// - str → a JSON string (UTF-8 checked; quotes, backslashes and control characters escaped, the
///   rest raw, as ASP.NET Core's relaxed encoder writes); bin → a base64 string, as .NET renders a
///   `byte[]` in JSON;
/// - arrays → arrays; maps → objects, whose keys must be strings (any other key throws
///   ``HubProtocolError/Code-swift.enum/unsupportedValueFormat``);
/// - the timestamp extension → an ISO-8601 UTC string (`"2024-02-29T12:34:56.789Z"`, the fraction to
///   the nanosecond, trailing zeros dropped; years 0000–9999), which `Date` decodes from JSON; any
///   other extension throws ``HubProtocolError/Code-swift.enum/unsupportedValueFormat``.
///
/// Broken input throws ``HubProtocolError/Code-swift.enum/invalidMessagePack``. On error nothing is
/// left in the output.
enum MessagePackToJSONTranscoder {
    /// Nesting allowed, far beyond any protocol's depth limit: only a guard for the stack.
    static let maximumDepth = 1000

    /// Appends the JSON form of the one MessagePack value in `bytes` (bytes after it are an error).
    static func transcode(_ bytes: ByteBuffer, into buffer: inout ByteBuffer) throws(HubProtocolError) {
        let start = buffer.writerIndex
        var reader = MessagePackReader(buffer: bytes, maxDepth: maximumDepth)
        do throws(HubProtocolError) {
            try value(&reader, into: &buffer, depth: 0)
            guard reader.isAtEnd else {
                throw HubProtocolError.invalidMessagePack(
                    MessagePackError(
                        .trailingBytes, "\(reader.readableBytes) bytes after the value", offset: reader.offset))
            }
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error
        }
    }

    /// The JSON text of the MessagePack value in `bytes`, for tests and one-off conversions.
    static func transcode(_ bytes: ByteBuffer) throws(HubProtocolError) -> ByteBuffer {
        var buffer = ByteBuffer()
        try transcode(bytes, into: &buffer)
        return buffer
    }

    @inline(__always)
    private static func read<T>(
        _ reader: inout MessagePackReader, _ body: (inout MessagePackReader) throws(MessagePackError) -> T
    ) throws(HubProtocolError) -> T {
        do throws(MessagePackError) {
            return try body(&reader)
        } catch {
            throw HubProtocolError.invalidMessagePack(error)
        }
    }

    private static func value(
        _ reader: inout MessagePackReader, into buffer: inout ByteBuffer, depth: Int
    ) throws(HubProtocolError) {
        let type = try read(&reader) { reader throws(MessagePackError) in try reader.peekType() }
        switch type {
        case .nil:
            try read(&reader) { reader throws(MessagePackError) in try reader.readNil() }
            buffer.writeStaticString("null")
        case .bool:
            let bool = try read(&reader) { reader throws(MessagePackError) in try reader.readBool() }
            buffer.writeStaticString(bool ? "true" : "false")
        case .integer:
            let (magnitude, negative) = try read(&reader) { reader throws(MessagePackError) -> (UInt64, Bool) in
                if let value = try? reader.readInt64() {
                    return (value.magnitude, value < 0)
                }
                return (try reader.readUInt64(), false)
            }
            writeDecimal(magnitude, negative: negative, into: &buffer)
        case .float:
            let float = try read(&reader) { reader throws(MessagePackError) in try reader.readFloat() }
            try writeNumber(float, finite: float.isFinite, into: &buffer)
        case .double:
            let double = try read(&reader) { reader throws(MessagePackError) in try reader.readDouble() }
            try writeNumber(double, finite: double.isFinite, into: &buffer)
        case .string:
            let utf8 = try read(&reader) { reader throws(MessagePackError) in try reader.readStringBytes() }
            utf8.withUnsafeReadableBytes { buffer.writeJSONString(utf8: $0) }
        case .binary:
            let bytes = try read(&reader) { reader throws(MessagePackError) in try reader.readBinary() }
            buffer.writeInteger(UInt8(ascii: "\""))
            bytes.withUnsafeReadableBytes { buffer.writeBase64($0) }
            buffer.writeInteger(UInt8(ascii: "\""))
        case .array:
            try checkDepth(depth)
            let count = try read(&reader) { reader throws(MessagePackError) in try reader.readArrayHeader() }
            buffer.writeInteger(UInt8(ascii: "["))
            for index in 0..<count {
                if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
                try value(&reader, into: &buffer, depth: depth + 1)
            }
            buffer.writeInteger(UInt8(ascii: "]"))
        case .map:
            try checkDepth(depth)
            let count = try read(&reader) { reader throws(MessagePackError) in try reader.readMapHeader() }
            buffer.writeInteger(UInt8(ascii: "{"))
            for index in 0..<count {
                if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
                let keyType = try read(&reader) { reader throws(MessagePackError) in try reader.peekType() }
                guard keyType == .string else {
                    throw HubProtocolError(
                        .unsupportedValueFormat,
                        "A MessagePack map whose keys are not strings cannot be written as JSON.",
                        context: "a key of type \(keyType)")
                }
                let key = try read(&reader) { reader throws(MessagePackError) in try reader.readStringBytes() }
                key.withUnsafeReadableBytes { buffer.writeJSONString(utf8: $0) }
                buffer.writeInteger(UInt8(ascii: ":"))
                try value(&reader, into: &buffer, depth: depth + 1)
            }
            buffer.writeInteger(UInt8(ascii: "}"))
        case .timestamp:
            let timestamp = try read(&reader) { reader throws(MessagePackError) in try reader.readTimestamp() }
            guard
                ISO8601DateCoding.writeQuoted(
                    seconds: timestamp.seconds, nanoseconds: timestamp.nanoseconds, into: &buffer)
            else {
                throw HubProtocolError(
                    .unsupportedValueFormat,
                    "A MessagePack timestamp outside the years 0000-9999 cannot be written as JSON.",
                    context: "\(timestamp)")
            }
        case .extension:
            let (type, data) = try read(&reader) { reader throws(MessagePackError) in try reader.readExtension() }
            throw HubProtocolError(
                .unsupportedValueFormat, "A MessagePack extension of type \(type) cannot be written as JSON.",
                context: "\(data.readableBytes) bytes of data")
        }
    }

    private static func checkDepth(_ depth: Int) throws(HubProtocolError) {
        guard depth < maximumDepth else {
            throw HubProtocolError.invalidMessagePack(
                MessagePackError(.depthLimitExceeded, "containers nest deeper than \(maximumDepth)"))
        }
    }

    private static func writeNumber(
        _ number: some CustomStringConvertible, finite: Bool, into buffer: inout ByteBuffer
    ) throws(HubProtocolError) {
        guard finite else {
            throw HubProtocolError(
                .unsupportedValueFormat, "NaN and infinities cannot be written as JSON.", context: "\(number)")
        }
        // Swift prints the shortest text that reads back as the same value, always valid JSON
        // (`1.0`, `1e-05`, `1.5e+300`); .NET drops the `.0` of integral values.
        var text = number.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        buffer.writeString(text)
    }

    /// Appends an integer in decimal.
    private static func writeDecimal(_ magnitude: UInt64, negative: Bool, into buffer: inout ByteBuffer) {
        if negative { buffer.writeInteger(UInt8(ascii: "-")) }
        guard magnitude >= 10 else {
            buffer.writeInteger(UInt8(ascii: "0") + UInt8(magnitude))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for UInt64.max's 20 digits
        withUnsafeMutableBytes(of: &digits) { scratch in
            var rest = magnitude
            var index = scratch.count
            while rest > 0 {
                index -= 1
                scratch[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: scratch[index...]))
        }
    }
}

extension ByteBuffer {
    /// Appends `bytes` in base64 (RFC 4648, standard alphabet, with padding), as .NET's
    /// `Convert.ToBase64String` writes them.
    mutating func writeBase64(_ bytes: UnsafeRawBufferPointer) {
        let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        let table = alphabet.utf8Start
        let length = (bytes.count + 2) / 3 * 4
        guard length > 0 else { return }
        writeWithUnsafeMutableBytes(minimumWritableBytes: length) { out in
            var i = 0
            var o = 0
            while i + 3 <= bytes.count {
                let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
                out[o] = table[Int(n >> 18 & 63)]
                out[o + 1] = table[Int(n >> 12 & 63)]
                out[o + 2] = table[Int(n >> 6 & 63)]
                out[o + 3] = table[Int(n & 63)]
                i += 3
                o += 4
            }
            let rest = bytes.count - i
            if rest > 0 {
                let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
                out[o] = table[Int(n >> 18 & 63)]
                out[o + 1] = table[Int(n >> 12 & 63)]
                out[o + 2] = rest == 2 ? table[Int(n >> 6 & 63)] : UInt8(ascii: "=")
                out[o + 3] = UInt8(ascii: "=")
            }
            return length
        }
    }
}
