/// Reads MessagePack from raw bytes with its own bounds checks: the engine under
/// ``MessagePackReader`` and the `Codable` decoder. `index` only moves forward past whole, checked
/// values; errors carry offsets relative to the start of `bytes`.
struct MessagePackCursor {
    let bytes: UnsafeRawBufferPointer
    var index: Int

    init(bytes: UnsafeRawBufferPointer, index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

    var remaining: Int { bytes.count &- index }

    // MARK: - Errors

    func truncated(_ what: String, at offset: Int? = nil) -> MessagePackError {
        MessagePackError(.truncated, "input ends inside \(what)", offset: offset ?? index)
    }

    func mismatch(_ expected: String, found header: MessagePackHeader) -> MessagePackError {
        let found =
            header.kind == .extension && header.extensionType == -1 ? "timestamp" : header.kind.name
        return MessagePackError(.typeMismatch, "expected \(expected), found \(found)", offset: index)
    }

    // MARK: - Header

    @inline(__always)
    func load<T: FixedWidthInteger>(_ offset: Int, as type: T.Type) -> T {
        T(bigEndian: bytes.loadUnaligned(fromByteOffset: index &+ offset, as: T.self))
    }

    /// The header of the value at `index`, with every bound it implies checked against the input:
    /// the header itself, the payload of strings, binaries and extensions, and at least one byte per
    /// element of arrays (two per pair of maps). Does not move `index`.
    @inline(__always)
    func header() throws(MessagePackError) -> MessagePackHeader {
        let available = remaining
        guard available > 0 else { throw truncated("a value (no bytes left)") }
        let byte = bytes[index]
        switch byte {
        case 0x00...0x7f:
            return MessagePackHeader(kind: .nonNegativeInteger, size: 1, value: UInt64(byte))
        case 0x80...0x8f:
            return try container(.map, size: 1, count: UInt64(byte & 0x0f), available)
        case 0x90...0x9f:
            return try container(.array, size: 1, count: UInt64(byte & 0x0f), available)
        case 0xa0...0xbf:
            return try payload(.string, size: 1, length: UInt64(byte & 0x1f), available)
        case 0xc0:
            return MessagePackHeader(kind: .nil, size: 1, value: 0)
        case 0xc1:
            throw MessagePackError(.invalidFormatByte, "0xc1 is never used", offset: index)
        case 0xc2, 0xc3:
            return MessagePackHeader(kind: .bool, size: 1, value: UInt64(byte & 1))
        case 0xc4:
            try need(2, available, "a bin8 header")
            return try payload(.binary, size: 2, length: UInt64(load(1, as: UInt8.self)), available)
        case 0xc5:
            try need(3, available, "a bin16 header")
            return try payload(.binary, size: 3, length: UInt64(load(1, as: UInt16.self)), available)
        case 0xc6:
            try need(5, available, "a bin32 header")
            return try payload(.binary, size: 5, length: UInt64(load(1, as: UInt32.self)), available)
        case 0xc7:
            try need(3, available, "an ext8 header")
            return try ext(size: 3, length: UInt64(load(1, as: UInt8.self)), typeOffset: 2, available)
        case 0xc8:
            try need(4, available, "an ext16 header")
            return try ext(size: 4, length: UInt64(load(1, as: UInt16.self)), typeOffset: 3, available)
        case 0xc9:
            try need(6, available, "an ext32 header")
            return try ext(size: 6, length: UInt64(load(1, as: UInt32.self)), typeOffset: 5, available)
        case 0xca:
            try need(5, available, "a float32")
            return MessagePackHeader(kind: .float32, size: 5, value: UInt64(load(1, as: UInt32.self)))
        case 0xcb:
            try need(9, available, "a float64")
            return MessagePackHeader(kind: .float64, size: 9, value: load(1, as: UInt64.self))
        case 0xcc:
            try need(2, available, "a uint8")
            return MessagePackHeader(kind: .nonNegativeInteger, size: 2, value: UInt64(load(1, as: UInt8.self)))
        case 0xcd:
            try need(3, available, "a uint16")
            return MessagePackHeader(kind: .nonNegativeInteger, size: 3, value: UInt64(load(1, as: UInt16.self)))
        case 0xce:
            try need(5, available, "a uint32")
            return MessagePackHeader(kind: .nonNegativeInteger, size: 5, value: UInt64(load(1, as: UInt32.self)))
        case 0xcf:
            try need(9, available, "a uint64")
            return MessagePackHeader(kind: .nonNegativeInteger, size: 9, value: load(1, as: UInt64.self))
        case 0xd0:
            try need(2, available, "an int8")
            return signed(Int64(load(1, as: Int8.self)), size: 2)
        case 0xd1:
            try need(3, available, "an int16")
            return signed(Int64(load(1, as: Int16.self)), size: 3)
        case 0xd2:
            try need(5, available, "an int32")
            return signed(Int64(load(1, as: Int32.self)), size: 5)
        case 0xd3:
            try need(9, available, "an int64")
            return signed(load(1, as: Int64.self), size: 9)
        case 0xd4:
            try need(2, available, "a fixext1 header")
            return try ext(size: 2, length: 1, typeOffset: 1, available)
        case 0xd5:
            try need(2, available, "a fixext2 header")
            return try ext(size: 2, length: 2, typeOffset: 1, available)
        case 0xd6:
            try need(2, available, "a fixext4 header")
            return try ext(size: 2, length: 4, typeOffset: 1, available)
        case 0xd7:
            try need(2, available, "a fixext8 header")
            return try ext(size: 2, length: 8, typeOffset: 1, available)
        case 0xd8:
            try need(2, available, "a fixext16 header")
            return try ext(size: 2, length: 16, typeOffset: 1, available)
        case 0xd9:
            try need(2, available, "a str8 header")
            return try payload(.string, size: 2, length: UInt64(load(1, as: UInt8.self)), available)
        case 0xda:
            try need(3, available, "a str16 header")
            return try payload(.string, size: 3, length: UInt64(load(1, as: UInt16.self)), available)
        case 0xdb:
            try need(5, available, "a str32 header")
            return try payload(.string, size: 5, length: UInt64(load(1, as: UInt32.self)), available)
        case 0xdc:
            try need(3, available, "an array16 header")
            return try container(.array, size: 3, count: UInt64(load(1, as: UInt16.self)), available)
        case 0xdd:
            try need(5, available, "an array32 header")
            return try container(.array, size: 5, count: UInt64(load(1, as: UInt32.self)), available)
        case 0xde:
            try need(3, available, "a map16 header")
            return try container(.map, size: 3, count: UInt64(load(1, as: UInt16.self)), available)
        case 0xdf:
            try need(5, available, "a map32 header")
            return try container(.map, size: 5, count: UInt64(load(1, as: UInt32.self)), available)
        default:  // 0xe0...0xff
            return MessagePackHeader(
                kind: .negativeInteger, size: 1, value: UInt64(bitPattern: Int64(Int8(bitPattern: byte))))
        }
    }

    @inline(__always)
    func need(_ size: Int, _ available: Int, _ what: @autoclosure () -> String) throws(MessagePackError) {
        guard available >= size else { throw truncated(what()) }
    }

    @inline(__always)
    func signed(_ value: Int64, size: Int) -> MessagePackHeader {
        MessagePackHeader(
            kind: value < 0 ? .negativeInteger : .nonNegativeInteger, size: size, value: UInt64(bitPattern: value))
    }

    @inline(__always)
    func payload(
        _ kind: MessagePackHeader.Kind, size: Int, length: UInt64, _ available: Int
    ) throws(MessagePackError) -> MessagePackHeader {
        // `length` < 2^32 and `available` ≥ `size`, so nothing here can overflow.
        guard length <= UInt64(available &- size) else {
            throw truncated("a \(kind.name) of \(length) bytes (\(available - size) left)")
        }
        return MessagePackHeader(kind: kind, size: size, value: length)
    }

    @inline(__always)
    func ext(size: Int, length: UInt64, typeOffset: Int, _ available: Int) throws(MessagePackError) -> MessagePackHeader
    {
        var header = try payload(.extension, size: size, length: length, available)
        header.extensionType = load(typeOffset, as: Int8.self)
        return header
    }

    @inline(__always)
    func container(
        _ kind: MessagePackHeader.Kind, size: Int, count: UInt64, _ available: Int
    ) throws(MessagePackError) -> MessagePackHeader {
        // Every element takes at least one byte: a count beyond the input fails here, before anyone
        // loops over it or reserves space for it.
        let minimum = kind == .map ? count &* 2 : count
        guard minimum <= UInt64(available &- size) else {
            throw truncated(
                "a \(kind.name) of \(count) \(kind == .map ? "pairs" : "elements") (\(available - size) bytes left)")
        }
        return MessagePackHeader(kind: kind, size: size, value: count)
    }

    // MARK: - Skipping

    /// Moves past one whole value, checking its structure (format bytes, lengths, counts, nesting);
    /// `depth` containers enclose it. String contents are not checked for UTF-8 here.
    mutating func skipValue(depth: Int, maxDepth: Int) throws(MessagePackError) {
        let header = try header()
        switch header.kind {
        case .array, .map:
            guard depth < maxDepth else {
                throw MessagePackError(
                    .depthLimitExceeded, "containers nest deeper than \(maxDepth)", offset: index)
            }
            index &+= header.size
            var values = header.kind == .map ? header.value &* 2 : header.value
            while values > 0 {
                try skipValue(depth: depth &+ 1, maxDepth: maxDepth)
                values &-= 1
            }
        case .string, .binary, .extension:
            index &+= header.size &+ header.length
        default:
            index &+= header.size
        }
    }

    // MARK: - Typed reads (each moves `index` past the value only on success)

    mutating func readNil() throws(MessagePackError) {
        let header = try header()
        guard header.kind == .nil else { throw mismatch("nil", found: header) }
        index &+= 1
    }

    mutating func readBool() throws(MessagePackError) -> Bool {
        let header = try header()
        guard header.kind == .bool else { throw mismatch("bool", found: header) }
        index &+= 1
        return header.value != 0
    }

    /// Any integer form: `(bits, negative)`; when `negative`, `bits` is an `Int64` bit pattern of a
    /// value < 0, else the value itself.
    mutating func readInteger() throws(MessagePackError) -> (bits: UInt64, negative: Bool) {
        let header = try header()
        switch header.kind {
        case .nonNegativeInteger:
            index &+= header.size
            return (header.value, false)
        case .negativeInteger:
            index &+= header.size
            return (header.value, true)
        default:
            throw mismatch("integer", found: header)
        }
    }

    mutating func readInt64() throws(MessagePackError) -> Int64 {
        let start = index
        let (bits, negative) = try readInteger()
        guard negative || bits <= UInt64(Int64.max) else {
            index = start
            throw MessagePackError(.integerOverflow, "\(bits) does not fit in Int64", offset: start)
        }
        return Int64(bitPattern: bits)
    }

    mutating func readUInt64() throws(MessagePackError) -> UInt64 {
        let start = index
        let (bits, negative) = try readInteger()
        guard !negative else {
            index = start
            throw MessagePackError(.integerOverflow, "\(Int64(bitPattern: bits)) does not fit in UInt64", offset: start)
        }
        return bits
    }

    mutating func readInteger<T: FixedWidthInteger>(as type: T.Type) throws(MessagePackError) -> T {
        let start = index
        let (bits, negative) = try readInteger()
        let result = negative ? T(exactly: Int64(bitPattern: bits)) : T(exactly: bits)
        guard let result else {
            index = start
            let text = negative ? String(Int64(bitPattern: bits)) : String(bits)
            throw MessagePackError(.integerOverflow, "\(text) does not fit in \(T.self)", offset: start)
        }
        return result
    }

    /// float64, float32 (widened) or any integer (rounded to the nearest `Double`).
    mutating func readDouble() throws(MessagePackError) -> Double {
        let header = try header()
        let result: Double
        switch header.kind {
        case .float64: result = Double(bitPattern: header.value)
        case .float32: result = Double(Float(bitPattern: UInt32(truncatingIfNeeded: header.value)))
        case .nonNegativeInteger: result = Double(header.value)
        case .negativeInteger: result = Double(Int64(bitPattern: header.value))
        default: throw mismatch("float", found: header)
        }
        index &+= header.size
        return result
    }

    /// float32, float64 (rounded; out of `Float`'s range is an error) or any integer (rounded).
    mutating func readFloat() throws(MessagePackError) -> Float {
        let header = try header()
        let result: Float
        switch header.kind {
        case .float32:
            result = Float(bitPattern: UInt32(truncatingIfNeeded: header.value))
        case .float64:
            let double = Double(bitPattern: header.value)
            result = Float(double)
            guard result.isFinite || !double.isFinite else {
                throw MessagePackError(.integerOverflow, "\(double) does not fit in Float", offset: index)
            }
        case .nonNegativeInteger: result = Float(header.value)
        case .negativeInteger: result = Float(Int64(bitPattern: header.value))
        default: throw mismatch("float", found: header)
        }
        index &+= header.size
        return result
    }

    /// The offset and length of a string's UTF-8 bytes, not validated.
    mutating func readStringBytes() throws(MessagePackError) -> (start: Int, length: Int) {
        let header = try header()
        guard header.kind == .string else { throw mismatch("string", found: header) }
        let start = index &+ header.size
        index = start &+ header.length
        return (start, header.length)
    }

    /// A string, its UTF-8 validated.
    mutating func readString() throws(MessagePackError) -> String {
        let header = try header()
        guard header.kind == .string else { throw mismatch("string", found: header) }
        let start = index &+ header.size
        let length = header.length
        guard let string = makeString(start: start, length: length) else {
            throw MessagePackError(.invalidUTF8, "string is not valid UTF-8", offset: index)
        }
        index = start &+ length
        return string
    }

    /// The string held by `length` bytes at `start`, or `nil` if they are not UTF-8.
    func makeString(start: Int, length: Int) -> String? {
        guard length > 0, let base = bytes.baseAddress else { return "" }
        let raw = UnsafeRawBufferPointer(start: base + start, count: length)
        // Our own validation, then `String(decoding:)` specialised here: `String(validating:as:)`
        // looked up generic metadata at run time on every call (a third of a hub message's decode).
        guard UTF8Validation.isValid(raw) else { return nil }
        return String(decoding: raw.bindMemory(to: UInt8.self), as: UTF8.self)
    }

    /// Whether `length` bytes at `start` are valid UTF-8.
    func isValidUTF8(start: Int, length: Int) -> Bool {
        guard length > 0 else { return true }
        return UTF8Validation.isValid(UnsafeRawBufferPointer(rebasing: bytes[start..<(start &+ length)]))
    }

    /// The offset and length of a binary's bytes.
    mutating func readBinary() throws(MessagePackError) -> (start: Int, length: Int) {
        let header = try header()
        guard header.kind == .binary else { throw mismatch("binary", found: header) }
        let start = index &+ header.size
        index = start &+ header.length
        return (start, header.length)
    }

    mutating func readArrayHeader() throws(MessagePackError) -> Int {
        let header = try header()
        guard header.kind == .array else { throw mismatch("array", found: header) }
        index &+= header.size
        return Int(truncatingIfNeeded: header.value)
    }

    mutating func readMapHeader() throws(MessagePackError) -> Int {
        let header = try header()
        guard header.kind == .map else { throw mismatch("map", found: header) }
        index &+= header.size
        return Int(truncatingIfNeeded: header.value)
    }

    /// Any extension, timestamps included: its type and the offset and length of its data.
    mutating func readExtension() throws(MessagePackError) -> (type: Int8, start: Int, length: Int) {
        let header = try header()
        guard header.kind == .extension else { throw mismatch("extension", found: header) }
        let start = index &+ header.size
        index = start &+ header.length
        return (header.extensionType, start, header.length)
    }

    mutating func readTimestamp() throws(MessagePackError) -> MessagePackTimestamp {
        let header = try header()
        guard header.kind == .extension, header.extensionType == -1 else {
            throw mismatch("timestamp", found: header)
        }
        let timestamp = try timestamp(at: index &+ header.size, length: header.length)
        index &+= header.size &+ header.length
        return timestamp
    }

    /// A timestamp, or MessagePack-CSharp's `DateTimeOffset` layout — a 2-element array of the local
    /// clock time written as a timestamp and the UTC offset in minutes — returned as the instant it
    /// names (the clock time minus the offset).
    mutating func readTimestampOrDateTimeOffset() throws(MessagePackError) -> MessagePackTimestamp {
        let header = try header()
        guard header.kind == .array, header.value == 2 else { return try readTimestamp() }
        let start = index
        index &+= header.size
        do throws(MessagePackError) {
            let clock = try readTimestamp()
            let minutes = try readInteger(as: Int16.self)
            let (seconds, overflow) = clock.seconds.subtractingReportingOverflow(Int64(minutes) &* 60)
            guard !overflow else {
                throw MessagePackError(.invalidTimestamp, "DateTimeOffset beyond the timestamp range", offset: start)
            }
            return MessagePackTimestamp(validSeconds: seconds, nanoseconds: clock.nanoseconds)
        } catch {
            index = start
            if error.code == .typeMismatch {
                throw MessagePackError(
                    .typeMismatch, "expected a timestamp or a [timestamp, offset minutes] array", offset: start)
            }
            throw error
        }
    }

    /// Decodes the data of a timestamp extension: 4, 8 or 12 bytes at `start`.
    func timestamp(at start: Int, length: Int) throws(MessagePackError) -> MessagePackTimestamp {
        func load<T: FixedWidthInteger>(_ offset: Int, as type: T.Type) -> T {
            T(bigEndian: bytes.loadUnaligned(fromByteOffset: start &+ offset, as: T.self))
        }
        let seconds: Int64
        let nanoseconds: UInt32
        switch length {
        case 4:
            seconds = Int64(load(0, as: UInt32.self))
            nanoseconds = 0
        case 8:
            let data64 = load(0, as: UInt64.self)
            nanoseconds = UInt32(truncatingIfNeeded: data64 >> 34)
            seconds = Int64(data64 & 0x3_ffff_ffff)
        case 12:
            nanoseconds = load(0, as: UInt32.self)
            seconds = load(4, as: Int64.self)
        default:
            throw MessagePackError(
                .invalidTimestamp, "timestamp extension of \(length) bytes (4, 8 or 12 expected)", offset: index)
        }
        guard nanoseconds < 1_000_000_000 else {
            throw MessagePackError(
                .invalidTimestamp, "timestamp nanoseconds \(nanoseconds) ≥ 1 000 000 000", offset: index)
        }
        return MessagePackTimestamp(validSeconds: seconds, nanoseconds: nanoseconds)
    }
}
