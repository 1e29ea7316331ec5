import MessagePack
import NIOCore
import Testing

/// A value and the exact bytes the writer must produce for it (and the reader accept).
struct FormatVector: Sendable, CustomTestStringConvertible {
    var name: String
    var value: MessagePackValue
    var bytes: [UInt8]

    init(_ name: String, _ value: MessagePackValue, _ hexBytes: String) {
        self.name = name
        self.value = value
        self.bytes = hex(hexBytes)
    }

    init(_ name: String, _ value: MessagePackValue, bytes: [UInt8]) {
        self.name = name
        self.value = value
        self.bytes = bytes
    }

    var testDescription: String { "\(name): \(shortHex(bytes))" }
}

private func string(length: Int) -> String {
    String(repeating: "x", count: length)
}

private func stringVector(_ length: Int, header: String) -> FormatVector {
    FormatVector(
        "str \(length)", .string(string(length: length)), bytes: hex(header) + [UInt8](repeating: 0x78, count: length))
}

private func binary(length: Int) -> [UInt8] {
    (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7) }
}

private func binaryVector(_ length: Int, header: String) -> FormatVector {
    FormatVector("bin \(length)", .binary(binary(length: length)), bytes: hex(header) + binary(length: length))
}

/// Arrays of fixints `i & 0x7f`, so their bytes are easy to spell.
private func arrayVector(_ count: Int, header: String) -> FormatVector {
    let elements = (0..<count).map { UInt8($0 & 0x7f) }
    return FormatVector("array \(count)", .array(elements.map { .int(Int64($0)) }), bytes: hex(header) + elements)
}

/// The minimal encoding of a small non-negative integer, spelled out by hand.
private func uintBytes(_ value: Int) -> [UInt8] {
    switch value {
    case ..<0x80: [UInt8(value)]
    case ..<0x100: [0xcc, UInt8(value)]
    default: [0xcd, UInt8(value >> 8), UInt8(value & 0xff)]
    }
}

/// Maps of the distinct integer keys `0..<count` to nil.
private func mapVector(_ count: Int, header: String) -> FormatVector {
    FormatVector(
        "map \(count)", .map((0..<count).map { MessagePackMapEntry(key: .int(Int64($0)), value: .nil) }),
        bytes: hex(header) + (0..<count).flatMap { uintBytes($0) + [0xc0] })
}

private func extensionVector(_ length: Int, type: Int8, header: String) -> FormatVector {
    FormatVector(
        "ext \(type) length \(length)", .extension(type: type, data: binary(length: length)),
        bytes: hex(header) + binary(length: length))
}

private func timestamp(_ seconds: Int64, _ nanoseconds: UInt32) -> MessagePackValue {
    .timestamp(try! MessagePackTimestamp(seconds: seconds, nanoseconds: nanoseconds))
}

