import NIOCore
import RESP
import Testing
import TestSupport

/// One input for the command parser and what a connection must end up with, however it is split.
struct ParserVector: Sendable, CustomTestStringConvertible {
    var name: String
    var input: [UInt8]
    var commands: [[[UInt8]]]
    /// The error text (`RESPError.message`) the input ends with, if any.
    var error: String? = nil
    /// Bytes left waiting when no error closed the connection.
    var leftover: [UInt8] = []
    var limits: RESPLimits = .redisDefaults
    var requiresAuthentication = false

    var testDescription: String { name }
}

private func cmd(_ arguments: String...) -> [[UInt8]] { arguments.map(bytes) }

private let parserCorpus: [ParserVector] = [
    // Multibulk.
    ParserVector(
        name: "multibulk SET", input: bytes("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"),
        commands: [cmd("SET", "key", "value")]),
    ParserVector(
        name: "pipelined multibulk",
        input: bytes("*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"),
        commands: [cmd("PING"), cmd("ECHO", "hi"), cmd("SET", "k", "v")]),
    ParserVector(
        name: "binary bulk with NUL, CR, LF and 0xFF",
        input: bytes("*2\r\n$3\r\nSET\r\n$7\r\n") + [0x61, 0x00, 0x0D, 0x0A, 0x62, 0x0A, 0xFF] + bytes("\r\n")
            + bytes("*1\r\n$4\r\nPING\r\n"),
        commands: [[bytes("SET"), [0x61, 0x00, 0x0D, 0x0A, 0x62, 0x0A, 0xFF]], cmd("PING")]),
    ParserVector(
        name: "NUL-holding argument between others",
        input: bytes("*3\r\n$3\r\nSET\r\n$3\r\na\u{0}b\r\n$1\r\nc\r\n"),
        commands: [cmd("SET", "a\u{0}b", "c")]),
    ParserVector(
        name: "bulk that is exactly CRLF", input: bytes("*2\r\n$4\r\nECHO\r\n$2\r\n\r\n\r\n"),
        commands: [cmd("ECHO", "\r\n")]),
    ParserVector(
        name: "empty bulk", input: bytes("*2\r\n$3\r\nGET\r\n$0\r\n\r\n"), commands: [cmd("GET", "")]),
    ParserVector(name: "*0 is an empty command", input: bytes("*0\r\n"), commands: [[]]),
    ParserVector(name: "*-1 is an empty command", input: bytes("*-1\r\n"), commands: [[]]),
    ParserVector(name: "*-5 is an empty command", input: bytes("*-5\r\n"), commands: [[]]),
    ParserVector(
        name: "empty multibulk between commands", input: bytes("*0\r\n*1\r\n$4\r\nPING\r\n*-1\r\nPING\r\n"),
        commands: [[], cmd("PING"), [], cmd("PING")]),
    ParserVector(
        name: "bytes after bulk data are skipped unchecked, as Redis does",
        input: bytes("*1\r\n$3\r\nfooXY*1\r\n$1\r\nx\r\n"), commands: [cmd("foo"), cmd("x")]),
    ParserVector(
        name: "a CR not followed by LF still ends a length line, as in Redis",
        input: bytes("*1\rX$1\rXa\r\n"), commands: [cmd("a")]),
    ParserVector(
        name: "incomplete command stays in the buffer",
        input: bytes("*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\n"), commands: [cmd("PING")],
        leftover: bytes("*2\r\n$3\r\nGET\r\n$1\r\n")),
    ParserVector(
        name: "incomplete bulk data stays in the buffer", input: bytes("*1\r\n$5\r\nhel"), commands: [],
        leftover: bytes("*1\r\n$5\r\nhel")),
    ParserVector(
        name: "bulk data without its trailing two bytes waits", input: bytes("*1\r\n$5\r\nhello\r"), commands: [],
        leftover: bytes("*1\r\n$5\r\nhello\r")),
    ParserVector(
        name: "count line without the byte after CR waits", input: bytes("*1\r"), commands: [],
        leftover: bytes("*1\r")),
    ParserVector(
        name: "NUL in a count line hides the CR (Redis's strchr)", input: bytes("*1\u{0}\r\n$1\r\na\r\n"), commands: [],
        leftover: bytes("*1\u{0}\r\n$1\r\na\r\n")),
    ParserVector(
        name: "bulk length at the limit is accepted", input: bytes("*1\r\n$10\r\n0123456789\r\n"),
        commands: [cmd("0123456789")], limits: .small(maxBulkLength: 10)),
    ParserVector(
        name: "count at the limit is accepted", input: bytes("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"),
        commands: [cmd("a", "b", "c")], limits: .small(maxMultibulkLength: 3)),
    ParserVector(
        name: "count of 10 is allowed before AUTH",
        input: bytes("*10\r\n" + String(repeating: "$1\r\nx\r\n", count: 10)),
        commands: [Array(repeating: bytes("x"), count: 10)], requiresAuthentication: true),

    // Inline.
    ParserVector(name: "inline PING", input: bytes("PING\r\n"), commands: [cmd("PING")]),
    ParserVector(name: "inline with bare LF", input: bytes("GET key\n"), commands: [cmd("GET", "key")]),
    ParserVector(
        name: "inline with quotes", input: bytes("set \"a b\" 'c d'\r\n"), commands: [cmd("set", "a b", "c d")]),
    ParserVector(
        name: "inline with escapes", input: bytes("ECHO \"\\x41\\n\\x00\" 'it\\'s'\r\n"),
        commands: [[bytes("ECHO"), [0x41, 0x0A, 0x00], bytes("it's")]]),
    ParserVector(
        name: "empty inline lines", input: bytes("\r\n\n  \t \r\nPING\n"), commands: [[], [], [], cmd("PING")]),
    ParserVector(name: "lone CR in an inline line separates", input: bytes("a\rb\r\n"), commands: [cmd("a", "b")]),
    ParserVector(
        name: "inline and multibulk mixed",
        input: bytes("PING\r\n*2\r\n$4\r\nECHO\r\n$3\r\na b\r\nECHO \"x y\"\n*0\r\n"),
        commands: [cmd("PING"), cmd("ECHO", "a b"), cmd("ECHO", "x y"), []]),
    ParserVector(
        name: "incomplete inline line waits", input: bytes("PING\r\nGET ke"), commands: [cmd("PING")],
        leftover: bytes("GET ke")),
    ParserVector(
        name: "NUL in an inline line hides its newline (Redis's strchr)", input: bytes("GET\u{0}x\r\n"), commands: [],
        leftover: bytes("GET\u{0}x\r\n")),

    // Errors.
    ParserVector(
        name: "non-numeric count", input: bytes("*abc\r\n"), commands: [], error: "invalid multibulk length"),
    ParserVector(
        name: "count with a leading zero", input: bytes("*01\r\n$1\r\na\r\n"), commands: [],
        error: "invalid multibulk length"),
    ParserVector(name: "count -0", input: bytes("*-0\r\n"), commands: [], error: "invalid multibulk length"),
    ParserVector(name: "count +1", input: bytes("*+1\r\n"), commands: [], error: "invalid multibulk length"),
    ParserVector(name: "empty count", input: bytes("*\r\n"), commands: [], error: "invalid multibulk length"),
    ParserVector(
        name: "count above INT_MAX", input: bytes("*2147483648\r\n"), commands: [], error: "invalid multibulk length"),
    ParserVector(
        name: "count 3000000000", input: bytes("*3000000000\r\n"), commands: [], error: "invalid multibulk length"),
    ParserVector(
        name: "count overflowing int64", input: bytes("*99999999999999999999\r\n"), commands: [],
        error: "invalid multibulk length"),
    ParserVector(
        name: "count above a custom limit", input: bytes("*4\r\n"), commands: [], error: "invalid multibulk length",
        limits: .small(maxMultibulkLength: 3)),
    ParserVector(
        name: "error after good commands", input: bytes("PING\r\n*1\r\n$4\r\nPING\r\n*x\r\n*1\r\n$4\r\nPING\r\n"),
        commands: [cmd("PING"), cmd("PING")], error: "invalid multibulk length"),
    ParserVector(
        name: "argument not starting with $", input: bytes("*1\r\nx\r\n"), commands: [],
        error: "expected '$', got 'x'"),
    ParserVector(
        name: "second argument not starting with $", input: bytes("*2\r\n$1\r\na\r\n:1\r\n"), commands: [],
        error: "expected '$', got ':'"),
    ParserVector(
        name: "empty argument line shows CR as a space", input: bytes("*1\r\n\r\n"), commands: [],
        error: "expected '$', got ' '"),
    ParserVector(
        name: "argument line starting with LF shows it as a space", input: bytes("*1\r\n\n\r\n"), commands: [],
        error: "expected '$', got ' '"),
    ParserVector(
        name: "negative bulk length", input: bytes("*1\r\n$-1\r\n"), commands: [], error: "invalid bulk length"),
    ParserVector(
        name: "non-numeric bulk length", input: bytes("*1\r\n$abc\r\n"), commands: [], error: "invalid bulk length"),
    ParserVector(name: "empty bulk length", input: bytes("*1\r\n$\r\n"), commands: [], error: "invalid bulk length"),
    ParserVector(
        name: "bulk length with a leading zero", input: bytes("*1\r\n$01\r\na\r\n"), commands: [],
        error: "invalid bulk length"),
    ParserVector(
        name: "bulk length above 512MB", input: bytes("*1\r\n$536870913\r\n"), commands: [],
        error: "invalid bulk length"),
    ParserVector(
        name: "bulk length above a custom limit", input: bytes("*1\r\n$11\r\n01234567890\r\n"), commands: [],
        error: "invalid bulk length", limits: .small(maxBulkLength: 10)),
    ParserVector(
        name: "unbalanced double quote", input: bytes("set \"a b\r\n"), commands: [],
        error: "unbalanced quotes in request"),
    ParserVector(
        name: "closing quote followed by a letter", input: bytes("PING\r\n\"abc\"def\r\n"), commands: [cmd("PING")],
        error: "unbalanced quotes in request"),
    ParserVector(
        name: "unbalanced single quote", input: bytes("'abc\n"), commands: [], error: "unbalanced quotes in request"),
    ParserVector(
        name: "inline line over the limit", input: bytes(String(repeating: "a", count: 20)), commands: [],
        error: "too big inline request", limits: .small(maxInlineLength: 16)),
    ParserVector(
        name: "inline line with NUL over the limit",
        input: bytes("GET\u{0}" + String(repeating: "a", count: 16) + "\n"),
        commands: [], error: "too big inline request", limits: .small(maxInlineLength: 16)),
    ParserVector(
        name: "count line over the limit", input: bytes("*" + String(repeating: "1", count: 20)), commands: [],
        error: "too big mbulk count string", limits: .small(maxInlineLength: 16)),
    ParserVector(
        name: "bulk length line over the limit", input: bytes("*1\r\n$" + String(repeating: "1", count: 20)),
        commands: [], error: "too big bulk count string", limits: .small(maxInlineLength: 16)),
    ParserVector(
        name: "count above 10 before AUTH", input: bytes("*11\r\n"), commands: [],
        error: "unauthenticated multibulk length", requiresAuthentication: true),
    ParserVector(
        name: "bulk above 16384 before AUTH", input: bytes("*2\r\n$4\r\nAUTH\r\n$16385\r\n"), commands: [],
        error: "unauthenticated bulk length", requiresAuthentication: true),
]

