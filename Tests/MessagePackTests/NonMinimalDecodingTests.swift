import MessagePack
import NIOCore
import Testing

/// Valid but not minimal bytes (as other writers may send), the value they decode to, and the
/// minimal bytes our writer gives that value.
struct NonMinimalVector: Sendable, CustomTestStringConvertible {
    var bytes: [UInt8]
    var value: MessagePackValue
    var minimal: [UInt8]

    init(_ bytes: String, _ value: MessagePackValue, minimal: String) {
        self.bytes = hex(bytes)
        self.value = value
        self.minimal = hex(minimal)
    }

    var testDescription: String { "\(hexString(bytes)) → \(hexString(minimal))" }
}

let nonMinimalVectors: [NonMinimalVector] = [
    NonMinimalVector("cc 05", 5, minimal: "05"),
    NonMinimalVector("cd 00 05", 5, minimal: "05"),
    NonMinimalVector("ce 00 00 00 05", 5, minimal: "05"),
    NonMinimalVector("cf 00 00 00 00 00 00 00 05", 5, minimal: "05"),
    NonMinimalVector("d0 05", 5, minimal: "05"),
    NonMinimalVector("d1 00 05", 5, minimal: "05"),
    NonMinimalVector("d2 00 00 00 05", 5, minimal: "05"),
    NonMinimalVector("d3 00 00 00 00 00 00 00 05", 5, minimal: "05"),
    NonMinimalVector("d1 00 c8", 200, minimal: "cc c8"),
    NonMinimalVector("d3 00 00 00 00 ff ff ff ff", .int(4_294_967_295), minimal: "ce ff ff ff ff"),
    NonMinimalVector("d0 ff", -1, minimal: "ff"),
    NonMinimalVector("d1 ff ff", -1, minimal: "ff"),
    NonMinimalVector("d2 ff ff ff ff", -1, minimal: "ff"),
    NonMinimalVector("d3 ff ff ff ff ff ff ff ff", -1, minimal: "ff"),
    NonMinimalVector("d3 ff ff ff ff ff ff ff 80", -128, minimal: "d0 80"),
    NonMinimalVector("d9 01 61", "a", minimal: "a1 61"),
    NonMinimalVector("da 00 01 61", "a", minimal: "a1 61"),
    NonMinimalVector("db 00 00 00 01 61", "a", minimal: "a1 61"),
    NonMinimalVector("d9 00", "", minimal: "a0"),
    NonMinimalVector("c5 00 01 07", .binary([7]), minimal: "c4 01 07"),
    NonMinimalVector("c6 00 00 00 01 07", .binary([7]), minimal: "c4 01 07"),
    NonMinimalVector("dc 00 01 01", [1], minimal: "91 01"),
    NonMinimalVector("dd 00 00 00 01 01", [1], minimal: "91 01"),
    NonMinimalVector("dc 00 00", [], minimal: "90"),
    NonMinimalVector("de 00 01 01 02", [1: 2], minimal: "81 01 02"),
    NonMinimalVector("df 00 00 00 01 01 02", [1: 2], minimal: "81 01 02"),
    NonMinimalVector("c7 01 05 09", .extension(type: 5, data: [9]), minimal: "d4 05 09"),
    NonMinimalVector("c8 00 01 05 09", .extension(type: 5, data: [9]), minimal: "d4 05 09"),
    NonMinimalVector("c9 00 00 00 01 05 09", .extension(type: 5, data: [9]), minimal: "d4 05 09"),
    NonMinimalVector(
        "c7 10 05 " + String(repeating: "00 ", count: 16), .extension(type: 5, data: [UInt8](repeating: 0, count: 16)),
        minimal: "d8 05 " + String(repeating: "00 ", count: 16)),
    // Timestamps in a bigger form than needed, and inside ext8 instead of fixext.
    NonMinimalVector(
        "d7 ff 00 00 00 00 00 00 00 01", .timestamp(try! MessagePackTimestamp(seconds: 1)), minimal: "d6 ff 00 00 00 01"
    ),
    NonMinimalVector(
        "c7 0c ff 00 00 00 00 00 00 00 00 00 00 00 01", .timestamp(try! MessagePackTimestamp(seconds: 1)),
        minimal: "d6 ff 00 00 00 01"),
    NonMinimalVector(
        "c7 0c ff 00 00 00 05 00 00 00 00 00 00 00 01",
        .timestamp(try! MessagePackTimestamp(seconds: 1, nanoseconds: 5)), minimal: "d7 ff 00 00 00 14 00 00 00 01"),
    NonMinimalVector(
        "c7 04 ff 00 00 00 01", .timestamp(try! MessagePackTimestamp(seconds: 1)), minimal: "d6 ff 00 00 00 01"),
]

@Suite("Non-minimal forms")
struct NonMinimalDecodingTests {
    @Test("decode to the value and re-encode minimally", arguments: nonMinimalVectors)
    func decodesAndMinimizes(_ vector: NonMinimalVector) throws {
        let value = try MessagePackValue(decoding: vector.bytes)
        #expect(value == vector.value)
        #expect(value.encoded == vector.minimal)
        var skipping = reader(vector.bytes)
        try skipping.skipValue()
        #expect(skipping.isAtEnd)
    }

    @Test("integer reads accept every width that fits")
    func integerWidths() throws {
        for bytes in nonMinimalVectors.prefix(8).map(\.bytes) {
            var r = reader(bytes)
            #expect(try r.readInt64() == 5)
            r = reader(bytes)
            #expect(try r.readUInt64() == 5)
            r = reader(bytes)
            #expect(try r.readInteger(as: Int8.self) == 5)
            r = reader(bytes)
            #expect(try r.readInteger(as: UInt16.self) == 5)
            r = reader(bytes)
            #expect(try r.readDouble() == 5)
            r = reader(bytes)
            #expect(try r.readFloat() == 5)
        }
        var r = reader(hex("cf ff ff ff ff ff ff ff ff"))
        #expect(try r.readUInt64() == .max)
        r = reader(hex("d3 80 00 00 00 00 00 00 00"))
        #expect(try r.readInt64() == .min)
        r = reader(hex("d1 ff 80"))
        #expect(try r.readInteger(as: Int8.self) == -128)
    }

    @Test("floats read as Double or Float from either width")
    func floatWidths() throws {
        var r = reader(hex("ca 3f c0 00 00"))
        #expect(try r.readDouble() == 1.5)
        r = reader(hex("cb 3f f8 00 00 00 00 00 00"))
        #expect(try r.readFloat() == 1.5)
        r = reader(hex("cb 3f b9 99 99 99 99 99 9a"))
        #expect(try r.readFloat() == Float(0.1))
        r = reader(hex("cb 7f f0 00 00 00 00 00 00"))
        #expect(try r.readFloat() == .infinity)
        r = reader(hex("cb 7f f8 00 00 00 00 00 00"))
        #expect(try r.readFloat().isNaN)
    }
}
