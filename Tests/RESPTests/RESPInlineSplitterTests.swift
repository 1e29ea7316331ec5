import RESP
import Testing

/// A line and the arguments `sdssplitargs` makes of it (`nil`: unbalanced quotes).
struct SplitVector: Sendable, CustomTestStringConvertible {
    var line: [UInt8]
    var arguments: [[UInt8]]?

    init(_ line: String, _ arguments: [String]?) {
        self.line = bytes(line)
        self.arguments = arguments.map { $0.map(bytes) }
    }

    init(_ line: [UInt8], bytes arguments: [[UInt8]]?) {
        self.line = line
        self.arguments = arguments
    }

    var testDescription: String { "\"\(escaped(line))\"" }
}

private let splitVectors: [SplitVector] = [
    SplitVector("set \"a b\" 'c d'", ["set", "a b", "c d"]),
    SplitVector(#""\x41\n""#, ["A\n"]),
    SplitVector(#"'it\'s'"#, ["it's"]),
    SplitVector(#""abc"def"#, nil),
    SplitVector("'abc'def", nil),
    SplitVector("\"unterminated", nil),
    SplitVector("'unterminated", nil),
    SplitVector("  leading and trailing  ", ["leading", "and", "trailing"]),
    SplitVector("a\tb\t\tc", ["a", "b", "c"]),
    SplitVector("\u{0B}\u{0C}a", ["a"]),  // leading \v and \f are blanks (isspace)…
    SplitVector("a\u{0B}b", ["a\u{0B}b"]),  // …but do not end an unquoted token
    SplitVector("foo\"bar baz\"", ["foobar baz"]),
    SplitVector("foo'bar baz'", ["foobar baz"]),
    SplitVector("\"\"", [""]),
    SplitVector("\"\" ''", ["", ""]),
    SplitVector("", []),
    SplitVector("   \t ", []),
    SplitVector("a\u{0}b c", ["a"]),  // NUL ends parsing outside quotes
    SplitVector("a \u{0}b", ["a"]),
    SplitVector("\"a\u{0}b\"", nil),  // NUL inside quotes leaves them unterminated
    SplitVector(#""a\"b""#, ["a\"b"]),
    SplitVector(#""\\""#, ["\\"]),
    SplitVector(#""\t\r\n\b\a\q""#, ["\t\r\n\u{08}\u{07}q"]),
    SplitVector(#""\x4g""#, ["x4g"]),  // not two hex digits: `\x` is just `x`
    SplitVector(#""\xZZ""#, ["xZZ"]),
    SplitVector(#""\x""#, ["x"]),
    SplitVector(#"'a\nb'"#, ["a\\nb"]),  // single quotes unescape only \'
    SplitVector(#"'a\\b'"#, ["a\\\\b"]),
    SplitVector("\"x\"\t\"y\"", ["x", "y"]),
    SplitVector("\"x\"\u{0B}", ["x"]),  // closing quote followed by \v (isspace) is fine
    SplitVector("\"abc\\", nil),  // a trailing backslash inside quotes is kept, quote still open
    SplitVector("a\rb", ["a", "b"]),
    SplitVector("a\nb", ["a", "b"]),
    SplitVector([UInt8]("\"\\xff\\x00\\xAb\"".utf8), bytes: [[0xFF, 0x00, 0xAB]]),
    SplitVector([0xC3, 0xA9, 0x20, 0xFF], bytes: [[0xC3, 0xA9], [0xFF]]),
]

@Suite("RESPInlineSplitter")
struct RESPInlineSplitterTests {
    @Test("splits like sdssplitargs", arguments: splitVectors)
    func split(_ vector: SplitVector) {
        #expect(RESPInlineSplitter.split(vector.line) == vector.arguments)
    }

    @Test("works on a slice that does not start at index 0")
    func sliceWithOffset() {
        let line = bytes("xxset \"a b\" c")
        #expect(RESPInlineSplitter.split(line[2...]) == [bytes("set"), bytes("a b"), bytes("c")])
        #expect(RESPInlineSplitter.split(line[2..<7]) == nil)  // `set "a` ends inside quotes
    }
}
