/// A Redis string value: bytes, kept in the encoding Redis would report (`OBJECT ENCODING`).
///
/// Storage follows the encoding without costing a heap object for short strings:
/// - `int`: a canonical decimal integer of at most 20 bytes is kept as an `Int64` (Redis's
///   `OBJ_ENCODING_INT`); its bytes are formatted on demand.
/// - `embstr`: up to 22 bytes in place, 23–44 bytes in one array (Redis's 44-byte embstr limit).
/// - `raw`: anything longer, or a string a command built by modification (`APPEND`, `SETRANGE`),
///   which Redis leaves raw whatever its length; short raw strings are still kept in place.
///
/// The whole value is 24 bytes. Two values are equal when their bytes are, whatever the encoding.
public struct StringValue: Sendable, Equatable, CustomStringConvertible {
    /// The encoding `OBJECT ENCODING` reports for a string.
    public enum Encoding: Sendable, Equatable {
        /// `int`: stored as a 64-bit integer.
        case int
        /// `embstr`: a short string (at most 44 bytes) stored with its object.
        case embstr
        /// `raw`: a separately allocated buffer.
        case raw
    }

    @usableFromInline
    enum Storage: Sendable {
        /// Up to 22 bytes; the flag bit marks `raw` (otherwise `embstr`).
        case inline(InlineBytes)
        case integer(Int64)
        case embedded([UInt8])
        case raw([UInt8])
    }

    @usableFromInline var storage: Storage

    /// Redis's `embstr` limit (`OBJ_ENCODING_EMBSTR_SIZE_LIMIT`).
    public static let embeddedLimit = 44

    /// The empty string.
    public init() {
        storage = .inline(InlineBytes())
    }

    /// Copies `bytes`, choosing the encoding as Redis's `tryObjectEncoding` does after `SET`:
    /// `int` for a canonical integer of at most 20 bytes, `embstr` up to 44 bytes, `raw` beyond.
    public init(_ bytes: UnsafeRawBufferPointer) {
        if bytes.count <= 20, let integer = Self.parseCanonicalInteger(bytes) {
            self.init(integer: integer)
        } else {
            self.init(creating: bytes)
        }
    }

    /// Copies `bytes`, choosing the encoding as `init(_:)` on a raw buffer does.
    public init(_ bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { StringValue($0) }
    }

    /// An `int`-encoded string (what `INCR` stores).
    public init(integer: Int64) {
        storage = .integer(integer)
    }

    /// A string made the way Redis's `createStringObject` makes one (`INCRBYFLOAT`'s result):
    /// `embstr` up to 44 bytes and `raw` beyond, never `int` even if the bytes are a number.
    public init(creating bytes: UnsafeRawBufferPointer) {
        if bytes.count <= InlineBytes.capacity {
            storage = .inline(InlineBytes(bytes))
        } else if bytes.count <= Self.embeddedLimit {
            storage = .embedded(Array(bytes))
        } else {
            storage = .raw(Array(bytes))
        }
    }

    /// A `raw`-encoded string whatever its length (what `APPEND` and `SETRANGE` leave).
    public init(rawBytes bytes: [UInt8]) {
        if bytes.count <= InlineBytes.capacity {
            storage = bytes.withUnsafeBytes { .inline(InlineBytes($0, flag: true)) }
        } else {
            storage = .raw(bytes)
        }
    }

    /// Calls `body` with the bytes for in-place modification and leaves the string `raw`-encoded,
    /// as Redis's `dbUnshareStringValue` does before `APPEND`, `SETRANGE` and `SETBIT`.
    ///
    /// A long raw string is modified in its own array without a copy (the storage lets go of it
    /// first, so the array is uniquely referenced); other encodings are copied out once.
    public mutating func withMutableRawBytes<R>(_ body: (inout [UInt8]) throws -> R) rethrows -> R {
        var array: [UInt8]
        switch storage {
        case .raw(let a): array = a
        default: array = bytes
        }
        storage = .inline(InlineBytes())
        defer { self = StringValue(rawBytes: array) }
        return try body(&array)
    }

    /// The encoding `OBJECT ENCODING` reports.
    public var encoding: Encoding {
        switch storage {
        case .inline(let b): b.flag ? .raw : .embstr
        case .integer: .int
        case .embedded: .embstr
        case .raw: .raw
        }
    }

    /// The value when it is `int`-encoded (not a parse of other encodings: `INCR` parses itself).
    public var integerValue: Int64? {
        if case .integer(let value) = storage { return value }
        return nil
    }

    /// The length in bytes (`STRLEN`).
    public var count: Int {
        switch storage {
        case .inline(let b): return b.count
        case .integer(let value): return Self.decimalCount(value)
        case .embedded(let a), .raw(let a): return a.count
        }
    }

    /// Heap bytes the string holds beyond its 24 bytes in place (0 when stored in place).
    public var heapByteCount: Int {
        switch storage {
        case .inline, .integer: 0
        case .embedded(let a), .raw(let a): heapAllocationSize(ofArrayWithCapacity: a.capacity)
        }
    }

    /// Calls `body` with the string's bytes, valid only during the call; no allocation.
    /// Inlinable, so a reply writer in another module calls no unspecialized generic code.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch storage {
        case .inline(let b):
            return try b.withUnsafeBytes(body)
        case .integer(let value):
            return try withUnsafeTemporaryAllocation(byteCount: 20, alignment: 1) { buffer in
                let n = Self.formatDecimal(value, into: buffer)
                return try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            }
        case .embedded(let a), .raw(let a):
            return try a.withUnsafeBytes(body)
        }
    }

    /// A copy of the bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    public var description: String { withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }

    public static func == (lhs: StringValue, rhs: StringValue) -> Bool {
        if case .integer(let a) = lhs.storage, case .integer(let b) = rhs.storage { return a == b }
        return lhs.withUnsafeBytes { a in rhs.withUnsafeBytes { b in bytesEqual(a, b) } }
    }

    /// Redis's `string2ll`: an optional `-`, no leading zeros, no `+`, no spaces, within `Int64`.
    static func parseCanonicalInteger(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        let n = bytes.count
        if n == 0 { return nil }
        if n == 1 && bytes[0] == UInt8(ascii: "0") { return 0 }
        var i = 0
        let negative = bytes[0] == UInt8(ascii: "-")
        if negative {
            i = 1
            if n == 1 { return nil }
        }
        guard bytes[i] >= UInt8(ascii: "1") && bytes[i] <= UInt8(ascii: "9") else { return nil }
        var magnitude: UInt64 = 0
        while i < n {
            let c = bytes[i]
            guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return nil }
            let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (m2, o2) = m1.addingReportingOverflow(UInt64(c - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            magnitude = m2
            i += 1
        }
        if negative {
            if magnitude > UInt64(Int64.max) + 1 { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        return magnitude > UInt64(Int64.max) ? nil : Int64(magnitude)
    }

    private static func decimalCount(_ value: Int64) -> Int {
        var m = value.magnitude
        var n = value < 0 ? 2 : 1
        while m >= 10 {
            m /= 10
            n += 1
        }
        return n
    }

    @usableFromInline
    static func formatDecimal(_ value: Int64, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = decimalCount(value)
        var m = value.magnitude
        var i = n - 1
        repeat {
            buffer[i] = UInt8(ascii: "0") + UInt8(m % 10)
            m /= 10
            i -= 1
        } while m > 0
        if value < 0 { buffer[0] = UInt8(ascii: "-") }
        return n
    }
}
