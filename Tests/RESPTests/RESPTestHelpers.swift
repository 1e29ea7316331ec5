import NIOCore
import RESP

/// Bytes of an ASCII/UTF-8 literal; `\u{0}` and friends spell binary bytes.
func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

/// A readable rendering of bytes for failure messages (`\r`, `\n`, `\xNN` escaped).
func escaped(_ bytes: [UInt8]) -> String {
    var s = ""
    for b in bytes {
        switch b {
        case 0x0D: s += "\\r"
        case 0x0A: s += "\\n"
        case 0x09: s += "\\t"
        case 0x5C: s += "\\\\"
        case 0x20..<0x7F: s.append(Character(Unicode.Scalar(b)))
        default: s += "\\x" + String(b, radix: 16).leftPadded(to: 2)
        }
    }
    return s
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// What a connection ends up with after feeding the parser some chunks: the commands it read (each
/// as its argument bytes), the error that closed it (if any), and the bytes left unconsumed.
struct ParseOutcome: Equatable, CustomStringConvertible {
    var commands: [[[UInt8]]] = []
    var error: RESPError? = nil
    var leftover: [UInt8] = []

    var description: String {
        let c = commands.map { "[" + $0.map { "\"\(escaped($0))\"" }.joined(separator: ", ") + "]" }
        return "commands: \(c), error: \(error.map { $0.message } ?? "none"), leftover: \"\(escaped(leftover))\""
    }
}

/// Feeds `chunks` to a fresh parser the way a connection does: append each read to the query buffer,
/// take commands while `next` returns them, move the reader index past each one, stop at the first
/// error (the connection is closed). With `compact`, read bytes are discarded after every chunk, as a
/// connection may do to keep its query buffer small.
func feed(
    _ chunks: [ArraySlice<UInt8>], limits: RESPLimits = .redisDefaults, requiresAuthentication: Bool = false,
    compact: Bool = false
) -> ParseOutcome {
    var parser = RESPCommandParser(limits: limits)
    parser.requiresAuthentication = requiresAuthentication
    var buffer = ByteBuffer()
    var outcome = ParseOutcome()
    for chunk in chunks {
        buffer.writeBytes(chunk)
        while true {
            let parsed: RESPParsedCommand?
            do {
                parsed = try parser.next(buffer)
            } catch {
                outcome.error = error
                outcome.leftover = Array(buffer.readableBytesView)
                return outcome
            }
            guard var parsed else { break }
            let command = parsed.command
            outcome.commands.append((0..<command.count).map { command.bytes($0) })
            buffer.moveReaderIndex(to: parsed.end)
            // As the broker does, so every vector also runs with argument arrays handed back.
            parser.recycle(&parsed.command)
        }
        if compact { buffer.discardReadBytes() }
    }
    outcome.leftover = Array(buffer.readableBytesView)
    return outcome
}

/// The input whole, then split in two at every position, then byte by byte (with and without
/// compaction); returns each way's label and outcome.
func everySplit(
    _ input: [UInt8], limits: RESPLimits = .redisDefaults, requiresAuthentication: Bool = false
) -> [(String, ParseOutcome)] {
    var results: [(String, ParseOutcome)] = []
    results.append(("whole", feed([input[...]], limits: limits, requiresAuthentication: requiresAuthentication)))
    for i in 0...input.count {
        let chunks = [input[..<i], input[i...]]
        results.append(
            ("split at \(i)", feed(chunks, limits: limits, requiresAuthentication: requiresAuthentication)))
        results.append(
            (
                "split at \(i), compacted",
                feed(chunks, limits: limits, requiresAuthentication: requiresAuthentication, compact: true)
            ))
    }
    let single = input.indices.map { input[$0...$0] }
    results.append(("byte by byte", feed(single, limits: limits, requiresAuthentication: requiresAuthentication)))
    results.append(
        (
            "byte by byte, compacted",
            feed(single, limits: limits, requiresAuthentication: requiresAuthentication, compact: true)
        ))
    return results
}

extension RESPLimits {
    /// Redis's defaults with some bounds lowered so each limit can be hit with a few bytes.
    static func small(
        maxBulkLength: Int = 512 * 1024 * 1024, maxMultibulkLength: Int = Int(Int32.max),
        maxInlineLength: Int = 64 * 1024,
        maxDepth: Int = 128, maxAggregateLength: Int = Int(Int32.max)
    ) -> RESPLimits {
        RESPLimits(
            maxBulkLength: maxBulkLength, maxMultibulkLength: maxMultibulkLength, maxInlineLength: maxInlineLength,
            maxQueryBufferLength: 1024 * 1024 * 1024, maxDepth: maxDepth, maxAggregateLength: maxAggregateLength)
    }
}
