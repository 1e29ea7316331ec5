import NIOCore

/// One command as the server reads it: its arguments as slices of the bytes that carried them.
///
/// For a multibulk command `buffer` is the connection's query buffer itself (no copy); for an
/// inline command it holds the unescaped arguments. A command kept after the query buffer
/// changes still reads its own arguments: it holds the storage they are in.
///
/// Arguments are read through a pointer to `buffer`'s bytes taken once when the command is made,
/// not through ByteBuffer's accessors, each of which is a dynamically checked access to its
/// storage. The pointer stays valid because the command holds `buffer`, whose storage is therefore
/// never uniquely referenced and so never reallocated or written in place while the command lives
/// (what `withUnsafeReadableBytesWithStorageManagement` documents for keeping such pointers).
public struct RESPCommand: @unchecked Sendable {  // the pointer is into `buffer`, which it keeps alive and never mutates
    /// The bytes the arguments point into.
    public private(set) var buffer: ByteBuffer
    /// Each argument's absolute byte range in `buffer`.
    public internal(set) var ranges: [Range<Int>]
    /// Where absolute index 0 of `buffer` would be (its readable bytes start at `readerIndex`).
    @usableFromInline let origin: UnsafeRawPointer?

    /// Makes a command over `buffer`.
    public init(buffer: ByteBuffer, ranges: [Range<Int>]) {
        let origin = buffer.withUnsafeReadableBytes { $0.baseAddress.map { $0 - buffer.readerIndex } }
        self.init(buffer: buffer, ranges: ranges, origin: origin)
    }

    /// Makes a command over `buffer` whose absolute index 0 would be at `origin` (from the
    /// parser, which has the pointer already).
    init(buffer: ByteBuffer, ranges: [Range<Int>], origin: UnsafeRawPointer?) {
        self.buffer = buffer
        self.ranges = ranges
        self.origin = origin
    }

    /// A command with no arguments and no bytes, to stand in where one is moved out.
    public static let none = RESPCommand(buffer: ByteBuffer(), ranges: [], origin: nil)

    /// Makes a command from whole arguments (tests, tools, inline commands).
    public init(arguments: [[UInt8]]) {
        var buffer = ByteBuffer()
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(arguments.count)
        for argument in arguments {
            let start = buffer.writerIndex
            buffer.writeBytes(argument)
            ranges.append(start..<buffer.writerIndex)
        }
        self.init(buffer: buffer, ranges: ranges)
    }

    /// The number of arguments, the command name included.
    @inlinable public var count: Int { ranges.count }

    /// Argument `index` as a buffer slice (shares storage).
    @inlinable
    public func slice(_ index: Int) -> ByteBuffer {
        let r = ranges[index]
        return buffer.getSlice(at: r.lowerBound, length: r.count)!
    }

    /// Argument `index` as bytes.
    @inlinable
    public func bytes(_ index: Int) -> [UInt8] {
        let r = ranges[index]
        return buffer.getBytes(at: r.lowerBound, length: r.count)!
    }

    /// Argument `index` decoded as UTF-8 (lossy), for names and options, never for keys or values.
    @inlinable
    public func string(_ index: Int) -> String {
        let r = ranges[index]
        return buffer.getString(at: r.lowerBound, length: r.count) ?? ""
    }

    /// Calls `body` with argument `index`'s raw bytes.
    @inlinable
    public func withBytes<R>(_ index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let r = ranges[index]
        guard let origin, r.count > 0 else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: origin + r.lowerBound, count: r.count))
    }

    /// Whether argument `index` equals `word`, ignoring ASCII case (`word` must be lowercase).
    @inlinable
    public func equalsCaseInsensitive(_ index: Int, _ word: StaticString) -> Bool {
        let r = ranges[index]
        guard r.count == word.utf8CodeUnitCount else { return false }
        return withBytes(index) { bytes in
            let w = word.utf8Start
            for i in 0..<bytes.count {
                var c = bytes[i]
                if c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") { c |= 0x20 }
                if c != w[i] { return false }
            }
            return true
        }
    }

    /// Argument `index` as a Redis integer (`string2ll` rules), or `nil`.
    @inlinable
    public func int64(_ index: Int) -> Int64? {
        withBytes(index) { RedisNumberParsing.parseInt64($0) }
    }
}

extension RESPCommand {
    /// Argument `index` copied into storage of its own, safe to keep after the query buffer changes
    /// (for names stored in registries).
    @inlinable
    public func ownedSlice(_ index: Int) -> ByteBuffer {
        let r = ranges[index]
        var copy = ByteBufferAllocator().buffer(capacity: r.count)
        _ = withBytes(index) { copy.writeBytes($0) }
        return copy
    }

    /// Argument `index` lowercased as a `String`, for matching option words.
    @inlinable
    public func lowercasedString(_ index: Int) -> String {
        string(index).lowercased()
    }
}
