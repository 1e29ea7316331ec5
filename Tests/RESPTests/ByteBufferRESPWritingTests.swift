import NIOCore
import RESP
import TestSupport
import Testing

private func written(_ body: (inout ByteBuffer) -> Void) -> String {
    var buffer = ByteBuffer()
    body(&buffer)
    return String(buffer: buffer)
}

@Suite("ByteBuffer RESP writing")
struct ByteBufferRESPWritingTests {
    @Test(
        "writeDecimal",
        arguments: [
            (0, "0"), (1, "1"), (9, "9"), (10, "10"), (-1, "-1"), (-9, "-9"), (-10, "-10"), (99, "99"),
            (100, "100"), (12345, "12345"), (-12345, "-12345"), (Int64.max, "9223372036854775807"),
            (Int64.min, "-9223372036854775808"), (Int64.min + 1, "-9223372036854775807"),
        ] as [(Int64, String)])
    func writeDecimal(_ value: Int64, _ text: String) {
        #expect(written { $0.writeDecimal(value) } == text)
        #expect(written { $0.writeRESPInteger(value) } == ":\(text)\r\n")
        #expect(written { $0.writeRESPBulkString(decimal: value) } == "$\(text.utf8.count)\r\n\(text)\r\n")
    }

    @Test("writeDecimal agrees with String(_:) on random values and appends at the writer index")
    func writeDecimalRandom() {
        var rng = SeededRandomNumberGenerator(seed: 42)
        var buffer = ByteBuffer(string: "x")
        var expected = "x"
        for _ in 0..<2000 {
            // Spread over magnitudes, not just huge numbers.
            let value = Int64(bitPattern: rng.next()) >> Int64.random(in: 0...63, using: &rng)
            buffer.writeDecimal(value)
            buffer.writeString(",")
            expected += "\(value),"
        }
        #expect(String(buffer: buffer) == expected)
    }

    @Test("writeRESPInteger(Int)")
    func writeIntegerInt() {
        #expect(written { $0.writeRESPInteger(-42 as Int) } == ":-42\r\n")
        #expect(written { $0.writeRESPInteger(Int.max) } == ":9223372036854775807\r\n")
    }

    @Test("nulls in RESP2 and RESP3")
    func nulls() {
        #expect(written { $0.writeRESPNull(.resp2) } == "$-1\r\n")
        #expect(written { $0.writeRESPNull(.resp3) } == "_\r\n")
        #expect(written { $0.writeRESPNullArray(.resp2) } == "*-1\r\n")
        #expect(written { $0.writeRESPNullArray(.resp3) } == "_\r\n")
    }

    @Test("aggregate headers in RESP2 and RESP3")
    func headers() {
        #expect(written { $0.writeRESPArrayHeader(0) } == "*0\r\n")
        #expect(written { $0.writeRESPArrayHeader(12) } == "*12\r\n")
        #expect(written { $0.writeRESPMapHeader(3, .resp3) } == "%3\r\n")
        #expect(written { $0.writeRESPMapHeader(3, .resp2) } == "*6\r\n")
        #expect(written { $0.writeRESPMapHeader(0, .resp2) } == "*0\r\n")
        #expect(written { $0.writeRESPSetHeader(2, .resp3) } == "~2\r\n")
        #expect(written { $0.writeRESPSetHeader(2, .resp2) } == "*2\r\n")
        #expect(written { $0.writeRESPPushHeader(3, .resp3) } == ">3\r\n")
        #expect(written { $0.writeRESPPushHeader(3, .resp2) } == "*3\r\n")
    }

    @Test("booleans in RESP2 and RESP3")
    func booleans() {
        #expect(written { $0.writeRESPBoolean(true, .resp3) } == "#t\r\n")
        #expect(written { $0.writeRESPBoolean(false, .resp3) } == "#f\r\n")
        #expect(written { $0.writeRESPBoolean(true, .resp2) } == ":1\r\n")
        #expect(written { $0.writeRESPBoolean(false, .resp2) } == ":0\r\n")
    }