@Suite("RESPCommandParser")
struct RESPCommandParserTests {
    @Test("every split of the input gives the same outcome", arguments: parserCorpus)
    func everySplitGivesTheSameOutcome(_ vector: ParserVector) {
        var expected = ParseOutcome(commands: vector.commands, leftover: vector.leftover)
        if let message = vector.error {
            expected.error = RESPError(Self.code(for: message), message)
        }
        for (label, var outcome) in everySplit(
            vector.input, limits: vector.limits, requiresAuthentication: vector.requiresAuthentication)
        {
            // After an error the connection closes; what was left unread then depends on the reads.
            if outcome.error != nil { outcome.leftover = [] }
            #expect(outcome == expected, "\(label)")
            if outcome != expected { break }
        }
    }

    private static func code(for message: String) -> RESPError.Code {
        switch message {
        case "too big inline request": .tooBigInlineRequest
        case "unbalanced quotes in request": .unbalancedQuotes
        case "too big mbulk count string": .tooBigMultibulkCount
        case "invalid multibulk length": .invalidMultibulkLength
        case "unauthenticated multibulk length": .unauthenticatedMultibulkLength
        case "too big bulk count string": .tooBigBulkCount
        case "invalid bulk length": .invalidBulkLength
        case "unauthenticated bulk length": .unauthenticatedBulkLength
        default: .expectedDollar
        }
    }

