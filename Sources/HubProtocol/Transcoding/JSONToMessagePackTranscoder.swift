import MessagePack
import NIOCore

/// Rewrites one JSON value as MessagePack in a single pass over the text, with no tree in between:
/// a raw JSON argument received from a JSON client, forwarded to a MessagePack connection.
///
/// - objects → maps with str keys, arrays → arrays, in the smallest header for their count (a
///   container's header is patched when it closes; its content moves up by 2 or 4 bytes only when
///   it holds more than 15 entries);
/// - strings → str, escapes resolved (no allocation, also with escapes);
/// - numbers whose value is integral and fits `Int64` (or, if positive, `UInt64`) → the smallest
///   integer form (`1.0` and `1e3` too, which readers of an integer accept and readers of a float
///   read as that float); any other number → float64; a number beyond float64's range throws
///   ``HubProtocolError/Code-swift.enum/unsupportedValueFormat``;
/// - `true`/`false` → bool, `null` → nil.
///
/// The input is checked as it is read (it normally is a validated slice already); on error nothing
/// is left in the output.
enum JSONToMessagePackTranscoder {
    /// Nesting allowed, far beyond any protocol's depth limit: only a guard for the stack.
    static let maximumDepth = 1000

    /// Appends the MessagePack form of the one JSON value in `json` (whitespace around it allowed).
    static func transcode(_ json: ByteBuffer, into writer: inout MessagePackWriter) throws(HubProtocolError) {
        let start = writer.buffer.writerIndex
        let result = json.withUnsafeReadableBytes { bytes -> Result<Void, HubProtocolError> in
            var scanner = JSONScanner(bytes, maximumDepth: maximumDepth)
            do throws(HubProtocolError) {
                try value(&scanner, into: &writer, depth: 0)
                try scanner.expectEnd()
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        if case .failure(let error) = result {
            writer.buffer.moveWriterIndex(to: start)
            throw error
        }
    }

    /// The MessagePack bytes of the JSON value in `json`, for tests and one-off conversions.
    static func transcode(_ json: ByteBuffer) throws(HubProtocolError) -> ByteBuffer {
        var writer = MessagePackWriter(capacity: json.readableBytes)
        try transcode(json, into: &writer)
        return writer.buffer
    }

    private static func value(
        _ scanner: inout JSONScanner, into writer: inout MessagePackWriter, depth: Int
    ) throws(HubProtocolError) {
        guard let first = scanner.peek() else { throw scanner.unexpected() }
        switch first {
        case UInt8(ascii: "\""):
            writeString(try scanner.scanString(), scanner, into: &writer)
        case UInt8(ascii: "{"):
            try scanner.checkDepth(depth + 1)
            scanner.index &+= 1
            let header = beginContainer(&writer)
            var count = 0
            if scanner.peek() == UInt8(ascii: "}") {
                scanner.index &+= 1
            } else {
                repeat {
                    guard scanner.peek() == UInt8(ascii: "\"") else { throw scanner.unexpected() }
                    writeString(try scanner.scanString(), scanner, into: &writer)
                    try scanner.expect(UInt8(ascii: ":"))
                    try value(&scanner, into: &writer, depth: depth + 1)
                    count += 1
                } while try scanner.nextMember(close: UInt8(ascii: "}"))
            }
            endContainer(&writer, header: header, count: count, isMap: true)
        case UInt8(ascii: "["):
            try scanner.checkDepth(depth + 1)
            scanner.index &+= 1
            let header = beginContainer(&writer)
            var count = 0
            if scanner.peek() == UInt8(ascii: "]") {
                scanner.index &+= 1
            } else {
                repeat {
                    try value(&scanner, into: &writer, depth: depth + 1)
                    count += 1
                } while try scanner.nextMember(close: UInt8(ascii: "]"))
            }
            endContainer(&writer, header: header, count: count, isMap: false)
        case UInt8(ascii: "t"):
            try scanner.literal("true")
            writer.writeBool(true)
        case UInt8(ascii: "f"):
            try scanner.literal("false")
            writer.writeBool(false)
        case UInt8(ascii: "n"):
            try scanner.literal("null")
            writer.writeNil()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try writeNumber(try scanner.scanNumber(), scanner, into: &writer)
        default:
            throw scanner.unexpected()
        }
    }

    // MARK: Numbers

    private static func writeNumber(
        _ token: JSONScanner.NumberToken, _ scanner: JSONScanner, into writer: inout MessagePackWriter
    ) throws(HubProtocolError) {
        if token.isInteger {
            if let value = scanner.integerValue(token) {
                writer.writeInteger(value)
                return
            }
            if let value = unsignedValue(token, scanner.bytes) {
                writer.writeInteger(value)
                return
            }
        }
        let text = UnsafeRawBufferPointer(rebasing: scanner.bytes[token.start..<token.end])
        guard let double = Double(String(decoding: text, as: UTF8.self)), double.isFinite else {
            throw HubProtocolError(
                .unsupportedValueFormat,
                "A JSON number beyond the range of a float64 cannot be written as MessagePack.",
                context: String(decoding: text, as: UTF8.self))
        }
        if double == double.rounded(.towardZero) {
            // 2^63 and 2^64 are exact doubles, so these bounds compare without rounding.
            if double >= -9_223_372_036_854_775_808.0 && double < 9_223_372_036_854_775_808.0 {
                writer.writeInteger(Int64(double))
                return
            }
            if double > 0 && double < 18_446_744_073_709_551_616.0 {
                writer.writeInteger(UInt64(double))
                return
            }
        }
        writer.writeDouble(double)
    }

    /// The value of a non-negative integer token that fits `UInt64` (used past `Int64.max`).
    private static func unsignedValue(_ token: JSONScanner.NumberToken, _ bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard bytes[token.start] != UInt8(ascii: "-") else { return nil }
        var value: UInt64 = 0
        for i in token.start..<token.end {
            let (product, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = product.addingReportingOverflow(UInt64(bytes[i] &- UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = sum
        }
        return value
    }

    // MARK: Strings

    private static func writeString(
        _ token: JSONScanner.StringToken, _ scanner: JSONScanner, into writer: inout MessagePackWriter
    ) {
        let raw = UnsafeRawBufferPointer(rebasing: scanner.bytes[token.start..<token.end])
        guard token.hasEscapes else {
            writer.writeString(utf8: raw)
            return
        }
        var length = 0
        forEachUnescapedRun(raw) { length += $0.count }
        writer.writeStringHeader(length: length)
        forEachUnescapedRun(raw) { writer.writeRaw($0) }
    }

    /// Calls `body` with the UTF-8 of validated string content `raw`, escapes resolved, in runs:
    /// the text between escapes as it is, each escape as the 1–4 bytes it stands for.
    private static func forEachUnescapedRun(_ raw: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var i = 0
        var runStart = 0
        while i < raw.count {
            guard raw[i] == UInt8(ascii: "\\") else {
                i += 1
                continue
            }
            if i > runStart { body(UnsafeRawBufferPointer(rebasing: raw[runStart..<i])) }
            let kind = raw[i + 1]
            i += 2
            var scalar: UInt32
            switch kind {
            case UInt8(ascii: "b"): scalar = 0x08
            case UInt8(ascii: "f"): scalar = 0x0C
            case UInt8(ascii: "n"): scalar = 0x0A
            case UInt8(ascii: "r"): scalar = 0x0D
            case UInt8(ascii: "t"): scalar = 0x09
            case UInt8(ascii: "u"):
                scalar = UInt32(hex4(raw, i))
                i += 4
                if scalar & 0xFC00 == 0xD800 {  // the scanner checked that a low surrogate follows
                    let low = UInt32(hex4(raw, i + 2))
                    i += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
            default: scalar = UInt32(kind)  // " \ /
            }
            withUTF8(of: scalar, body)
            runStart = i
        }
        if raw.count > runStart { body(UnsafeRawBufferPointer(rebasing: raw[runStart..<raw.count])) }
    }

    private static func hex4(_ raw: UnsafeRawBufferPointer, _ at: Int) -> UInt16 {
        var value: UInt16 = 0
        for k in 0..<4 {
            let c = raw[at + k]
            let digit: UInt8 = c <= UInt8(ascii: "9") ? c - UInt8(ascii: "0") : (c | 0x20) - UInt8(ascii: "a") + 10
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    private static func withUTF8(of scalar: UInt32, _ body: (UnsafeRawBufferPointer) -> Void) {
        var bytes: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        let count: Int
        switch scalar {
        case 0..<0x80:
            bytes.0 = UInt8(scalar)
            count = 1
        case 0x80..<0x800:
            bytes = (UInt8(0xC0 | scalar >> 6), UInt8(0x80 | scalar & 0x3F), 0, 0)
            count = 2
        case 0x800..<0x10000:
            bytes = (UInt8(0xE0 | scalar >> 12), UInt8(0x80 | scalar >> 6 & 0x3F), UInt8(0x80 | scalar & 0x3F), 0)
            count = 3
        default:
            bytes = (
                UInt8(0xF0 | scalar >> 18), UInt8(0x80 | scalar >> 12 & 0x3F), UInt8(0x80 | scalar >> 6 & 0x3F),
                UInt8(0x80 | scalar & 0x3F)
            )
            count = 4
        }
        withUnsafeBytes(of: &bytes) { body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }

    // MARK: Containers

    /// Reserves one byte for a container header; returns its position.
    private static func beginContainer(_ writer: inout MessagePackWriter) -> Int {
        let position = writer.buffer.writerIndex
        writer.buffer.writeInteger(UInt8(0))
        return position
    }

    /// Fills in the header reserved at `header` for `count` entries, moving the content up when the
    /// header needs 3 or 5 bytes.
    private static func endContainer(_ writer: inout MessagePackWriter, header: Int, count: Int, isMap: Bool) {
        if count <= 15 {
            writer.buffer.setInteger((isMap ? 0x80 : 0x90) | UInt8(count), at: header)
            return
        }
        let extra = count <= 0xFFFF ? 2 : 4
        let contentOffset = header + 1 - writer.buffer.readerIndex
        let contentLength = writer.buffer.writerIndex - header - 1
        writer.buffer.writeRepeatingByte(0, count: extra)
        writer.buffer.withUnsafeMutableReadableBytes { bytes in
            // Not nil: the content holds at least 16 entries.
            let from = bytes.baseAddress! + contentOffset
            (from + extra).copyMemory(from: from, byteCount: contentLength)
        }
        if extra == 2 {
            writer.buffer.setInteger(isMap ? UInt8(0xDE) : 0xDC, at: header)
            writer.buffer.setInteger(UInt16(count), at: header + 1)
        } else {
            writer.buffer.setInteger(isMap ? UInt8(0xDF) : 0xDD, at: header)
            writer.buffer.setInteger(UInt32(truncatingIfNeeded: count), at: header + 1)
        }
    }
}