/// Every format family with its boundary values; the hex of the small ones was cross-checked
/// against msgpack-python 1.0.3.
let formatVectors: [FormatVector] = [
    FormatVector("nil", .nil, "c0"),
    FormatVector("false", false, "c2"),
    FormatVector("true", true, "c3"),
    // Non-negative integers: positive fixint, uint8/16/32/64.
    FormatVector("0", 0, "00"),
    FormatVector("1", 1, "01"),
    FormatVector("127", 127, "7f"),
    FormatVector("128", 128, "cc 80"),
    FormatVector("255", 255, "cc ff"),
    FormatVector("256", 256, "cd 01 00"),
    FormatVector("65535", 65535, "cd ff ff"),
    FormatVector("65536", 65536, "ce 00 01 00 00"),
    FormatVector("2^32-1", .int(4_294_967_295), "ce ff ff ff ff"),
    FormatVector("2^32", .int(4_294_967_296), "cf 00 00 00 01 00 00 00 00"),
    FormatVector("Int64.max", .int(.max), "cf 7f ff ff ff ff ff ff ff"),
    FormatVector("2^63", .uint(1 << 63), "cf 80 00 00 00 00 00 00 00"),
    FormatVector("UInt64.max", .uint(.max), "cf ff ff ff ff ff ff ff ff"),
    // Negative integers: negative fixint, int8/16/32/64.
    FormatVector("-1", -1, "ff"),
    FormatVector("-32", -32, "e0"),
    FormatVector("-33", -33, "d0 df"),
    FormatVector("-128", -128, "d0 80"),
    FormatVector("-129", -129, "d1 ff 7f"),
    FormatVector("-32768", -32768, "d1 80 00"),
    FormatVector("-32769", -32769, "d2 ff ff 7f ff"),
    FormatVector("Int32.min", .int(Int64(Int32.min)), "d2 80 00 00 00"),
    FormatVector("Int32.min-1", .int(Int64(Int32.min) - 1), "d3 ff ff ff ff 7f ff ff ff"),
    FormatVector("Int64.min", .int(.min), "d3 80 00 00 00 00 00 00 00"),
    // Floats.
    FormatVector("float32 1.5", .float(1.5), "ca 3f c0 00 00"),
    FormatVector("float32 0", .float(0), "ca 00 00 00 00"),
    FormatVector("float32 -0", .float(-0.0), "ca 80 00 00 00"),
    FormatVector("float32 inf", .float(.infinity), "ca 7f 80 00 00"),
    FormatVector("float32 max", .float(.greatestFiniteMagnitude), "ca 7f 7f ff ff"),
    FormatVector("float64 1.5", .double(1.5), "cb 3f f8 00 00 00 00 00 00"),
    FormatVector("float64 0.1", .double(0.1), "cb 3f b9 99 99 99 99 99 9a"),
    FormatVector("float64 -2.5", .double(-2.5), "cb c0 04 00 00 00 00 00 00"),
    FormatVector("float64 -inf", .double(-.infinity), "cb ff f0 00 00 00 00 00 00"),
    FormatVector("float64 min subnormal", .double(.leastNonzeroMagnitude), "cb 00 00 00 00 00 00 00 01"),
    // Strings by UTF-8 length.
    stringVector(0, header: "a0"),
    stringVector(1, header: "a1"),
    stringVector(31, header: "bf"),
    stringVector(32, header: "d9 20"),
    stringVector(255, header: "d9 ff"),
    stringVector(256, header: "da 01 00"),
    stringVector(65535, header: "da ff ff"),
    stringVector(65536, header: "db 00 01 00 00"),
    FormatVector("str é", "é", "a2 c3 a9"),
    FormatVector("str 日本語", "日本語", "a9 e6 97 a5 e6 9c ac e8 aa 9e"),
    FormatVector("str emoji", "👋", "a4 f0 9f 91 8b"),
    FormatVector("str NUL", "a\u{0}b", "a3 61 00 62"),
    // Binaries.
    binaryVector(0, header: "c4 00"),
    binaryVector(1, header: "c4 01"),
    binaryVector(255, header: "c4 ff"),
    binaryVector(256, header: "c5 01 00"),
    binaryVector(65535, header: "c5 ff ff"),
    binaryVector(65536, header: "c6 00 01 00 00"),
    // Arrays by count.
    arrayVector(0, header: "90"),
    arrayVector(1, header: "91"),
    arrayVector(15, header: "9f"),
    arrayVector(16, header: "dc 00 10"),
    arrayVector(65535, header: "dc ff ff"),
    arrayVector(65536, header: "dd 00 01 00 00"),
    FormatVector("nested arrays", [[], [[]], [1, [2, [3]]]], "93 90 91 90 92 01 92 02 91 03"),
    // Maps by count.
    mapVector(0, header: "80"),
    mapVector(1, header: "81"),
    mapVector(15, header: "8f"),
    mapVector(16, header: "de 00 10"),
    mapVector(65535, header: "de ff ff"),
    mapVector(65536, header: "df 00 01 00 00"),
    FormatVector(
        "map mixed keys", [1: "one", "two": [2], nil: true, [1]: .binary([0xff])],
        "84 01 a3 6f 6e 65 a3 74 77 6f 91 02 c0 c3 91 01 c4 01 ff"),
    FormatVector("map repeated key", ["a": 1, "a": 2], "82 a1 61 01 a1 61 02"),
    // Extensions: fixext1/2/4/8/16, else ext8/16/32.
    extensionVector(1, type: 5, header: "d4 05"),
    extensionVector(2, type: 5, header: "d5 05"),
    extensionVector(4, type: 5, header: "d6 05"),
    extensionVector(8, type: 5, header: "d7 05"),
    extensionVector(16, type: 5, header: "d8 05"),
    extensionVector(0, type: 5, header: "c7 00 05"),
    extensionVector(3, type: 127, header: "c7 03 7f"),
    extensionVector(17, type: -128, header: "c7 11 80"),
    extensionVector(255, type: 1, header: "c7 ff 01"),
    extensionVector(256, type: 1, header: "c8 01 00 01"),
    extensionVector(65535, type: 1, header: "c8 ff ff 01"),
    extensionVector(65536, type: 1, header: "c9 00 01 00 00 01"),
    extensionVector(4, type: -2, header: "d6 fe"),
    // Timestamps (type -1): 32-bit, 64-bit, 96-bit forms.
    FormatVector("timestamp 0", timestamp(0, 0), "d6 ff 00 00 00 00"),
    FormatVector("timestamp 2^32-1", timestamp(4_294_967_295, 0), "d6 ff ff ff ff ff"),
    FormatVector("timestamp 2^32", timestamp(4_294_967_296, 0), "d7 ff 00 00 00 01 00 00 00 00"),
    FormatVector("timestamp 0.000000001", timestamp(0, 1), "d7 ff 00 00 00 04 00 00 00 00"),
    FormatVector("timestamp 1.000000001", timestamp(1, 1), "d7 ff 00 00 00 04 00 00 00 01"),
    FormatVector("timestamp 2023", timestamp(1_700_000_000, 123_456_789), "d7 ff 1d 6f 34 54 65 53 f1 00"),
    FormatVector("timestamp 2^34-1 max ns", timestamp(17_179_869_183, 999_999_999), "d7 ff ee 6b 27 ff ff ff ff ff"),
    FormatVector("timestamp 2^34", timestamp(17_179_869_184, 0), "c7 0c ff 00 00 00 00 00 00 00 04 00 00 00 00"),
    FormatVector("timestamp -1", timestamp(-1, 0), "c7 0c ff 00 00 00 00 ff ff ff ff ff ff ff ff"),
    FormatVector(
        "timestamp -1 + max ns", timestamp(-1, 999_999_999), "c7 0c ff 3b 9a c9 ff ff ff ff ff ff ff ff ff"),
    FormatVector("timestamp Int64.min", timestamp(.min, 0), "c7 0c ff 00 00 00 00 80 00 00 00 00 00 00 00"),
    FormatVector(
        "timestamp Int64.max", timestamp(.max, 999_999_999), "c7 0c ff 3b 9a c9 ff 7f ff ff ff ff ff ff ff"),
]