    @Test("the whole corpus concatenated parses the same in every split")
    func concatenatedCorpus() {
        let good = parserCorpus.filter {
            $0.error == nil && $0.leftover.isEmpty && $0.limits == .redisDefaults && !$0.requiresAuthentication
        }
        let input = good.flatMap(\.input)
        let expected = ParseOutcome(commands: good.flatMap(\.commands))
        #expect(input.count > 300)
        for (label, outcome) in everySplit(input) {
            #expect(outcome == expected, "\(label)")
            if outcome != expected { break }
        }
    }

    @Test("inline lines split in place give what RESPInlineSplitter gives (sdssplitargs)")
    func inlineFastPathMatchesTheSplitter() {
        // Plain lines are split as slices of the query buffer; lines with quotes, escapes, vertical
        // tabs or form feeds go through the splitter. Both must agree with it on every line.
        let alphabet: [UInt8] = Array("ab \t\r\u{0B}\u{0C}\"'\\x".utf8)
        var generator = SeededRandomNumberGenerator(seed: 0x1A11E)
        for _ in 0..<3000 {
            let length = Int.random(in: 0...12, using: &generator)
            let line = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            let outcome = feed([(line + [0x0A])[...]])
            if let expected = RESPInlineSplitter.split(line) {
                #expect(outcome == ParseOutcome(commands: [expected]), "\(line)")
            } else {
                #expect(outcome.error?.code == .unbalancedQuotes, "\(line)")
            }
        }
    }

