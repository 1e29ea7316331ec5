import NIOCore

/// Reads MessagePack values one at a time from a `ByteBuffer`, accepting every form.
///
/// Typed reads (``readInt64()``, ``readString()``…) take the value at the front and move past it;
/// on error they throw a ``MessagePackError`` and leave the reader where it was, so a caller may try
/// another type. Integer reads accept every width whose value fits the requested type; ``readDouble()``
/// accepts float32, float64 and integers.
///
/// ``readRawValue()`` checks one whole value — format bytes, lengths, counts and nesting depth
/// (``maxDepth``), recursively — and returns its bytes as a slice of the input, without copying:
/// the hub protocol keeps method arguments as such slices and decodes them later. That check is
/// structural: string contents are checked for UTF-8, and timestamps for their ranges, when they
/// are read as such.
///
/// Input that is cut short throws ``MessagePackError/Code/truncated``, also when a declared length
/// or count exceeds the bytes left (a hostile `array32` header fails at once and allocates nothing).
/// Nothing in the input can make the reader trap. Bytes are read through raw pointers, with the
/// bounds checked by the reader itself.
public struct MessagePackReader: Sendable {
    /// The bytes not read yet.
    public private(set) var buffer: ByteBuffer
    /// How many containers may nest (an array in an array counts 2); deeper input throws
    /// ``MessagePackError/Code/depthLimitExceeded``. Applies to ``readRawValue()``, ``skipValue()`` and
    /// the decoders built on this reader.
    public var maxDepth: Int
    /// The reader index of the input's first byte, so errors report offsets from the input's start.
    private let startIndex: Int

    /// The default of ``maxDepth``.
    public static let defaultMaxDepth = 64

    /// Makes a reader over the readable bytes of `buffer`.
    public init(buffer: ByteBuffer, maxDepth: Int = MessagePackReader.defaultMaxDepth) {
        self.buffer = buffer
        self.maxDepth = maxDepth
        self.startIndex = buffer.readerIndex
    }

    /// Makes a reader over a copy of `bytes`.
    public init(bytes: some Sequence<UInt8>, maxDepth: Int = MessagePackReader.defaultMaxDepth) {
        self.init(buffer: ByteBuffer(bytes: bytes), maxDepth: maxDepth)
    }

    /// How many bytes are left.
    public var readableBytes: Int { buffer.readableBytes }

    /// Whether every byte has been read.
    public var isAtEnd: Bool { buffer.readableBytes == 0 }

    /// How many bytes have been read since the start of the input.
    public var offset: Int { buffer.readerIndex &- startIndex }

    // MARK: - Plumbing

    /// Runs `body` over the unread bytes and moves past what it consumed; on error nothing moves and
    /// the error's offset is made relative to the input's start.
    @inline(__always)
    private mutating func read<T>(
        _ body: (inout MessagePackCursor) throws(MessagePackError) -> T
    ) throws(MessagePackError) -> T {
        let (value, consumed) = try peek(body)
        buffer.moveReaderIndex(forwardBy: consumed)
        return value
    }

    @inline(__always)
    private func peek<T>(
        _ body: (inout MessagePackCursor) throws(MessagePackError) -> T
    ) throws(MessagePackError) -> (T, consumed: Int) {
        let result = buffer.withUnsafeReadableBytes { bytes -> Result<(T, Int), MessagePackError> in
            var cursor = MessagePackCursor(bytes: bytes)
            do throws(MessagePackError) {
                let value = try body(&cursor)
                return .success((value, cursor.index))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let success):
            return success
        case .failure(var error):
            error.offset = (error.offset ?? 0) &+ offset
            throw error
        }
    }

    /// The unread bytes `start..<start+length` (offsets into the unread bytes) as a slice.
    @inline(__always)
    private func slice(_ start: Int, _ length: Int) -> ByteBuffer {
        // In range by construction: the cursor checked `start + length` against the readable bytes.
        buffer.getSlice(at: buffer.readerIndex &+ start, length: length) ?? ByteBuffer()
    }

