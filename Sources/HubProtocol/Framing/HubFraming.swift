import NIOCore

/// How hub messages are delimited in a byte stream.
///
/// Both framings are self-delimiting, so one transport read (a WebSocket message, an HTTP POST
/// body, an SSE event) may carry several messages, and a message may span reads.
public enum HubFraming: Sendable, Hashable {
    /// Each message is followed by the record separator `0x1E` (text protocols: JSON, and every
    /// handshake).
    case recordSeparator
    /// Each message is preceded by its length as a VarInt: 7 bits per byte, least-significant
    /// group first, high bit set on every byte but the last, at most 5 bytes, at most `0x7FFFFFFF`
    /// (binary protocols: MessagePack).
    case varIntLengthPrefix

    /// The record separator, `0x1E`.
    public static let recordSeparatorByte: UInt8 = 0x1E
    /// The largest length a VarInt prefix may carry.
    public static let maximumVarInt = 0x7FFF_FFFF
    /// The longest VarInt prefix.
    public static let maximumVarIntLength = 5

    /// Appends `payload` as one frame.
    public func writeFrame(_ payload: ByteBuffer, into buffer: inout ByteBuffer) {
        switch self {
        case .recordSeparator:
            buffer.writeImmutableBuffer(payload)
            buffer.writeInteger(Self.recordSeparatorByte)
        case .varIntLengthPrefix:
            Self.writeVarInt(payload.readableBytes, into: &buffer)
            buffer.writeImmutableBuffer(payload)
        }
    }

    /// Appends one frame whose payload `body` writes straight into `buffer`.
    ///
    /// For a VarInt prefix one byte is reserved first; a payload of 128 bytes or more is moved
    /// up by the extra prefix bytes afterwards. If `body` throws, `buffer` is left as it was.
    public func writeFrame<E: Error>(
        into buffer: inout ByteBuffer, body: (inout ByteBuffer) throws(E) -> Void
    ) throws(E) {
        let start = buffer.writerIndex
        switch self {
        case .recordSeparator:
            do {
                try body(&buffer)
            } catch {
                buffer.moveWriterIndex(to: start)
                throw error
            }
            buffer.writeInteger(Self.recordSeparatorByte)
        case .varIntLengthPrefix:
            buffer.writeInteger(UInt8(0))
            do {
                try body(&buffer)
            } catch {
                buffer.moveWriterIndex(to: start)
                throw error
            }
            let length = buffer.writerIndex - start - 1
            precondition(length <= Self.maximumVarInt, "a hub message cannot exceed 2 GB")
            let prefixLength = Self.varIntLength(length)
            if prefixLength > 1 {
                let extra = prefixLength - 1
                buffer.writeRepeatingByte(0, count: extra)
                let base = start - buffer.readerIndex
                buffer.withUnsafeMutableReadableBytes { bytes in
                    let from = bytes.baseAddress! + base + 1
                    (from + extra).copyMemory(from: from, byteCount: length)
                }
            }
            var value = UInt32(length)
            var index = start
            while value >= 0x80 {
                buffer.setInteger(UInt8(truncatingIfNeeded: value) | 0x80, at: index)
                value >>= 7
                index += 1
            }
            buffer.setInteger(UInt8(value), at: index)
        }
    }

    /// The number of bytes `value` takes as a VarInt (1–5).
    public static func varIntLength(_ value: Int) -> Int {
        precondition(value >= 0 && value <= maximumVarInt, "VarInt out of range")
        var length = 1
        var rest = value >> 7
        while rest != 0 {
            length += 1
            rest >>= 7
        }
        return length
    }

    /// Appends `value` (0...0x7FFFFFFF) as a VarInt.
    public static func writeVarInt(_ value: Int, into buffer: inout ByteBuffer) {
        precondition(value >= 0 && value <= maximumVarInt, "VarInt out of range")
        var rest = UInt32(value)
        while rest >= 0x80 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        buffer.writeInteger(UInt8(rest))
    }

    /// Reads a VarInt from the start of `bytes`: its value and length, or `nil` when more bytes
    /// are needed.
    ///
    /// Throws ``HubProtocolError/invalidLengthPrefix`` for a fifth byte above `0x07` (which also
    /// covers a sixth byte). Non-minimal encodings (`80 00` for 0) are accepted, as ASP.NET Core
    /// accepts them.
    public static func readVarInt(
        _ bytes: UnsafeRawBufferPointer
    ) throws(HubProtocolError) -> (
        value: Int, length: Int
    )? {
        var value: UInt32 = 0
        var index = 0
        let available = Swift.min(bytes.count, maximumVarIntLength)
        while index < available {
            let byte = bytes[index]
            if index == 4 && byte > 0x07 { throw HubProtocolError.invalidLengthPrefix }
            value |= UInt32(byte & 0x7F) << UInt32(7 * index)
            index += 1
            if byte & 0x80 == 0 { return (Int(value), index) }
        }
        return nil
    }

    /// Reads a VarInt from the readable bytes of `buffer` without consuming it (see
    /// ``readVarInt(_:)-(UnsafeRawBufferPointer)``).
    public static func readVarInt(_ buffer: ByteBuffer) throws(HubProtocolError) -> (value: Int, length: Int)? {
        let result = buffer.withUnsafeReadableBytes { bytes in
            Result { () throws(HubProtocolError) in try readVarInt(bytes) }
        }
        return try result.get()
    }
}
