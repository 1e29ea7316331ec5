import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reply writers: each writes one RESP element straight into bytes, in the form the connection's
/// protocol version calls for (RESP2 stand-ins for RESP3-only types, as Redis sends them).
extension ByteBuffer {
    /// Writes `v` in decimal without allocating.
    @inlinable
    public mutating func writeDecimal(_ v: Int64) {
        let sign = v < 0 ? 1 : 0
        let digits = Self.decimalDigitCount(v.magnitude)
        writeWithUnsafeMutableBytes(minimumWritableBytes: sign + digits) { raw in
            if sign == 1 { raw[0] = UInt8(ascii: "-") }
            Self.writeDigits(v.magnitude, endingAt: sign + digits, into: raw)
            return sign + digits
        }
    }

    /// How many decimal digits `magnitude` has (1 for 0).
    @inlinable
    static func decimalDigitCount(_ magnitude: UInt64) -> Int {
        var digits = 1
        var probe = magnitude / 10
        while probe > 0 {
            digits += 1
            probe /= 10
        }
        return digits
    }

    /// Writes `magnitude`'s decimal digits into `raw` so that the last one is at `end - 1`.
    @inlinable
    static func writeDigits(_ magnitude: UInt64, endingAt end: Int, into raw: UnsafeMutableRawBufferPointer) {
        var rest = magnitude
        var i = end - 1
        repeat {
            raw[i] = UInt8(ascii: "0") &+ UInt8(rest % 10)
            rest /= 10
            i -= 1
        } while rest > 0
    }

    @inlinable
    mutating func writeCRLF() {
        writeInteger(UInt16(0x0D0A))
    }

    @inlinable
    mutating func writeRESPHeader(_ type: UInt8, _ count: Int) {
        writeRESPLine(type, Int64(count))
    }

    /// `<type><n>\r\n` in one write: each of ByteBuffer's writes is a uniqueness check, a capacity
    /// check and a dynamically checked access of its own.
    @inlinable
    mutating func writeRESPLine(_ type: UInt8, _ n: Int64) {
        let sign = n < 0 ? 1 : 0
        let digits = Self.decimalDigitCount(n.magnitude)
        let total = 1 + sign + digits + 2
        writeWithUnsafeMutableBytes(minimumWritableBytes: total) { raw in
            raw[0] = type
            if sign == 1 { raw[1] = UInt8(ascii: "-") }
            Self.writeDigits(n.magnitude, endingAt: 1 + sign + digits, into: raw)
            raw[total - 2] = 0x0D
            raw[total - 1] = 0x0A
            return total
        }
    }

    /// `$n\r\n…\r\n` from raw bytes, in one write.
    @inlinable
    public mutating func writeRESPBulkString(raw bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        let digits = Self.decimalDigitCount(UInt64(n))
        let total = 1 + digits + 2 + n + 2
        writeWithUnsafeMutableBytes(minimumWritableBytes: total) { raw in
            raw[0] = UInt8(ascii: "$")
            Self.writeDigits(UInt64(n), endingAt: 1 + digits, into: raw)
            raw[digits + 1] = 0x0D
            raw[digits + 2] = 0x0A
            if n > 0 {
                UnsafeMutableRawBufferPointer(rebasing: raw[(digits + 3)..<(digits + 3 + n)]).copyMemory(from: bytes)
            }
            raw[total - 2] = 0x0D
            raw[total - 1] = 0x0A
            return total
        }
    }

    /// `+text\r\n`.
    @inlinable
    public mutating func writeRESPSimpleString(_ text: StaticString) {
        text.withUTF8Buffer { utf8 in
            let n = utf8.count
            writeWithUnsafeMutableBytes(minimumWritableBytes: n + 3) { raw in
                raw[0] = UInt8(ascii: "+")
                if n > 0 {
                    UnsafeMutableRawBufferPointer(rebasing: raw[1..<(n + 1)]).copyMemory(
                        from: UnsafeRawBufferPointer(utf8))
                }
                raw[n + 1] = 0x0D
                raw[n + 2] = 0x0A
                return n + 3
            }
        }
    }

    /// `+text\r\n` from bytes (the caller guarantees no CR or LF inside).
    @inlinable
    public mutating func writeRESPSimpleString<Bytes: Sequence>(bytes: Bytes) where Bytes.Element == UInt8 {
        writeInteger(UInt8(ascii: "+"))
        writeBytes(bytes)
        writeCRLF()
    }

    /// `+OK\r\n`.
    @inlinable
    public mutating func writeRESPOK() {
        writeRESPSimpleString("OK")
    }

