import Testing

@testable import BrokerStorage

@Suite("StringValue encodings")
struct StringValueTests {
    @Test(
        "SET's encoding choice follows Redis's tryObjectEncoding",
        arguments: [
            ("0", StringValue.Encoding.int), ("123", .int), ("-1", .int),
            ("9223372036854775807", .int), ("-9223372036854775808", .int),
            ("9223372036854775808", .embstr), ("-9223372036854775809", .embstr),
            ("-0", .embstr), ("01", .embstr), ("+1", .embstr), (" 1", .embstr), ("1 ", .embstr),
            ("", .embstr), ("-", .embstr), ("abc", .embstr),
            (String(repeating: "x", count: 22), .embstr), (String(repeating: "x", count: 23), .embstr),
            (String(repeating: "x", count: 44), .embstr), (String(repeating: "x", count: 45), .raw),
        ])
    func encoding(text: String, encoding: StringValue.Encoding) {
        let value = StringValue(bytes(text))
        #expect(value.encoding == encoding)
        #expect(value.bytes == bytes(text))
        #expect(value.count == text.utf8.count)
    }

    @Test("integers format back to their canonical bytes")
    func integers() {
        for n: Int64 in [0, 7, -7, 10, 99, 100, -100, .max, .min] {
            let value = StringValue(integer: n)
            #expect(value.encoding == .int)
            #expect(value.integerValue == n)
            #expect(value.bytes == bytes(String(n)))
            #expect(value.count == String(n).utf8.count)
            #expect(value == StringValue(bytes(String(n))))
        }
    }

    @Test("modified strings stay raw at any length, equality ignores encoding")
    func raw() {
        let short = StringValue(rawBytes: bytes("ab"))
        #expect(short.encoding == .raw)
        #expect(short.bytes == bytes("ab"))
        #expect(short == StringValue(bytes("ab")))
        let long = StringValue(rawBytes: [UInt8](repeating: 1, count: 30))
        #expect(long.encoding == .raw)
        #expect(long.count == 30)
        #expect(StringValue(rawBytes: bytes("12")) == StringValue(integer: 12))
        #expect(StringValue(bytes("a")) != StringValue(bytes("b")))
    }
}
