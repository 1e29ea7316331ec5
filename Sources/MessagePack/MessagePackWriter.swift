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

    // MARK: - Plumbing
    //
    // Every value goes in with one `writeWithUnsafeMutableBytes` call: one capacity check and one
    // uniqueness check, then plain stores through the pointer. (Chaining `ByteBuffer.writeInteger`
    // calls costs those checks, and an exclusivity check, per field.)

    /// Reserves `count` bytes at the end, lets `body` store exactly that many, and moves past them.
    @inlinable
    @inline(__always)
    mutating func append(_ count: Int, _ body: (UnsafeMutableRawPointer) -> Void) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { bytes in
            // Not nil: at least `count` (> 0) writable bytes were reserved.
            body(bytes.baseAddress!)
            return count
        }
    }

    /// Appends one byte.
    @inlinable
    @inline(__always)
    mutating func append(_ byte: UInt8) {
        append(1) { $0.storeBytes(of: byte, as: UInt8.self) }
    }

    /// Appends a format byte and a big-endian number.
    @inlinable
    @inline(__always)
    mutating func append<T: FixedWidthInteger>(_ format: UInt8, _ value: T) {
        append(1 &+ MemoryLayout<T>.size) { pointer in
            pointer.storeBytes(of: format, as: UInt8.self)
            pointer.storeBytes(of: value.bigEndian, toByteOffset: 1, as: T.self)
        }
    }

    // MARK: - Scalars

    /// Writes `nil` (`c0`).
    @inlinable
    public mutating func writeNil() {
        append(0xc0)
    }

    /// Writes `false` (`c2`) or `true` (`c3`).
    @inlinable
    public mutating func writeBool(_ value: Bool) {
        append(value ? 0xc3 : 0xc2)
    }

    /// Writes an integer in the smallest form: positive/negative fixint, `uint8…64` for values ≥ 0,
    /// `int8…64` for values < 0.
    @inlinable
    public mutating func writeInteger(_ value: Int64) {
        if value >= 0 {
            writeInteger(UInt64(truncatingIfNeeded: value))
        } else if value >= -32 {
            append(UInt8(truncatingIfNeeded: value))
        } else if value >= -0x80 {
            append(0xd0, Int8(truncatingIfNeeded: value))
        } else if value >= -0x8000 {
            append(0xd1, Int16(truncatingIfNeeded: value))
        } else if value >= -0x8000_0000 {
            append(0xd2, Int32(truncatingIfNeeded: value))
        } else {
            append(0xd3, value)
        }
    }

    /// Writes a non-negative integer in the smallest form: positive fixint or `uint8…64`.
    @inlinable
    public mutating func writeInteger(_ value: UInt64) {
        if value <= 0x7f {
            append(UInt8(truncatingIfNeeded: value))
        } else if value <= 0xff {
            append(0xcc, UInt8(truncatingIfNeeded: value))
        } else if value <= 0xffff {
            append(0xcd, UInt16(truncatingIfNeeded: value))
        } else if value <= 0xffff_ffff {
            append(0xce, UInt32(truncatingIfNeeded: value))
        } else {
            append(0xcf, value)
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
        append(0xca, value.bitPattern)
    }

    /// Writes a `float64` (`cb`).
    @inlinable
    public mutating func writeDouble(_ value: Double) {
        append(0xcb, value.bitPattern)
    }

    // MARK: - Strings and binaries

    /// Writes a string as fixstr / `str8/16/32`, chosen by its UTF-8 length.
    @inlinable
    public mutating func writeString(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            writeString(utf8: UnsafeRawBufferPointer(utf8))
        }
    }

    /// Writes a string whose UTF-8 bytes are `bytes` (not validated; pass UTF-8).
    @inlinable
    public mutating func writeString(utf8 bytes: UnsafeRawBufferPointer) {
        let length = bytes.count
        precondition(UInt64(length) <= UInt64(UInt32.max), "MessagePack strings hold < 2^32 bytes")
        let headerSize = length <= 31 ? 1 : length <= 0xff ? 2 : length <= 0xffff ? 3 : 5
        append(headerSize &+ length) { pointer in
            Self.storeHeader(
                at: pointer, size: headerSize, fix: 0xa0, formats: (0xd9, 0xda, 0xdb),
                length: UInt32(truncatingIfNeeded: length))
            if length > 0, let source = bytes.baseAddress {
                (pointer + headerSize).copyMemory(from: source, byteCount: length)
            }
        }
    }

    /// Writes a string whose UTF-8 bytes are the readable bytes of `bytes` (not validated; pass UTF-8).
    @inlinable
    public mutating func writeString(utf8 bytes: ByteBuffer) {
        bytes.withUnsafeReadableBytes { writeString(utf8: $0) }
    }

    /// Writes only the header of a string of `length` UTF-8 bytes; the caller writes the bytes next.
    @inlinable
    public mutating func writeStringHeader(length: Int) {
        precondition(length >= 0 && UInt64(length) <= UInt64(UInt32.max), "MessagePack strings hold < 2^32 bytes")
        if length <= 31 {
            append(0xa0 | UInt8(truncatingIfNeeded: length))
        } else if length <= 0xff {
            append(0xd9, UInt8(truncatingIfNeeded: length))
        } else if length <= 0xffff {
            append(0xda, UInt16(truncatingIfNeeded: length))
        } else {
            append(0xdb, UInt32(truncatingIfNeeded: length))
        }
    }

    /// Stores a header of `size` bytes: `fix | length` when `size` is 1, else a format byte and an
    /// 8-, 16- or 32-bit length.
    @inlinable
    @inline(__always)
    static func storeHeader(
        at pointer: UnsafeMutableRawPointer, size: Int, fix: UInt8, formats: (UInt8, UInt8, UInt8), length: UInt32
    ) {
        switch size {
        case 1:
            pointer.storeBytes(of: fix | UInt8(truncatingIfNeeded: length), as: UInt8.self)
        case 2:
            pointer.storeBytes(of: formats.0, as: UInt8.self)
            pointer.storeBytes(of: UInt8(truncatingIfNeeded: length), toByteOffset: 1, as: UInt8.self)
        case 3:
            pointer.storeBytes(of: formats.1, as: UInt8.self)
            pointer.storeBytes(of: UInt16(truncatingIfNeeded: length).bigEndian, toByteOffset: 1, as: UInt16.self)
        default:
            pointer.storeBytes(of: formats.2, as: UInt8.self)
            pointer.storeBytes(of: length.bigEndian, toByteOffset: 1, as: UInt32.self)
        }
    }

    /// Writes the readable bytes of `bytes` as `bin8/16/32`.
    @inlinable
    public mutating func writeBinary(_ bytes: ByteBuffer) {
        bytes.withUnsafeReadableBytes { writeBinary($0) }
    }

    /// Writes `bytes` as `bin8/16/32`.
    @inlinable
    public mutating func writeBinary(_ bytes: UnsafeRawBufferPointer) {
        let length = bytes.count
        precondition(UInt64(length) <= UInt64(UInt32.max), "MessagePack binaries hold < 2^32 bytes")
        let headerSize = length <= 0xff ? 2 : length <= 0xffff ? 3 : 5
        append(headerSize &+ length) { pointer in
            Self.storeHeader(
                at: pointer, size: headerSize, fix: 0, formats: (0xc4, 0xc5, 0xc6),
                length: UInt32(truncatingIfNeeded: length))
            if length > 0, let source = bytes.baseAddress {
                (pointer + headerSize).copyMemory(from: source, byteCount: length)
            }
        }
    }

    /// Writes `bytes` as `bin8/16/32`.
    @inlinable
    public mutating func writeBinary(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { writeBinary($0) }
    }

    /// Writes only the header of a binary of `length` bytes; the caller writes the bytes next.
    @inlinable
    public mutating func writeBinaryHeader(length: Int) {
        precondition(length >= 0 && UInt64(length) <= UInt64(UInt32.max), "MessagePack binaries hold < 2^32 bytes")
        if length <= 0xff {
            append(0xc4, UInt8(truncatingIfNeeded: length))
        } else if length <= 0xffff {
            append(0xc5, UInt16(truncatingIfNeeded: length))
        } else {
            append(0xc6, UInt32(truncatingIfNeeded: length))
        }
    }

    // MARK: - Containers

    /// Writes the header of an array of `count` elements (fixarray / `array16/32`); the caller writes
    /// the elements next.
    @inlinable
    public mutating func writeArrayHeader(count: Int) {
        precondition(count >= 0 && UInt64(count) <= UInt64(UInt32.max), "MessagePack arrays hold < 2^32 elements")
        if count <= 15 {
            append(0x90 | UInt8(truncatingIfNeeded: count))
        } else if count <= 0xffff {
            append(0xdc, UInt16(truncatingIfNeeded: count))
        } else {
            append(0xdd, UInt32(truncatingIfNeeded: count))
        }
    }

    /// Writes the header of a map of `count` key-value pairs (fixmap / `map16/32`); the caller writes
    /// key, value, key, value… next.
    @inlinable
    public mutating func writeMapHeader(count: Int) {
        precondition(count >= 0 && UInt64(count) <= UInt64(UInt32.max), "MessagePack maps hold < 2^32 entries")
        if count <= 15 {
            append(0x80 | UInt8(truncatingIfNeeded: count))
        } else if count <= 0xffff {
            append(0xde, UInt16(truncatingIfNeeded: count))
        } else {
            append(0xdf, UInt32(truncatingIfNeeded: count))
        }
    }

    // MARK: - Extensions

    /// Writes the header of an extension of `type` with `length` bytes of data (`fixext1/2/4/8/16`
    /// when the length is one of those, else `ext8/16/32`); the caller writes the data next.
    @inlinable
    public mutating func writeExtensionHeader(type: Int8, length: Int) {
        precondition(length >= 0 && UInt64(length) <= UInt64(UInt32.max), "MessagePack extensions hold < 2^32 bytes")
        let typeByte = UInt8(bitPattern: type)
        switch length {
        case 1: append(0xd4, typeByte)
        case 2: append(0xd5, typeByte)
        case 4: append(0xd6, typeByte)
        case 8: append(0xd7, typeByte)
        case 16: append(0xd8, typeByte)
        case ...0xff:
            append(3) { pointer in
                pointer.storeBytes(of: 0xc7, as: UInt8.self)
                pointer.storeBytes(of: UInt8(truncatingIfNeeded: length), toByteOffset: 1, as: UInt8.self)
                pointer.storeBytes(of: typeByte, toByteOffset: 2, as: UInt8.self)
            }
        case ...0xffff:
            append(4) { pointer in
                pointer.storeBytes(of: 0xc8, as: UInt8.self)
                pointer.storeBytes(of: UInt16(truncatingIfNeeded: length).bigEndian, toByteOffset: 1, as: UInt16.self)
                pointer.storeBytes(of: typeByte, toByteOffset: 3, as: UInt8.self)
            }
        default:
            append(6) { pointer in
                pointer.storeBytes(of: 0xc9, as: UInt8.self)
                pointer.storeBytes(of: UInt32(truncatingIfNeeded: length).bigEndian, toByteOffset: 1, as: UInt32.self)
                pointer.storeBytes(of: typeByte, toByteOffset: 5, as: UInt8.self)
            }
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
                append(6) { pointer in
                    pointer.storeBytes(of: UInt16(0xd6ff).bigEndian, as: UInt16.self)
                    pointer.storeBytes(
                        of: UInt32(truncatingIfNeeded: data64).bigEndian, toByteOffset: 2, as: UInt32.self)
                }
            } else {
                append(10) { pointer in
                    pointer.storeBytes(of: UInt16(0xd7ff).bigEndian, as: UInt16.self)
                    pointer.storeBytes(of: data64.bigEndian, toByteOffset: 2, as: UInt64.self)
                }
            }
        } else {
            append(15) { pointer in
                pointer.storeBytes(of: 0xc7, as: UInt8.self)
                pointer.storeBytes(of: UInt16(0x0cff).bigEndian, toByteOffset: 1, as: UInt16.self)
                pointer.storeBytes(of: nanoseconds.bigEndian, toByteOffset: 3, as: UInt32.self)
                pointer.storeBytes(of: seconds.bigEndian, toByteOffset: 7, as: Int64.self)
            }
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
