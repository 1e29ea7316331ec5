import NIOCore

/// Decodes whole RESP2/RESP3 values (replies, pushes) incrementally, with depth and length limits.
///
/// Used by clients, tools and tests; the server reads commands with ``RESPCommandParser`` instead.
/// Input that is not RESP yields a ``RESPError``; no input traps.
public struct RESPValueDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = RESPValue

    /// The limits in force.
    public var limits: RESPLimits

    /// Makes a decoder.
    public init(limits: RESPLimits = .redisDefaults) {
        self.limits = limits
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let value = try self.decode(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(value))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }

    /// Decodes one value from the front of `buffer`, consuming it; `nil` (and nothing consumed) if
    /// the value is not complete yet.
    public func decode(_ buffer: inout ByteBuffer) throws(RESPError) -> RESPValue? {
        let source = buffer
        let result = source.withUnsafeReadableBytes { bytes -> Result<(RESPValue, Int)?, RESPError> in
            var reader = Reader(source: source, bytes: bytes, limits: limits)
            do throws(RESPError) {
                guard let value = try reader.value(depth: 0) else { return .success(nil) }
                return .success((value, reader.index))
            } catch {
                return .failure(error)
            }
        }
        guard let (value, consumed) = try result.get() else { return nil }
        buffer.moveReaderIndex(forwardBy: consumed)
        return value
    }

    /// Reads values from the readable bytes of `source` (`bytes`), through raw pointers: offsets
    /// are relative to `source.readerIndex`, and slices of `source` carry the strings out.
    struct Reader {
        let source: ByteBuffer
        let bytes: UnsafeRawBufferPointer
        var index = 0
        let limits: RESPLimits

        init(source: ByteBuffer, bytes: UnsafeRawBufferPointer, limits: RESPLimits) {
            self.source = source
            self.bytes = bytes
            self.limits = limits
        }

        /// The bytes `start..<start+length` as a slice of the source buffer.
        @inline(__always)
        func slice(_ start: Int, _ length: Int) -> ByteBuffer {
            source.getSlice(at: source.readerIndex + start, length: length)!
        }

        /// The end (the offset of CR) of the line starting at `index`, or `nil` if it is not complete.
        @inline(__always)
        func lineEnd() throws(RESPError) -> Int? {
            let count = bytes.count
            var i = index
            while i < count {
                if bytes[i] == 0x0D {
                    guard i + 1 < count else { return nil }
                    guard bytes[i + 1] == 0x0A else { throw RESPError(.missingCRLF, "expected CRLF") }
                    return i
                }
                i &+= 1
            }
            return nil
        }

        mutating func line() throws(RESPError) -> ByteBuffer? {
            guard let end = try lineEnd() else { return nil }
            let slice = slice(index, end - index)
            index = end + 2
            return slice
        }

        mutating func integerLine() throws(RESPError) -> Int64? {
            guard let end = try lineEnd() else { return nil }
            guard let value = Self.parseSignedDecimal(UnsafeRawBufferPointer(rebasing: bytes[index..<end])) else {
                throw RESPError(.invalidInteger, "invalid integer '\(String(buffer: slice(index, end - index)))'")
            }
            index = end + 2
            return value
        }

        /// RESP allows a leading '+' or '-' and leading zeros in integers (unlike string2ll).
        static func parseSignedDecimal(_ digits: UnsafeRawBufferPointer) -> Int64? {
            var i = 0
            var negative = false
            if let first = digits.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
                negative = first == UInt8(ascii: "-")
                i = 1
            }
            guard i < digits.count else { return nil }
            var magnitude: UInt64 = 0
            while i < digits.count {
                let c = digits[i] &- UInt8(ascii: "0")
                guard c <= 9 else { return nil }
                let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(UInt64(c))
                if o1 || o2 { return nil }
                magnitude = s
                i &+= 1
            }
            if negative {
                if magnitude > UInt64(Int64.max) + 1 { return nil }
                return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
            }
            return magnitude > UInt64(Int64.max) ? nil : Int64(magnitude)
        }

        mutating func blob() throws(RESPError) -> ByteBuffer?? {
            guard let length = try integerLine() else { return nil }
            if length == -1 { return .some(nil) }
            guard length >= 0, length <= Int64(limits.maxBulkLength) else {
                throw RESPError(.invalidBulkLength, "invalid bulk length")
            }
            let n = Int(length)
            guard bytes.count - index - 2 >= n else { return nil }  // `n + 2` could overflow
            guard bytes[index + n] == 0x0D, bytes[index + n + 1] == 0x0A else {
                throw RESPError(.missingCRLF, "expected CRLF after bulk data")
            }
            let slice = slice(index, n)
            index += n + 2
            return .some(slice)
        }

        mutating func count() throws(RESPError) -> Int?? {
            guard let length = try integerLine() else { return nil }
            if length == -1 { return .some(nil) }
            guard length >= 0, length <= Int64(limits.maxAggregateLength) else {
                throw RESPError(.aggregateTooLong, "invalid aggregate length")
            }
            return .some(Int(length))
        }

        /// `depth` aggregates enclose this one; `maxDepth` of them may nest, whatever the innermost holds.
        mutating func elements(_ n: Int, depth: Int) throws(RESPError) -> [RESPValue]? {
            guard depth < limits.maxDepth else { throw RESPError(.nestingTooDeep, "nesting too deep") }
            var result: [RESPValue] = []
            result.reserveCapacity(min(n, 1024))
            for _ in 0..<n {
                guard let v = try value(depth: depth + 1) else { return nil }
                result.append(v)
            }
            return result
        }

        mutating func pairs(_ n: Int, depth: Int) throws(RESPError) -> [RESPMapEntry]? {
            guard depth < limits.maxDepth else { throw RESPError(.nestingTooDeep, "nesting too deep") }
            var result: [RESPMapEntry] = []
            result.reserveCapacity(min(n, 1024))
            for _ in 0..<n {
                guard let k = try value(depth: depth + 1), let v = try value(depth: depth + 1) else { return nil }
                result.append(RESPMapEntry(key: k, value: v))
            }
            return result
        }

        mutating func value(depth: Int) throws(RESPError) -> RESPValue? {
            guard index < bytes.count else { return nil }
            let type = bytes[index]
            index += 1
            switch type {
            case UInt8(ascii: "+"):
                return try line().map { .simpleString($0) }
            case UInt8(ascii: "-"):
                return try line().map { .simpleError($0) }
            case UInt8(ascii: ":"):
                return try integerLine().map { .integer($0) }
            case UInt8(ascii: "$"):
                guard let b = try blob() else { return nil }
                return b.map { .bulkString($0) } ?? .nullBulkString
            case UInt8(ascii: "!"):
                guard let b = try blob() else { return nil }
                guard let b else { throw RESPError(.invalidBulkLength, "invalid blob error length") }
                return .blobError(b)
            case UInt8(ascii: "="):
                guard let b = try blob() else { return nil }
                guard let b, b.readableBytes >= 4,
                    b.getInteger(at: b.readerIndex + 3, as: UInt8.self) == UInt8(ascii: ":")
                else { throw RESPError(.invalidBulkLength, "invalid verbatim string") }
                return .verbatimString(
                    format: b.getSlice(at: b.readerIndex, length: 3)!,
                    b.getSlice(at: b.readerIndex + 4, length: b.readableBytes - 4)!)
            case UInt8(ascii: "*"):
                guard let c = try count() else { return nil }
                guard let c else { return .nullArray }
                return try elements(c, depth: depth).map { .array($0) }
            case UInt8(ascii: "~"), UInt8(ascii: ">"):
                guard let c = try count() else { return nil }
                guard let c else { throw RESPError(.aggregateTooLong, "invalid aggregate length") }
                guard let e = try elements(c, depth: depth) else { return nil }
                return type == UInt8(ascii: "~") ? .set(e) : .push(e)
            case UInt8(ascii: "%"), UInt8(ascii: "|"):
                guard let c = try count() else { return nil }
                guard let c else { throw RESPError(.aggregateTooLong, "invalid aggregate length") }
                guard let p = try pairs(c, depth: depth) else { return nil }
                if type == UInt8(ascii: "%") { return .map(p) }
                guard let annotated = try value(depth: depth + 1) else { return nil }
                return .attribute(p, annotated)
            case UInt8(ascii: "_"):
                guard let l = try line() else { return nil }
                guard l.readableBytes == 0 else { throw RESPError(.missingCRLF, "invalid null") }
                return .null
            case UInt8(ascii: "#"):
                guard let l = try line() else { return nil }
                switch l.readableBytesView.first {
                case UInt8(ascii: "t") where l.readableBytes == 1: return .boolean(true)
                case UInt8(ascii: "f") where l.readableBytes == 1: return .boolean(false)
                default: throw RESPError(.invalidBoolean, "invalid boolean")
                }
            case UInt8(ascii: ","):
                guard let l = try line() else { return nil }
                guard let d = Double(String(buffer: l)) else { throw RESPError(.invalidDouble, "invalid double") }
                return .double(d)
            case UInt8(ascii: "("):
                guard let l = try line() else { return nil }
                var digits = l.readableBytesView[...]
                if digits.first == UInt8(ascii: "-") || digits.first == UInt8(ascii: "+") {
                    digits = digits.dropFirst()
                }
                guard !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
                    throw RESPError(.invalidInteger, "invalid big number")
                }
                return .bigNumber(l)
            default:
                throw RESPError(.invalidTypeByte, "invalid type byte \(type)")
            }
        }
    }
}
