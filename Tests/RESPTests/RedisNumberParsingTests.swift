import RESP
import Testing

@Suite("RedisNumberParsing")
struct RedisNumberParsingTests {
    @Test(
        "parseInt64 follows string2ll",
        arguments: [
            ("0", 0),
            ("1", 1),
            ("-1", -1),
            ("10", 10),
            ("-10", -10),
            ("123456789", 123_456_789),
            ("9223372036854775807", Int64.max),
            ("-9223372036854775808", Int64.min),
            ("9223372036854775808", nil),
            ("-9223372036854775809", nil),
            ("18446744073709551615", nil),
            ("18446744073709551616", nil),
            ("99999999999999999999999", nil),
            ("-0", nil),
            ("00", nil),
            ("01", nil),
            ("-01", nil),
            ("+1", nil),
            ("", nil),
            ("-", nil),
            ("--1", nil),
            (" 1", nil),
            ("1 ", nil),
            ("1a", nil),
            ("a", nil),
            ("1.0", nil),
            ("1\u{0}", nil),
        ] as [(String, Int64?)])
    func parseInt64(_ text: String, _ expected: Int64?) {
        #expect(RedisNumberParsing.parseInt64(Array(text.utf8)) == expected)
        #expect(RedisNumberParsing.parseInt64(text.utf8) == expected)
    }
}