    /// Moves to `offset` bytes from the input's start (for the decoders, which revisit values).
    mutating func moveTo(offset target: Int) {
        buffer.moveReaderIndex(to: startIndex &+ target)
    }

    /// Gives `body` the unread bytes as a cursor positioned at their start (for the decoders).
    func withCursor<T>(_ body: (inout MessagePackCursor) throws(MessagePackError) -> T) throws(MessagePackError) -> T {
        try peek(body).0
    }

    // MARK: - Peeking

    /// The type of the next value, without reading it. Throws ``MessagePackError/Code/truncated`` at
    /// the end of the input (or if the value's header is cut short), and
    /// ``MessagePackError/Code/invalidFormatByte`` for `0xc1`.
    public func peekType() throws(MessagePackError) -> MessagePackType {
        try peek { cursor throws(MessagePackError) -> MessagePackType in
            let header = try cursor.header()
            switch header.kind {
            case .nil: return .nil
            case .bool: return .bool
            case .nonNegativeInteger, .negativeInteger: return .integer
            case .float32: return .float
            case .float64: return .double
            case .string: return .string
            case .binary: return .binary
            case .array: return .array
            case .map: return .map
            case .extension: return header.extensionType == -1 ? .timestamp : .extension
            }
        }.0
    }

    // MARK: - Scalars

    /// Reads `nil`; throws ``MessagePackError/Code/typeMismatch`` for anything else.
    public mutating func readNil() throws(MessagePackError) {
        try read { cursor throws(MessagePackError) in try cursor.readNil() }
    }

    /// Reads `nil` and returns `true` if it is next; otherwise reads nothing and returns `false`.
    /// Throws only at the end of the input (``MessagePackError/Code/truncated``).
    public mutating func readNilIfPresent() throws(MessagePackError) -> Bool {
        guard let first = buffer.readableBytesView.first else {
            throw MessagePackError(.truncated, "input ends inside a value (no bytes left)", offset: offset)
        }
        guard first == 0xc0 else { return false }
        buffer.moveReaderIndex(forwardBy: 1)
        return true
    }

    /// Reads a bool.
    public mutating func readBool() throws(MessagePackError) -> Bool {
        try read { cursor throws(MessagePackError) in try cursor.readBool() }
    }

    /// Reads an integer of any form that fits `Int64`; a `uint64` above `Int64.max` throws
    /// ``MessagePackError/Code/integerOverflow``.
    public mutating func readInt64() throws(MessagePackError) -> Int64 {
        try read { cursor throws(MessagePackError) in try cursor.readInt64() }
    }

    /// Reads an integer of any form that fits `UInt64`; a negative one throws
    /// ``MessagePackError/Code/integerOverflow``.
    public mutating func readUInt64() throws(MessagePackError) -> UInt64 {
        try read { cursor throws(MessagePackError) in try cursor.readUInt64() }
    }

    /// Reads an integer of any form that fits `T`; one that does not throws
    /// ``MessagePackError/Code/integerOverflow``.
    public mutating func readInteger<T: FixedWidthInteger>(as type: T.Type = T.self) throws(MessagePackError) -> T {
        try read { cursor throws(MessagePackError) in try cursor.readInteger(as: T.self) }
    }

    /// Reads a float64, a float32 or an integer as a `Double`.
    public mutating func readDouble() throws(MessagePackError) -> Double {
        try read { cursor throws(MessagePackError) in try cursor.readDouble() }
    }

    /// Reads a float32, a float64 (rounded; beyond `Float`'s range throws
    /// ``MessagePackError/Code/integerOverflow``) or an integer as a `Float`.
    public mutating func readFloat() throws(MessagePackError) -> Float {
        try read { cursor throws(MessagePackError) in try cursor.readFloat() }
    }

    // MARK: - Strings and binaries

