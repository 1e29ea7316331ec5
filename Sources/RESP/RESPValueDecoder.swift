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
        var reader = Reader(buffer: buffer, index: buffer.readerIndex, limits: limits)
        guard let value = try reader.value(depth: 0) else { return nil }
        buffer.moveReaderIndex(to: reader.index)
        return value
    }

    private struct Reader {
        let buffer: ByteBuffer
        var index: Int
        let limits: RESPLimits

        mutating func line() throws(RESPError) -> ByteBuffer? {
            let end = buffer.writerIndex
            var i = index
            while i < end {
                if buffer.getInteger(at: i, as: UInt8.self)! == 0x0D {
                    guard i + 1 < end else { return nil }
                    guard buffer.getInteger(at: i + 1, as: UInt8.self)! == 0x0A else {
                        throw RESPError(.missingCRLF, "expected CRLF")
                    }
                    let slice = buffer.getSlice(at: index, length: i - index)!
                    index = i + 2
                    return slice
                }
                i += 1
            }
            return nil
        }

        mutating func integerLine() throws(RESPError) -> Int64? {
            guard let line = try line() else { return nil }
            guard let value = Self.parseSignedDecimal(line) else {
                throw RESPError(.invalidInteger, "invalid integer '\(String(buffer: line))'")
            }
            return value
        }

        /// RESP allows a leading '+' or '-' and leading zeros in integers (unlike string2ll).
        static func parseSignedDecimal(_ line: ByteBuffer) -> Int64? {
            var view = line.readableBytesView[...]
            var negative = false
            if let first = view.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
                negative = first == UInt8(ascii: "-")
                view = view.dropFirst()
            }
            guard !view.isEmpty else { return nil }
            var magnitude: UInt64 = 0
            for c in view {
                guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return nil }
                let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(UInt64(c - UInt8(ascii: "0")))
                if o1 || o2 { return nil }
                magnitude = s
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
            guard buffer.writerIndex - index - 2 >= n else { return nil }  // `n + 2` could overflow
            guard buffer.getInteger(at: index + n, as: UInt8.self)! == 0x0D,
                buffer.getInteger(at: index + n + 1, as: UInt8.self)! == 0x0A
            else { throw RESPError(.missingCRLF, "expected CRLF after bulk data") }
            let slice = buffer.getSlice(at: index, length: n)!
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
            guard index < buffer.writerIndex else { return nil }
            let type = buffer.getInteger(at: index, as: UInt8.self)!
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
