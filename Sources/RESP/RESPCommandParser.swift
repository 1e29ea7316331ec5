import NIOCore

/// Reads commands from a connection's query buffer incrementally, exactly as Redis's
/// `processMultibulkBuffer` and `processInlineBuffer` do, with the same limits and error texts.
///
/// The parser reads from `buffer.readerIndex`, which must stay at the start of the current command
/// until ``next(_:)`` returns it; the caller then moves the reader index to ``RESPParsedCommand/end``.
/// Work done on a partial multibulk command is kept, so a huge command arriving in many reads is
/// scanned once.
public struct RESPCommandParser: Sendable {
    /// The limits in force (may be changed between commands, as `CONFIG SET` does).
    public var limits: RESPLimits
    /// Whether the connection still has to authenticate: then multibulk counts above 10 and bulk
    /// lengths above 16384 are refused, as in Redis 7.
    public var requiresAuthentication: Bool = false

    private var expectedArguments: Int = 0  // 0 = no multibulk in progress
    private var cursor: Int = 0  // offset from the command start of the next unread byte
    private var ranges: [Range<Int>] = []  // offsets from the command start

    /// Makes a parser.
    public init(limits: RESPLimits = .redisDefaults) {
        self.limits = limits
        self.ranges.reserveCapacity(8)
    }

    /// Whether part of a command has been read and the rest is awaited.
    public var isInsideCommand: Bool { expectedArguments > 0 }

    /// Reads the next whole command starting at `buffer.readerIndex`.
    ///
    /// Returns `nil` when more bytes are needed. A returned command may have no arguments (an empty
    /// inline line, `*0`), which Redis skips without a reply. Throws Redis's protocol errors.
    public mutating func next(_ buffer: ByteBuffer) throws(RESPError) -> RESPParsedCommand? {
        let start = buffer.readerIndex
        let available = buffer.readableBytes
        if expectedArguments == 0 {
            guard available > 0 else { return nil }
            if buffer.getInteger(at: start, as: UInt8.self)! != UInt8(ascii: "*") {
                return try nextInline(buffer)
            }
            // The count line: Redis looks for '\r' (a NUL ends its search early) and then needs one more byte.
            guard let cr = Self.findCR(buffer, from: start + 1) else {
                if available > limits.maxInlineLength {
                    throw RESPError(.tooBigMultibulkCount, "too big mbulk count string")
                }
                return nil
            }
            guard cr - start <= available - 2 else { return nil }
            let count = buffer.withUnsafeReadableBytes {
                RedisNumberParsing.parseInt64(UnsafeRawBufferPointer(rebasing: $0[1..<(cr - start)]))
            }
            guard let count, count <= Int64(limits.maxMultibulkLength) else {
                throw RESPError(.invalidMultibulkLength, "invalid multibulk length")
            }
            if count > 10 && requiresAuthentication {
                throw RESPError(.unauthenticatedMultibulkLength, "unauthenticated multibulk length")
            }
            let afterCount = cr - start + 2
            if count <= 0 {
                return RESPParsedCommand(command: RESPCommand(buffer: buffer, ranges: []), end: start + afterCount)
            }
            expectedArguments = Int(count)
            cursor = afterCount
            ranges.removeAll(keepingCapacity: true)
            if ranges.capacity < min(expectedArguments, 1024) { ranges.reserveCapacity(min(expectedArguments, 1024)) }
        }
        while ranges.count < expectedArguments {
            let headerStart = start + cursor
            guard let cr = Self.findCR(buffer, from: headerStart) else {
                if available - cursor > limits.maxInlineLength {
                    throw RESPError(.tooBigBulkCount, "too big bulk count string")
                }
                return nil
            }
            guard cr - headerStart <= available - cursor - 2 else { return nil }
            let marker = buffer.getInteger(at: headerStart, as: UInt8.self)!
            guard marker == UInt8(ascii: "$") else {
                let shown = marker == 0x0D || marker == 0x0A ? 0x20 : marker
                throw RESPError(.expectedDollar, "expected '$', got '\(Character(Unicode.Scalar(shown)))'")
            }
            let length = buffer.withUnsafeReadableBytes {
                RedisNumberParsing.parseInt64(
                    UnsafeRawBufferPointer(rebasing: $0[(cursor + 1)..<(cr - start)]))
            }
            guard let length, length >= 0, length <= Int64(limits.maxBulkLength) else {
                throw RESPError(.invalidBulkLength, "invalid bulk length")
            }
            if length > 16384 && requiresAuthentication {
                throw RESPError(.unauthenticatedBulkLength, "unauthenticated bulk length")
            }
            let dataStart = cr - start + 2
            // Redis skips the two bytes after the data without checking that they are CRLF.
            guard available - dataStart - 2 >= Int(length) else { return nil }  // `length + 2` could overflow
            // Only now is the header consumed, so a partial bulk re-reads just its short header.
            ranges.append(dataStart..<(dataStart + Int(length)))
            cursor = dataStart + Int(length) + 2
        }
        let end = start + cursor
        let absolute = ranges.map { ($0.lowerBound + start)..<($0.upperBound + start) }
        expectedArguments = 0
        cursor = 0
        ranges.removeAll(keepingCapacity: true)
        return RESPParsedCommand(command: RESPCommand(buffer: buffer, ranges: absolute), end: end)
    }

    /// Forgets any partial command (after an error, or when the connection is reset).
    public mutating func reset() {
        expectedArguments = 0
        cursor = 0
        ranges.removeAll(keepingCapacity: true)
    }

    private func nextInline(_ buffer: ByteBuffer) throws(RESPError) -> RESPParsedCommand? {
        let start = buffer.readerIndex
        // Redis finds the newline with strchr, which also stops at a NUL byte.
        let newline: Int? = buffer.withUnsafeReadableBytes { bytes in
            for i in 0..<bytes.count {
                let c = bytes[i]
                if c == 0x0A { return i }
                if c == 0 { return nil }
            }
            return nil
        }
        guard let newline else {
            if buffer.readableBytes > limits.maxInlineLength {
                throw RESPError(.tooBigInlineRequest, "too big inline request")
            }
            return nil
        }
        var lineEnd = newline
        if lineEnd > 0 && buffer.getInteger(at: start + lineEnd - 1, as: UInt8.self)! == 0x0D { lineEnd -= 1 }
        let arguments: [[UInt8]]? = buffer.withUnsafeReadableBytes { bytes in
            RESPInlineSplitter.split(UnsafeRawBufferPointer(rebasing: bytes[0..<lineEnd]))
        }
        guard let arguments else {
            throw RESPError(.unbalancedQuotes, "unbalanced quotes in request")
        }
        return RESPParsedCommand(command: RESPCommand(arguments: arguments), end: start + newline + 1)
    }

    @inline(__always)
    private static func findCR(_ buffer: ByteBuffer, from index: Int) -> Int? {
        buffer.withUnsafeReadableBytes { bytes in
            let base = index - buffer.readerIndex
            var i = base
            while i < bytes.count {
                let c = bytes[i]
                if c == 0x0D { return i + buffer.readerIndex }
                if c == 0 { return nil }
                i += 1
            }
            return nil
        }
    }
}

/// A command read by ``RESPCommandParser`` and the index just past it in the query buffer.
public struct RESPParsedCommand: Sendable {
    /// The command's arguments (empty for a blank inline line or `*0`).
    public var command: RESPCommand
    /// The absolute index of the first byte after the command.
    public var end: Int
}
