import Testing

@testable import Broker

/// `string2ld` / `ld2string` behaviour, with expected texts taken from redis-server 7.0.15's
/// `INCRBYFLOAT` replies on x86-64.
@Suite struct RedisLongDoubleTests {
    @Test(arguments: [
        ("10.5", "0.1", "10.6"),
        ("5.0e3", "2.0e-1", "5000.20000000000000018"),
        ("0", "-0", "0"),
        ("1", "-1", "0"),
        ("3", "1.5", "4.5"),
        ("-1.5", "0", "-1.5"),
        ("1e10", "1", "10000000001"),
    ])
    func incrementLikeRedis(_ start: String, _ increment: String, _ expected: String) throws {
        let a = try #require(RedisLongDouble.parse(Array(start.utf8)))
        let b = try #require(RedisLongDouble.parse(Array(increment.utf8)))
        #expect(RedisLongDouble.format(a + b, humanFriendly: true) == expected)
    }

    @Test(arguments: ["", " 1", "\t1", "1 ", "abc", "nan", "1e99999", "0x", "1.5.5"])
    func refusesWhatRedisRefuses(_ text: String) {
        #expect(RedisLongDouble.parse(Array(text.utf8)) == nil)
    }

    @Test func acceptsWhatStrtoldAccepts() {
        #expect(RedisLongDouble.parse(Array("inf".utf8)) == .infinity)
        #expect(RedisLongDouble.parse(Array("0x10".utf8)) == 16)
        #expect(RedisLongDouble.parse(Array("+2.5".utf8)) == 2.5)
        // strtold stops at a NUL, but Redis also checks that the whole text was read
        // (`eptr - buf != slen`), so INCRBYFLOAT refuses "7\0x" (the differential corpus shows it).
        #expect(RedisLongDouble.parse([UInt8(ascii: "7"), 0, UInt8(ascii: "x")]) == nil)
    }

    @Test func formatsSpecialValues() {
        #expect(RedisLongDouble.format(.infinity, humanFriendly: true) == "inf")
        #expect(RedisLongDouble.format(-.infinity, humanFriendly: false) == "-inf")
        #expect(RedisLongDouble.format(-0.0, humanFriendly: true) == "0")
        #expect(RedisLongDouble.format(3000, humanFriendly: false) == "3000")
        #expect(RedisLongDouble.format(0.1, humanFriendly: false) == "0.1")
        #expect(RedisLongDouble.format(Float80(1) / 3, humanFriendly: false) == "0.33333333333333333")
        #expect(RedisLongDouble.format(Float80(1) / 3, humanFriendly: true) == "0.33333333333333333")
    }
}