    @Test(
        "doubles as Redis 7.0 writes them (%.17g)",
        arguments: [
            (1.5, "1.5"), (0.1, "0.10000000000000001"), (-2.5, "-2.5"), (0, "0"), (-0.0, "-0"), (3, "3"),
            (100, "100"), (1e16, "10000000000000000"), (1e17, "1e+17"),
            (123_456_789_012_345_680, "1.2345678901234568e+17"), (1.0 / 3.0, "0.33333333333333331"),
            (2.5e-5, "2.5000000000000001e-05"), (1e300, "1.0000000000000001e+300"), (.infinity, "inf"),
            (-.infinity, "-inf"),
        ] as [(Double, String)])
    func doubles(_ value: Double, _ text: String) {
        #expect(RESPDoubleFormatting.redisString(value) == text)
        #expect(written { $0.writeRESPDouble(value, .resp3) } == ",\(text)\r\n")
        #expect(written { $0.writeRESPDouble(value, .resp2) } == "$\(text.utf8.count)\r\n\(text)\r\n")
    }

    @Test("nan is written as nan")
    func nan() {
        #expect(RESPDoubleFormatting.redisString(.nan) == "nan")
    }

    @Test(
        "errors have CR and LF replaced by spaces",
        arguments: [
            ("ERR unknown command", "-ERR unknown command\r\n"),
            ("ERR a\r\nb", "-ERR a  b\r\n"),
            ("ERR x\ny\rz", "-ERR x y z\r\n"),
            ("WRONGTYPE é", "-WRONGTYPE é\r\n"),
            ("", "-\r\n"),
        ])
    func errors(_ message: String, _ wire: String) {
        #expect(written { $0.writeRESPError(message) } == wire)
    }

    @Test("simple and bulk strings")
    func strings() {
        #expect(written { $0.writeRESPOK() } == "+OK\r\n")
        #expect(written { $0.writeRESPSimpleString("PONG") } == "+PONG\r\n")
        #expect(written { $0.writeRESPSimpleString(bytes: bytes("QUEUED")) } == "+QUEUED\r\n")
        #expect(written { $0.writeRESPBulkString("") } == "$0\r\n\r\n")
        #expect(written { $0.writeRESPBulkString("é") } == "$2\r\né\r\n")
        #expect(written { $0.writeRESPBulkString(bytes: bytes("a\r\nb")) } == "$4\r\na\r\nb\r\n")
        var slice = ByteBuffer(string: "xxvalue")
        slice.moveReaderIndex(forwardBy: 2)
        #expect(written { $0.writeRESPBulkString(buffer: slice) } == "$5\r\nvalue\r\n")
    }

    @Test("verbatim strings in RESP2 and RESP3")
    func verbatim() {
        #expect(written { $0.writeRESPVerbatimString(format: "txt", "hi", .resp3) } == "=6\r\ntxt:hi\r\n")
        #expect(written { $0.writeRESPVerbatimString(format: "txt", "é", .resp3) } == "=6\r\ntxt:é\r\n")
        #expect(written { $0.writeRESPVerbatimString(format: "txt", "hi", .resp2) } == "$2\r\nhi\r\n")
    }

    @Test("a client command is an array of bulk strings")
    func command() {
        #expect(String(buffer: RESPValue.command(["SET", "k", "é"])) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n")
        #expect(String(buffer: RESPValue.command([])) == "*0\r\n")
    }

    @Test("RESPValue conveniences")
    func conveniences() {
        #expect(RESPValue.bulk("a") == .bulkString(ByteBuffer(string: "a")))
        #expect(RESPValue.simple("OK").string == "OK")
        #expect(RESPValue.error("ERR x").string == "ERR x")
        #expect(RESPValue.verbatimString(format: ByteBuffer(string: "txt"), ByteBuffer(string: "v")).string == "v")
        #expect(RESPValue.integer(1).string == nil)
    }
}
