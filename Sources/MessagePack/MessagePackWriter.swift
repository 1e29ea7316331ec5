import NIOCore

/// Appends MessagePack values to a `ByteBuffer`, always in the smallest form, as
/// MessagePack-CSharp and msgpack-python write them.
///
/// Non-negative integers become positive fixint / `uint8…uint64` and negative ones negative fixint /
/// `int8…int64`, whatever Swift type they come in; strings, binaries, arrays, maps and extensions
/// take the smallest header for their length; timestamps the smallest of their three forms.
/// Nothing is allocated per value beyond the buffer's own growth.
///
/// The writer owns its buffer. To append to a buffer you keep, use
/// `ByteBuffer.writeMessagePack(_:)`, which lends the buffer without copying it:
///
/// ```swift
/// buffer.writeMessagePack { writer in
///     writer.writeArrayHeader(count: 2)
///     writer.writeInteger(1)
///     writer.writeString("Send")
/// }
/// ```
///
/// A length of 2³² or more cannot be written in MessagePack; the writer treats it as a programmer
/// error (`precondition`). ``MessagePackEncoder`` checks lengths first and throws instead.
public struct MessagePackWriter: Sendable {
    /// The bytes written so far (after whatever the buffer held when the writer got it).
    public var buffer: ByteBuffer

    /// Makes a writer that appends to `buffer`.
    public init(buffer: ByteBuffer) {
        self.buffer = buffer
    }