    /// Reads a string; its bytes must be valid UTF-8 (else ``MessagePackError/Code/invalidUTF8``).
    public mutating func readString() throws(MessagePackError) -> String {
        try read { cursor throws(MessagePackError) in try cursor.readString() }
    }

    /// Reads `nil` (returning `nil`) or a string.
    public mutating func readOptionalString() throws(MessagePackError) -> String? {
        if try readNilIfPresent() { return nil }
        return try readString()
    }

    /// Reads a string and returns its UTF-8 bytes as a slice of the input, validated but without
    /// making a `String` (to compare a method name, copy bytes along…).
    public mutating func readStringBytes() throws(MessagePackError) -> ByteBuffer {
        let (start, length) = try peek { cursor throws(MessagePackError) in
            let bytes = try cursor.readStringBytes()
            guard cursor.isValidUTF8(start: bytes.start, length: bytes.length) else {
                throw MessagePackError(.invalidUTF8, "string is not valid UTF-8", offset: 0)
            }
            return bytes
        }.0
        let result = slice(start, length)
        buffer.moveReaderIndex(forwardBy: start &+ length)
        return result
    }

    /// Reads a binary (`bin8/16/32`) and returns its bytes as a slice of the input.
    public mutating func readBinary() throws(MessagePackError) -> ByteBuffer {
        let (start, length) = try peek { cursor throws(MessagePackError) in try cursor.readBinary() }.0
        let result = slice(start, length)
        buffer.moveReaderIndex(forwardBy: start &+ length)
        return result
    }

    // MARK: - Containers

    /// Reads an array header and returns its element count; the elements follow. The count is at
    /// most the bytes left (checked).
    public mutating func readArrayHeader() throws(MessagePackError) -> Int {
        try read { cursor throws(MessagePackError) in try cursor.readArrayHeader() }
    }

    /// Reads a map header and returns its pair count; key, value, key, value… follow. Twice the
    /// count is at most the bytes left (checked).
    public mutating func readMapHeader() throws(MessagePackError) -> Int {
        try read { cursor throws(MessagePackError) in try cursor.readMapHeader() }
    }

    // MARK: - Extensions

    /// Reads any extension — a timestamp too — and returns its type and its data as a slice of the input.
    public mutating func readExtension() throws(MessagePackError) -> (type: Int8, data: ByteBuffer) {
        let (type, start, length) = try peek { cursor throws(MessagePackError) in try cursor.readExtension() }.0
        let result = (type, slice(start, length))
        buffer.moveReaderIndex(forwardBy: start &+ length)
        return result
    }

    /// Reads a timestamp extension (type −1) in any of its three forms.
    public mutating func readTimestamp() throws(MessagePackError) -> MessagePackTimestamp {
        try read { cursor throws(MessagePackError) in try cursor.readTimestamp() }
    }

    // MARK: - Whole values

    /// Moves past one whole value of any type, checking its structure (see ``readRawValue()``).
    public mutating func skipValue() throws(MessagePackError) {
        let maxDepth = maxDepth
        try read { cursor throws(MessagePackError) in try cursor.skipValue(depth: 0, maxDepth: maxDepth) }
    }

    /// Reads one whole value of any type and returns its encoded bytes as a slice of the input.
    ///
    /// The value's structure is checked recursively — valid format bytes, lengths and counts that fit
    /// the input, at most ``maxDepth`` nested containers — so a later reader of the slice cannot run
    /// out of bytes. String contents (UTF-8) and timestamp ranges are checked when those are read.
    public mutating func readRawValue() throws(MessagePackError) -> ByteBuffer {
        let maxDepth = maxDepth
        let length = try peek { cursor throws(MessagePackError) in
            try cursor.skipValue(depth: 0, maxDepth: maxDepth)
            return cursor.index
        }.0
        let result = slice(0, length)
        buffer.moveReaderIndex(forwardBy: length)
        return result
    }
}