@Suite("Format vectors")
struct FormatVectorTests {
    @Test("the writer produces exactly these bytes", arguments: formatVectors)
    func encodes(_ vector: FormatVector) {
        #expect(vector.value.encoded == vector.bytes)
    }

    @Test("the reader decodes these bytes to the value", arguments: formatVectors)
    func decodes(_ vector: FormatVector) throws {
        #expect(try MessagePackValue(decoding: vector.bytes) == vector.value)
    }

    @Test("skipValue and readRawValue cover exactly the value", arguments: formatVectors)
    func skips(_ vector: FormatVector) throws {
        var skipping = reader(vector.bytes + [0xc3])
        try skipping.skipValue()
        #expect(skipping.offset == vector.bytes.count)
        #expect(try skipping.readBool() == true)

        var raw = reader(vector.bytes + [0xc2])
        let slice = try raw.readRawValue()
        #expect(Array(slice.readableBytesView) == vector.bytes)
        #expect(try raw.readBool() == false)
        #expect(raw.isAtEnd)
    }

    @Test("peekType names the family", arguments: formatVectors)
    func peeks(_ vector: FormatVector) throws {
        let expected: MessagePackType
        switch vector.value {
        case .nil: expected = .nil
        case .bool: expected = .bool
        case .int, .uint: expected = .integer
        case .float: expected = .float
        case .double: expected = .double
        case .string: expected = .string
        case .binary: expected = .binary
        case .array: expected = .array
        case .map: expected = .map
        case .extension: expected = .extension
        case .timestamp: expected = .timestamp
        }
        #expect(try reader(vector.bytes).peekType() == expected)
    }

    @Test("the Codable bridge round-trips the value tree", arguments: formatVectors.filter { $0.bytes.count < 4096 })
    func codableTree(_ vector: FormatVector) throws {
        #expect(try MessagePackEncoder().encode(vector.value) == vector.bytes)
        #expect(try MessagePackDecoder().decode(MessagePackValue.self, from: vector.bytes) == vector.value)
    }
}