    /// Makes a writer with a new buffer of at least `capacity` bytes.
    public init(capacity: Int = 64) {
        self.buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    // MARK: - Scalars

    /// Writes `nil` (`c0`).
    @inlinable
    public mutating func writeNil() {
        buffer.writeInteger(UInt8(0xc0))
    }

    /// Writes `false` (`c2`) or `true` (`c3`).
    @inlinable
    public mutating func writeBool(_ value: Bool) {
        buffer.writeInteger(value ? UInt8(0xc3) : UInt8(0xc2))
    }

    /// Writes an integer in the smallest form: positive/negative fixint, `uint8…64` for values ≥ 0,
    /// `int8…64` for values < 0.
    @inlinable
    public mutating func writeInteger(_ value: Int64) {
        if value >= 0 {
            writeInteger(UInt64(truncatingIfNeeded: value))
        } else if value >= -32 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: value))
        } else if value >= -0x80 {
            buffer.writeMultipleIntegers(UInt8(0xd0), Int8(truncatingIfNeeded: value))
        } else if value >= -0x8000 {
            buffer.writeMultipleIntegers(UInt8(0xd1), Int16(truncatingIfNeeded: value))
        } else if value >= -0x8000_0000 {
            buffer.writeMultipleIntegers(UInt8(0xd2), Int32(truncatingIfNeeded: value))
        } else {
            buffer.writeMultipleIntegers(UInt8(0xd3), value)
        }
    }

    /// Writes a non-negative integer in the smallest form: positive fixint or `uint8…64`.
    @inlinable
    public mutating func writeInteger(_ value: UInt64) {
        if value <= 0x7f {
            buffer.writeInteger(UInt8(truncatingIfNeeded: value))
        } else if value <= 0xff {
            buffer.writeMultipleIntegers(UInt8(0xcc), UInt8(truncatingIfNeeded: value))
        } else if value <= 0xffff {
            buffer.writeMultipleIntegers(UInt8(0xcd), UInt16(truncatingIfNeeded: value))
        } else if value <= 0xffff_ffff {
            buffer.writeMultipleIntegers(UInt8(0xce), UInt32(truncatingIfNeeded: value))
        } else {
            buffer.writeMultipleIntegers(UInt8(0xcf), value)
        }
    }

    /// Writes an integer in the smallest form (see ``writeInteger(_:)-(Int64)``).
    @inlinable
    public mutating func writeInteger(_ value: Int) {
        writeInteger(Int64(value))
    }

    /// Writes an integer of any fixed-width type in the smallest form.
    @inlinable
    public mutating func writeInteger<T: FixedWidthInteger>(_ value: T) {
        if value < 0 {
            writeInteger(Int64(truncatingIfNeeded: value))
        } else {
            writeInteger(UInt64(truncatingIfNeeded: value))
        }
    }

    /// Writes a `float32` (`ca`).
    @inlinable
    public mutating func writeFloat(_ value: Float) {
        buffer.writeMultipleIntegers(UInt8(0xca), value.bitPattern)
    }

    /// Writes a `float64` (`cb`).
    @inlinable
    public mutating func writeDouble(_ value: Double) {
        buffer.writeMultipleIntegers(UInt8(0xcb), value.bitPattern)
    }

    // MARK: - Strings and binaries

    /// Writes a string as fixstr / `str8/16/32`, chosen by its UTF-8 length.
    @inlinable
    public mutating func writeString(_ value: String) {
        writeStringHeader(length: value.utf8.count)
        buffer.writeString(value)
    }

    /// Writes a string whose UTF-8 bytes are `bytes` (not validated; pass UTF-8).
    @inlinable
    public mutating func writeString(utf8 bytes: UnsafeRawBufferPointer) {
        writeStringHeader(length: bytes.count)
        buffer.writeBytes(bytes)
    }

    /// Writes a string whose UTF-8 bytes are the readable bytes of `bytes` (not validated; pass UTF-8).
    @inlinable
    public mutating func writeString(utf8 bytes: ByteBuffer) {
        writeStringHeader(length: bytes.readableBytes)
        buffer.writeImmutableBuffer(bytes)
    }

    /// Writes only the header of a string of `length` UTF-8 bytes; the caller writes the bytes next.
    @inlinable
    public mutating func writeStringHeader(length: Int) {
        precondition(length >= 0 && UInt64(length) <= UInt64(UInt32.max), "MessagePack strings hold < 2^32 bytes")
        if length <= 31 {
            buffer.writeInteger(UInt8(0xa0 | UInt8(truncatingIfNeeded: length)))
        } else if length <= 0xff {
            buffer.writeMultipleIntegers(UInt8(0xd9), UInt8(truncatingIfNeeded: length))
        } else if length <= 0xffff {
            buffer.writeMultipleIntegers(UInt8(0xda), UInt16(truncatingIfNeeded: length))
        } else {
            buffer.writeMultipleIntegers(UInt8(0xdb), UInt32(truncatingIfNeeded: length))
        }
    }

    /// Writes the readable bytes of `bytes` as `bin8/16/32`.
    @inlinable
    public mutating func writeBinary(_ bytes: ByteBuffer) {
        writeBinaryHeader(length: bytes.readableBytes)
        buffer.writeImmutableBuffer(bytes)
    }

    /// Writes `bytes` as `bin8/16/32`.
    @inlinable
    public mutating func writeBinary(_ bytes: UnsafeRawBufferPointer) {
        writeBinaryHeader(length: bytes.count)
        buffer.writeBytes(bytes)
    }

    /// Writes `bytes` as `bin8/16/32`.
    @inlinable
    public mutating func writeBinary(_ bytes: [UInt8]) {
        writeBinaryHeader(length: bytes.count)
        buffer.writeBytes(bytes)
    }

    /// Writes only the header of a binary of `length` bytes; the caller writes the bytes next.
    @inlinable
    public mutating func writeBinaryHeader(length: Int) {
        precondition(length >= 0 && UInt64(length) <= UInt64(UInt32.max), "MessagePack binaries hold < 2^32 bytes")
        if length <= 0xff {
            buffer.writeMultipleIntegers(UInt8(0xc4), UInt8(truncatingIfNeeded: length))
        } else if length <= 0xffff {
            buffer.writeMultipleIntegers(UInt8(0xc5), UInt16(truncatingIfNeeded: length))
        } else {
            buffer.writeMultipleIntegers(UInt8(0xc6), UInt32(truncatingIfNeeded: length))
        }
    }

    // MARK: - Containers

    /// Writes the header of an array of `count` elements (fixarray / `array16/32`); the caller writes
    /// the elements next.
    @inlinable
    public mutating func writeArrayHeader(count: Int) {
        precondition(count >= 0 && UInt64(count) <= UInt64(UInt32.max), "MessagePack arrays hold < 2^32 elements")
        if count <= 15 {
            buffer.writeInteger(UInt8(0x90 | UInt8(truncatingIfNeeded: count)))
        } else if count <= 0xffff {
            buffer.writeMultipleIntegers(UInt8(0xdc), UInt16(truncatingIfNeeded: count))
        } else {
            buffer.writeMultipleIntegers(UInt8(0xdd), UInt32(truncatingIfNeeded: count))
        }
    }

    /// Writes the header of a map of `count` key-value pairs (fixmap / `map16/32`); the caller writes
    /// key, value, key, value… next.
    @inlinable
    public mutating func writeMapHeader(count: Int) {
        precondition(count >= 0 && UInt64(count) <= UInt64(UInt32.max), "MessagePack maps hold < 2^32 entries")
        if count <= 15 {
            buffer.writeInteger(UInt8(0x80 | UInt8(truncatingIfNeeded: count)))
        } else if count <= 0xffff {
            buffer.writeMultipleIntegers(UInt8(0xde), UInt16(truncatingIfNeeded: count))
        } else {
            buffer.writeMultipleIntegers(UInt8(0xdf), UInt32(truncatingIfNeeded: count))
        }
    }

    // MARK: - Extensions

    /// Writes the header of an extension of `type` with `length` bytes of data (`fixext1/2/4/8/16`
    /// when the length is one of those, else `ext8/16/32`); the caller writes the data next.
    @inlinable
    public mutating func writeExtensionHeader(type: Int8, length: Int) {
        precondition(length >= 0 && UInt64(length) <= UInt64(UInt32.max), "MessagePack extensions hold < 2^32 bytes")
        switch length {
        case 1: buffer.writeMultipleIntegers(UInt8(0xd4), type)
        case 2: buffer.writeMultipleIntegers(UInt8(0xd5), type)
        case 4: buffer.writeMultipleIntegers(UInt8(0xd6), type)
        case 8: buffer.writeMultipleIntegers(UInt8(0xd7), type)
        case 16: buffer.writeMultipleIntegers(UInt8(0xd8), type)
        case ...0xff: buffer.writeMultipleIntegers(UInt8(0xc7), UInt8(truncatingIfNeeded: length), type)
        case ...0xffff: buffer.writeMultipleIntegers(UInt8(0xc8), UInt16(truncatingIfNeeded: length), type)
        default: buffer.writeMultipleIntegers(UInt8(0xc9), UInt32(truncatingIfNeeded: length), type)
        }
    }

    /// Writes an extension of `type` holding the readable bytes of `data`.
    @inlinable
    public mutating func writeExtension(type: Int8, data: ByteBuffer) {
        writeExtensionHeader(type: type, length: data.readableBytes)
        buffer.writeImmutableBuffer(data)
    }

    /// Writes an extension of `type` holding `data`.
    @inlinable
    public mutating func writeExtension(type: Int8, data: [UInt8]) {
        writeExtensionHeader(type: type, length: data.count)
        buffer.writeBytes(data)
    }

    /// Writes a timestamp extension (type −1) in the smallest of its 32-, 64- and 96-bit forms.
    @inlinable
    public mutating func writeTimestamp(_ timestamp: MessagePackTimestamp) {
        let seconds = timestamp.seconds
        let nanoseconds = timestamp.nanoseconds
        if seconds >> 34 == 0 {
            let data64 = UInt64(nanoseconds) << 34 | UInt64(truncatingIfNeeded: seconds)
            if data64 >> 32 == 0 {
                buffer.writeMultipleIntegers(UInt8(0xd6), Int8(-1), UInt32(truncatingIfNeeded: data64))
            } else {
                buffer.writeMultipleIntegers(UInt8(0xd7), Int8(-1), data64)
            }
        } else {
            buffer.writeMultipleIntegers(UInt8(0xc7), UInt8(12), Int8(-1), nanoseconds, seconds)
        }
    }

    // MARK: - Raw bytes

    /// Appends already-encoded MessagePack bytes unchanged (a value from ``MessagePackReader/readRawValue()``,
    /// a cached serialization…). Nothing is checked: pass whole, valid values.
    @inlinable
    public mutating func writeRaw(_ bytes: ByteBuffer) {
        buffer.writeImmutableBuffer(bytes)
    }

    /// Appends already-encoded MessagePack bytes unchanged. Nothing is checked: pass whole, valid values.
    @inlinable
    public mutating func writeRaw(_ bytes: UnsafeRawBufferPointer) {
        buffer.writeBytes(bytes)
    }

    /// Appends already-encoded MessagePack bytes unchanged. Nothing is checked: pass whole, valid values.
    @inlinable
    public mutating func writeRaw(_ bytes: [UInt8]) {
        buffer.writeBytes(bytes)
    }
}

extension ByteBuffer {
    /// Appends MessagePack to this buffer through a ``MessagePackWriter``, without copying the buffer:
    /// the writer borrows the storage for the duration of `body`.
    @inlinable
    public mutating func writeMessagePack<Result, Failure: Error>(
        _ body: (inout MessagePackWriter) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        var writer = MessagePackWriter(buffer: self)
        self = ByteBuffer()  // drop our reference so the writer's writes do not copy the storage
        defer { self = writer.buffer }
        return try body(&writer)
    }
}