    @Test("a recycled argument array is reused, and a command kept elsewhere keeps its own")
    func recycledArgumentsStayIntact() throws {
        var parser = RESPCommandParser()
        var buffer = ByteBuffer(
            string: "*2\r\n$3\r\nGET\r\n$1\r\na\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\nc\r\nPING x\r\n")
        var first = try #require(try parser.next(buffer))
        buffer.moveReaderIndex(to: first.end)
        let kept = first.command  // a command stored elsewhere (as MULTI queues them) shares the array
        parser.recycle(&first.command)
        var second = try #require(try parser.next(buffer))
        buffer.moveReaderIndex(to: second.end)
        #expect((0..<kept.count).map { kept.string($0) } == ["GET", "a"])
        #expect((0..<second.command.count).map { second.command.string($0) } == ["SET", "b", "c"])
        parser.recycle(&second.command)
        let third = try #require(try parser.next(buffer))
        #expect((0..<third.command.count).map { third.command.string($0) } == ["PING", "x"])
        #expect((0..<kept.count).map { kept.string($0) } == ["GET", "a"])
    }

    @Test("a command's arguments survive the query buffer being compacted, cleared and rewritten")
    func argumentsOutliveQueryBufferChanges() throws {
        var parser = RESPCommandParser()
        var query = ByteBuffer(string: "*2\r\n$3\r\nGET\r\n$5\r\nhello\r\nECHO  inline\r\n")
        let first = try #require(try parser.next(query))
        query.moveReaderIndex(to: first.end)
        let second = try #require(try parser.next(query))
        query.moveReaderIndex(to: second.end)
        query.discardReadBytes()
        query.clear()
        query.writeString(String(repeating: "x", count: 4096))  // would overwrite the old bytes in place
        for (command, expected) in [(first.command, ["GET", "hello"]), (second.command, ["ECHO", "inline"])] {
            #expect(
                (0..<command.count).map { i in command.withBytes(i) { String(decoding: $0, as: UTF8.self) } }
                    == expected)
            #expect(command.equalsCaseInsensitive(0, expected[0] == "GET" ? "get" : "echo"))
        }
    }

    @Test("an inline request of 64KB without a newline waits, one byte more is refused")
    func inlineLimitAtRedisDefault() {
        let atLimit = [UInt8](repeating: UInt8(ascii: "a"), count: 64 * 1024)
        #expect(feed([atLimit[...]]) == ParseOutcome(leftover: atLimit))
        let over = feed([atLimit[...], [UInt8(ascii: "a")][...]])
        #expect(over.error?.message == "too big inline request")
        #expect(over.error?.code == .tooBigInlineRequest)
        #expect(over.error?.redisReply == "-ERR Protocol error: too big inline request\r\n")
    }

    @Test("a line over the inline limit is taken when its newline came in the same read, as in Redis")
    func limitIsCheckedOnlyWithoutNewline() {
        let limits = RESPLimits.small(maxInlineLength: 2)
        #expect(feed([bytes("PING\r\n")[...]], limits: limits) == ParseOutcome(commands: [cmd("PING")]))
        #expect(feed([bytes("PIN")[...], bytes("G\r\n")[...]], limits: limits).error?.code == .tooBigInlineRequest)
        let count = bytes("*-1\r\n")
        #expect(feed([count[...]], limits: limits) == ParseOutcome(commands: [[]]))
        #expect(feed([count[..<3], count[3...]], limits: limits).error?.code == .tooBigMultibulkCount)
        let bulk = bytes("*1\r\n$10\r\n0123456789\r\n")
        #expect(feed([bulk[...]], limits: limits) == ParseOutcome(commands: [cmd("0123456789")]))
        #expect(feed([bulk[..<7], bulk[7...]], limits: limits).error?.code == .tooBigBulkCount)
    }

    @Test("a long count or bulk length line is refused past 64KB")
    func lengthLineLimitsAtRedisDefault() {
        // Redis counts from the `*` / `$`: 65536 bytes without a CR wait, 65537 are refused.
        let count = bytes("*") + [UInt8](repeating: UInt8(ascii: "1"), count: 64 * 1024 - 1)
        #expect(feed([count[...]]).error == nil)
        #expect(feed([count[...], bytes("1")[...]]).error?.message == "too big mbulk count string")
        let bulk = bytes("*1\r\n$") + [UInt8](repeating: UInt8(ascii: "1"), count: 64 * 1024 - 1)
        #expect(feed([bulk[...]]).error == nil)
        #expect(feed([bulk[...], bytes("1")[...]]).error?.message == "too big bulk count string")
    }

    @Test("a 512MB bulk is accepted by its header and then awaited")
    func maximumBulkLengthWaits() throws {
        var parser = RESPCommandParser()
        let buffer = ByteBuffer(string: "*1\r\n$536870912\r\nabc")
        #expect(try parser.next(buffer) == nil)
        #expect(parser.isInsideCommand)
    }

    @Test("an unlimited bulk length does not overflow on a huge header")
    func hugeBulkLengthWithoutLimit() throws {
        var parser = RESPCommandParser(limits: .small(maxBulkLength: Int.max))
        #expect(try parser.next(ByteBuffer(string: "*1\r\n$9223372036854775807\r\nabc")) == nil)
        #expect(parser.isInsideCommand)
    }

    @Test("an INT_MAX count is accepted and awaited without allocating for it")
    func maximumCountWaits() throws {
        var parser = RESPCommandParser()
        #expect(try parser.next(ByteBuffer(string: "*2147483647\r\n$1\r\na\r\n")) == nil)
        #expect(parser.isInsideCommand)
    }

    @Test("a 16384-byte bulk is allowed before AUTH")
    func unauthenticatedBulkAtLimit() throws {
        var parser = RESPCommandParser()
        parser.requiresAuthentication = true
        var input = ByteBuffer(string: "*2\r\n$4\r\nAUTH\r\n$16384\r\n")
        input.writeRepeatingByte(UInt8(ascii: "p"), count: 16384)
        input.writeString("\r\n")
        let parsed = try #require(try parser.next(input))
        #expect(parsed.command.count == 2)
        #expect(parsed.command.bytes(1) == [UInt8](repeating: UInt8(ascii: "p"), count: 16384))
        #expect(parsed.end == input.writerIndex)
    }

    @Test("authentication can be lifted between commands")
    func authenticationLifted() throws {
        var parser = RESPCommandParser()
        parser.requiresAuthentication = true
        let input = ByteBuffer(string: "*11\r\n")
        #expect(throws: RESPError(.unauthenticatedMultibulkLength, "unauthenticated multibulk length")) {
            try parser.next(input)
        }
        parser.reset()
        parser.requiresAuthentication = false
        #expect(try parser.next(input) == nil)
        #expect(parser.isInsideCommand)
    }

    @Test("reset forgets a partial command")
    func resetForgetsPartialCommand() throws {
        var parser = RESPCommandParser()
        #expect(try parser.next(ByteBuffer(string: "*2\r\n$1\r\na\r\n")) == nil)
        #expect(parser.isInsideCommand)
        parser.reset()
        #expect(!parser.isInsideCommand)
        let parsed = try #require(try parser.next(ByteBuffer(string: "PING\r\n")))
        #expect(parsed.command.string(0) == "PING")
    }

    @Test("multibulk arguments are slices of the query buffer at absolute positions")
    func argumentsPointIntoTheQueryBuffer() throws {
        var parser = RESPCommandParser()
        var buffer = ByteBuffer(string: "xxxx*2\r\n$3\r\nGET\r\n$3\r\nkey\r\nrest")
        buffer.moveReaderIndex(forwardBy: 4)
        let parsed = try #require(try parser.next(buffer))
        #expect(parsed.command.ranges == [12..<15, 21..<24])
        #expect(parsed.end == 26)
        #expect(parsed.command.string(0) == "GET")
        #expect(parsed.command.slice(1) == ByteBuffer(string: "key"))
        #expect(parsed.command.equalsCaseInsensitive(0, "get"))
        #expect(!parsed.command.equalsCaseInsensitive(1, "get"))
        #expect(parsed.command.withBytes(1) { Array($0) } == bytes("key"))
    }

    @Test("RESPCommand reads integer arguments with string2ll rules")
    func commandInt64() {
        let command = RESPCommand(arguments: [bytes("INCRBY"), bytes("-42"), bytes("042"), bytes("")])
        #expect(command.int64(1) == -42)
        #expect(command.int64(2) == nil)
        #expect(command.int64(3) == nil)
    }

    @Test(
        "redisReply is Redis's exact reply",
        arguments: [
            ("invalid multibulk length", "-ERR Protocol error: invalid multibulk length\r\n"),
            ("expected '$', got 'x'", "-ERR Protocol error: expected '$', got 'x'\r\n"),
            ("unbalanced quotes in request", "-ERR Protocol error: unbalanced quotes in request\r\n"),
        ])
    func redisReply(_ message: String, _ reply: String) {
        #expect(RESPError(.invalidMultibulkLength, message).redisReply == reply)
    }
}
