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
    /// How many of `ranges` belong to the command being read; entries past it are left over from
    /// an earlier command and overwritten, so a stream of commands never empties the array.
    private var filled = 0

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
        // One access to the buffer's bytes per command: each of ByteBuffer's accessors is a
        // dynamically checked access to its storage, several per argument otherwise.
        var origin: UnsafeRawPointer? = nil
        let outcome = buffer.withUnsafeReadableBytes { bytes in
            origin = bytes.baseAddress.map { $0 - start }
            return self.scan(bytes, start: start)
        }
        switch outcome {
        case .needMore:
            return nil
        case .failed(let error):
            throw error
        case .command(let end):
            return RESPParsedCommand(
                command: RESPCommand(buffer: buffer, ranges: takeRanges(), origin: origin), end: end)
        case .quotedInline(let end, let lineEnd):
            let arguments: [[UInt8]]? = buffer.withUnsafeReadableBytes { bytes in
                RESPInlineSplitter.split(UnsafeRawBufferPointer(rebasing: bytes[0..<lineEnd]))
            }
            guard let arguments else {
                throw RESPError(.unbalancedQuotes, "unbalanced quotes in request")
            }
            return RESPParsedCommand(command: RESPCommand(arguments: arguments), end: end)
        }
    }

    /// Forgets any partial command (after an error, or when the connection is reset).
    public mutating func reset() {
        expectedArguments = 0
        cursor = 0
        filled = 0
    }

    /// Gives a finished command's argument array back, so the next command reuses its storage
    /// instead of allocating one (call it once the command has run and is no longer needed).
    public mutating func recycle(_ command: inout RESPCommand) {
        guard command.ranges.capacity > ranges.capacity else { return }
        swap(&ranges, &command.ranges)
        filled = 0
    }

    /// Hands the argument ranges to a command, leaving the parser an empty array (refilled by ``recycle(_:)``).
    private mutating func takeRanges() -> [Range<Int>] {
        if ranges.count > filled { ranges.removeSubrange(filled...) }
        filled = 0
        var taken: [Range<Int>] = []
        swap(&taken, &ranges)
        return taken
    }

    private enum Outcome {
        case needMore
        case failed(RESPError)
        /// A whole command whose absolute argument ranges are in `ranges`.
        case command(end: Int)
        /// An inline line with quotes or escapes, `lineEnd` bytes long without its line ending.
        case quotedInline(end: Int, lineEnd: Int)
    }

    /// Reads from `bytes`, whose first byte is at absolute index `start` of the query buffer.
    /// While a multibulk command is partial, `cursor` and `ranges` are offsets from its start
    /// (the buffer may be compacted between reads); a whole command's ranges are made absolute.
    private mutating func scan(_ bytes: UnsafeRawBufferPointer, start: Int) -> Outcome {
        let available = bytes.count
        if expectedArguments == 0 {
            guard available > 0 else { return .needMore }
            if bytes[0] != UInt8(ascii: "*") {
                return scanInline(bytes, start: start)
            }
            // The count line: Redis looks for '\r' (a NUL ends its search early) and then needs one more byte.
            guard let cr = Self.findCR(bytes, from: 1) else {
                if available > limits.maxInlineLength {
                    return .failed(RESPError(.tooBigMultibulkCount, "too big mbulk count string"))
                }
                return .needMore
            }
            guard cr <= available - 2 else { return .needMore }
            let count = RedisNumberParsing.parseInt64(UnsafeRawBufferPointer(rebasing: bytes[1..<cr]))
            guard let count, count <= Int64(limits.maxMultibulkLength) else {
                return .failed(RESPError(.invalidMultibulkLength, "invalid multibulk length"))
            }
            if count > 10 && requiresAuthentication {
                return .failed(RESPError(.unauthenticatedMultibulkLength, "unauthenticated multibulk length"))
            }
            filled = 0
            if count <= 0 {
                return .command(end: start + cr + 2)
            }
            expectedArguments = Int(count)
            cursor = cr + 2
            if ranges.capacity < min(expectedArguments, 1024) { ranges.reserveCapacity(min(expectedArguments, 1024)) }
        }
        while filled < expectedArguments {
            let headerStart = cursor
            guard let cr = Self.findCR(bytes, from: headerStart) else {
                if available - cursor > limits.maxInlineLength {
                    return .failed(RESPError(.tooBigBulkCount, "too big bulk count string"))
                }
                return .needMore
            }
            guard cr <= available - 2 else { return .needMore }
            let marker = bytes[headerStart]
            guard marker == UInt8(ascii: "$") else {
                let shown = marker == 0x0D || marker == 0x0A ? 0x20 : marker
                return .failed(RESPError(.expectedDollar, "expected '$', got '\(Character(Unicode.Scalar(shown)))'"))
            }
            let length = Self.parseLength(bytes, from: headerStart + 1, to: cr)
            guard let length, length >= 0, length <= Int64(limits.maxBulkLength) else {
                return .failed(RESPError(.invalidBulkLength, "invalid bulk length"))
            }
            if length > 16384 && requiresAuthentication {
                return .failed(RESPError(.unauthenticatedBulkLength, "unauthenticated bulk length"))
            }
            let dataStart = cr + 2
            // Redis skips the two bytes after the data without checking that they are CRLF.
            guard available - dataStart - 2 >= Int(length) else { return .needMore }  // `length + 2` could overflow
            // Only now is the header consumed, so a partial bulk re-reads just its short header.
            add(dataStart..<(dataStart + Int(length)))
            cursor = dataStart + Int(length) + 2
        }
        let end = start + cursor
        for i in 0..<filled { ranges[i] = (ranges[i].lowerBound + start)..<(ranges[i].upperBound + start) }
        expectedArguments = 0
        cursor = 0
        return .command(end: end)
    }

    /// An inline command: a line with no quotes and no vertical tab or form feed (where
    /// `sdssplitargs` has nothing to unescape) is split in place, as slices of the query buffer;
    /// any other line is left to ``RESPInlineSplitter``, which copies its arguments out.
    private mutating func scanInline(_ bytes: UnsafeRawBufferPointer, start: Int) -> Outcome {
        // Redis finds the newline with strchr, which also stops at a NUL byte.
        var newline = -1
        for i in 0..<bytes.count {
            let c = bytes[i]
            if c == 0x0A {
                newline = i
                break
            }
            if c == 0 { break }
        }
        guard newline >= 0 else {
            if bytes.count > limits.maxInlineLength {
                return .failed(RESPError(.tooBigInlineRequest, "too big inline request"))
            }
            return .needMore
        }
        var lineEnd = newline
        if lineEnd > 0 && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
        filled = 0
        var tokenStart = -1
        for i in 0..<lineEnd {
            switch bytes[i] {
            case 0x20, 0x09, 0x0D:
                if tokenStart >= 0 {
                    add((start + tokenStart)..<(start + i))
                    tokenStart = -1
                }
            case UInt8(ascii: "\""), UInt8(ascii: "'"), 0x0B, 0x0C:
                filled = 0
                return .quotedInline(end: start + newline + 1, lineEnd: lineEnd)
            default:
                if tokenStart < 0 { tokenStart = i }
            }
        }
        if tokenStart >= 0 { add((start + tokenStart)..<(start + lineEnd)) }
        return .command(end: start + newline + 1)
    }

    @inline(__always)
    private mutating func add(_ range: Range<Int>) {
        if filled < ranges.count {
            ranges[filled] = range
        } else {
            ranges.append(range)
        }
        filled += 1
    }

    /// A bulk length: the common case (1 to 18 digits, no sign, no leading zero) read here,
    /// anything else by `string2ll`'s rules in ``RedisNumberParsing``, with the same results.
    @inline(__always)
    private static func parseLength(_ bytes: UnsafeRawBufferPointer, from: Int, to: Int) -> Int64? {
        let count = to - from
        guard count >= 1 && count <= 18, bytes[from] >= UInt8(ascii: "1"), bytes[from] <= UInt8(ascii: "9") else {
            return RedisNumberParsing.parseInt64(UnsafeRawBufferPointer(rebasing: bytes[from..<to]))
        }
        var value: Int64 = 0
        for i in from..<to {
            let digit = bytes[i] &- UInt8(ascii: "0")
            guard digit <= 9 else { return nil }
            value = value &* 10 &+ Int64(digit)
        }
        return value
    }

    /// The index of the first CR at or after `index`, or nil if a NUL or the end comes first.
    @inline(__always)
    private static func findCR(_ bytes: UnsafeRawBufferPointer, from index: Int) -> Int? {
        var i = index
        while i < bytes.count {
            let c = bytes[i]
            if c == 0x0D { return i }
            if c == 0 { return nil }
            i += 1
        }
        return nil
    }
}

/// A command read by ``RESPCommandParser`` and the index just past it in the query buffer.
public struct RESPParsedCommand: Sendable {
    /// The command's arguments (empty for a blank inline line or `*0`).
    public var command: RESPCommand
    /// The absolute index of the first byte after the command.
    public var end: Int
}