    /// Already-encoded bytes (a pushed message, say) in one write: ByteBuffer's `writeBytes` and
    /// `writeStaticString` each check the storage's uniqueness and capacity and take its pointer
    /// through several dynamically checked accesses, which cost more than a short copy.
    @inlinable
    public mutating func writeRESPRaw(_ bytes: UnsafeRawBufferPointer) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: bytes.count) { raw in
            raw.copyMemory(from: bytes)
            return bytes.count
        }
    }

    /// Fixed bytes in one write (``writeRESPRaw(_:)``).
    @inlinable
    mutating func writeRESPStatic(_ text: StaticString) {
        text.withUTF8Buffer { writeRESPRaw(UnsafeRawBufferPointer($0)) }
    }

    /// `-message\r\n`: CR and LF inside become spaces, as Redis's `addReplyError` does.
    /// `message` carries its own code word (`ERR …`, `WRONGTYPE …`).
    public mutating func writeRESPError(_ message: String) {
        writeInteger(UInt8(ascii: "-"))
        for c in message.utf8 {
            writeInteger(c == 0x0D || c == 0x0A ? 0x20 : c)
        }
        writeCRLF()
    }

    /// `:n\r\n`.
    @inlinable
    public mutating func writeRESPInteger(_ n: Int64) {
        writeRESPLine(UInt8(ascii: ":"), n)
    }

    /// `:n\r\n`.
    @inlinable
    public mutating func writeRESPInteger(_ n: Int) {
        writeRESPInteger(Int64(n))
    }

    /// `$n\r\n…\r\n` from bytes.
    @inlinable
    public mutating func writeRESPBulkString<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8 {
        let written: Void? = bytes.withContiguousStorageIfAvailable {
            writeRESPBulkString(raw: UnsafeRawBufferPointer($0))
        }
        if written != nil { return }
        writeRESPHeader(UInt8(ascii: "$"), bytes.count)
        writeBytes(bytes)
        writeCRLF()
    }

    /// `$n\r\n…\r\n` from another buffer's readable bytes.
    @inlinable
    public mutating func writeRESPBulkString(buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { writeRESPBulkString(raw: $0) }
    }

    /// `$n\r\n…\r\n` from a string's UTF-8.
    @inlinable
    public mutating func writeRESPBulkString(_ string: String) {
        writeRESPHeader(UInt8(ascii: "$"), string.utf8.count)
        writeString(string)
        writeCRLF()
    }

    /// The integer as a bulk string (`$2\r\n42\r\n`).
    @inlinable
    public mutating func writeRESPBulkString(decimal n: Int64) {
        var digits = ByteBuffer()
        digits.writeDecimal(n)
        writeRESPBulkString(buffer: digits)
    }

    /// A null: `$-1\r\n` in RESP2, `_\r\n` in RESP3.
    @inlinable
    public mutating func writeRESPNull(_ version: RESPVersion) {
        if version == .resp3 { writeRESPStatic("_\r\n") } else { writeRESPStatic("$-1\r\n") }
    }

    /// A null aggregate: `*-1\r\n` in RESP2, `_\r\n` in RESP3.
    @inlinable
    public mutating func writeRESPNullArray(_ version: RESPVersion) {
        if version == .resp3 { writeRESPStatic("_\r\n") } else { writeRESPStatic("*-1\r\n") }
    }

    /// `*n\r\n`.
    @inlinable
    public mutating func writeRESPArrayHeader(_ count: Int) {
        writeRESPHeader(UInt8(ascii: "*"), count)
    }

    /// A map of `count` pairs: `%n` in RESP3, a flat array of `2n` in RESP2.
    @inlinable
    public mutating func writeRESPMapHeader(_ count: Int, _ version: RESPVersion) {
        if version == .resp3 {
            writeRESPHeader(UInt8(ascii: "%"), count)
        } else {
            writeRESPHeader(UInt8(ascii: "*"), count * 2)
        }
    }

    /// A set: `~n` in RESP3, an array in RESP2.
    @inlinable
    public mutating func writeRESPSetHeader(_ count: Int, _ version: RESPVersion) {
        writeRESPHeader(version == .resp3 ? UInt8(ascii: "~") : UInt8(ascii: "*"), count)
    }

    /// A push: `>n` in RESP3, an array in RESP2.
    @inlinable
    public mutating func writeRESPPushHeader(_ count: Int, _ version: RESPVersion) {
        writeRESPHeader(version == .resp3 ? UInt8(ascii: ">") : UInt8(ascii: "*"), count)
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    @inlinable
    public mutating func writeRESPBoolean(_ value: Bool, _ version: RESPVersion) {
        if version == .resp3 {
            writeRESPStatic(value ? "#t\r\n" : "#f\r\n")
        } else {
            writeRESPStatic(value ? ":1\r\n" : ":0\r\n")
        }
    }

    /// A double as Redis 7.0 writes it (`%.17g`, `inf`, `-inf`): `,…` in RESP3, a bulk string in RESP2.
    public mutating func writeRESPDouble(_ value: Double, _ version: RESPVersion) {
        let text = RESPDoubleFormatting.redisString(value)
        if version == .resp3 {
            writeInteger(UInt8(ascii: ","))
            writeString(text)
            writeCRLF()
        } else {
            writeRESPBulkString(text)
        }
    }

    /// A verbatim string: `=n\r\nfmt:…` in RESP3, a bulk string in RESP2.
    public mutating func writeRESPVerbatimString(format: StaticString, _ text: String, _ version: RESPVersion) {
        if version == .resp3 {
            writeRESPHeader(UInt8(ascii: "="), text.utf8.count + 4)
            writeStaticString(format)
            writeInteger(UInt8(ascii: ":"))
            writeString(text)
            writeCRLF()
        } else {
            writeRESPBulkString(text)
        }
    }
}

/// Formats doubles the way Redis 7.0's replies do.
public enum RESPDoubleFormatting {
    /// `%.17g`, with `inf` / `-inf` / `nan` for the special values.
    public static func redisString(_ value: Double) -> String {
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        if value.isNaN { return "nan" }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            let n = withVaList([value]) { vsnprintf(buffer.baseAddress!, 64, "%.17g", $0) }
            return String(
                decoding: UnsafeRawBufferPointer(start: buffer.baseAddress!, count: Int(n)), as: UTF8.self)
        }
    }
}
