import BrokerStorage
import Testing
import TestSupport

@testable import Broker

/// The bit helpers behind the bit commands, against naive bit-by-bit references on seeded random
/// bytes (longer than the differential corpus's strings, so whole-word paths run), and `BITFIELD`
/// overflow vectors recorded from redis-server 7.0.15.
@Suite struct BitmapTests {
    /// A `BITFIELD` `INCRBY` (or, with increment 0, `SET`) and what redis-server stored (`nil`: the
    /// reply was null under `OVERFLOW FAIL`).
    struct Vector: Sendable, CustomTestStringConvertible {
        var type: Bitfield
        var overflow: Bitfield.Overflow
        var value: Int64
        var increment: Int64
        var stored: Int64?

        init(
            _ signed: Bool, _ width: Int, _ overflow: Bitfield.Overflow, _ value: Int64, _ increment: Int64,
            _ stored: Int64?
        ) {
            self.type = Bitfield(isSigned: signed, width: width)
            self.overflow = overflow
            self.value = value
            self.increment = increment
            self.stored = stored
        }

        var testDescription: String {
            "\(type.isSigned ? "i" : "u")\(type.width) \(overflow) \(value) + \(increment)"
        }
    }

    static let vectors: [Vector] = [
        Vector(true, 8, .wrap, 127, 1, -128),
        Vector(true, 8, .saturate, 127, 1, 127),
        Vector(true, 8, .fail, 127, 1, nil),
        Vector(true, 8, .wrap, -128, -1, 127),
        Vector(true, 8, .saturate, -128, -1, -128),
        Vector(true, 8, .saturate, 0, Int64.max, 127),
        Vector(true, 8, .saturate, 0, Int64.min, -128),
        Vector(true, 8, .wrap, 5, Int64.min, 5),
        Vector(true, 1, .wrap, 0, 1, -1),
        Vector(true, 1, .saturate, -1, -1, -1),
        Vector(true, 64, .wrap, Int64.max, 1, Int64.min),
        Vector(true, 64, .saturate, Int64.max, 1, Int64.max),
        Vector(true, 64, .saturate, Int64.min, -1, Int64.min),
        Vector(true, 64, .fail, -1, Int64.min, nil),
        Vector(true, 64, .wrap, Int64.min, Int64.min, 0),
        Vector(true, 63, .saturate, 0, Int64.max, 4611686018427387903),
        Vector(true, 63, .wrap, 4611686018427387903, 1, -4611686018427387904),
        Vector(false, 8, .wrap, 255, 1, 0),
        Vector(false, 8, .saturate, 255, 1, 255),
        Vector(false, 8, .fail, 255, 1, nil),
        Vector(false, 8, .wrap, 0, -1, 255),
        Vector(false, 8, .saturate, 0, -1, 0),
        Vector(false, 8, .saturate, 3, -2, 1),
        Vector(false, 1, .wrap, 1, 1, 0),
        Vector(false, 63, .wrap, Int64.max, 1, 0),
        Vector(false, 63, .saturate, Int64.max, 1, Int64.max),
        Vector(false, 63, .saturate, 5, Int64.min, 0),
        Vector(false, 63, .wrap, 0, Int64.min, 0),
        Vector(false, 63, .wrap, 1, Int64.max, 0),
        Vector(false, 62, .saturate, 0, Int64.max, 4611686018427387903),
        Vector(false, 16, .wrap, 65000, Int64.max, 64999),
        Vector(true, 8, .saturate, Int64.min, 0, 127),
        Vector(true, 8, .saturate, -9223372036854775681, 0, 127),
        Vector(true, 8, .saturate, -9223372036854775680, 0, -128),
        Vector(true, 8, .wrap, Int64.min, 0, 0),
        Vector(true, 8, .saturate, 128, 0, 127),
        Vector(true, 8, .wrap, 128, 0, -128),
        Vector(true, 8, .fail, -129, 0, nil),
        Vector(false, 8, .saturate, -1, 0, 255),
        Vector(false, 8, .wrap, -1, 0, 255),
        Vector(false, 8, .wrap, 256, 0, 0),
        Vector(false, 8, .fail, 256, 0, nil),
        Vector(false, 63, .saturate, -1, 0, Int64.max),
        Vector(false, 63, .wrap, Int64.min, 0, 0),
        Vector(true, 64, .saturate, Int64.min, 0, Int64.min),
        Vector(true, 16, .wrap, 70000, 0, 4464),
    ]

    @Test(arguments: vectors)
    func overflowAsRedis(_ vector: Vector) {
        #expect(vector.type.adding(vector.increment, to: vector.value, overflow: vector.overflow) == vector.stored)
    }

    @Test func typesAsRedisParsesThem() {
        func parse(_ text: [UInt8]) -> Bitfield? { text.withUnsafeBytes { Bitfield($0) } }
        #expect(parse(Array("i64".utf8)) == Bitfield(isSigned: true, width: 64))
        #expect(parse(Array("u63".utf8)) == Bitfield(isSigned: false, width: 63))
        #expect(parse(Array("u1".utf8)) == Bitfield(isSigned: false, width: 1))
        // The width is read as a C string: it stops at a NUL.
        #expect(parse(Array("u8".utf8) + [0] + Array("junk".utf8)) == Bitfield(isSigned: false, width: 8))
        for bad in ["u64", "i65", "i0", "U8", "I8", "x8", "u", "", "i08", "i+8", "i-8", " i8", "i8 "] {
            #expect(parse(Array(bad.utf8)) == nil, "\(bad)")
        }
    }

    /// Stores random values at random offsets and reads them back; the bits around the field stay.
    @Test func storeAndReadBackAtAnyOffset() {
        var random = SeededRandomNumberGenerator(seed: 0xB17F)
        for _ in 0..<2000 {
            let type =
                Bool.random(using: &random)
                ? Bitfield(isSigned: true, width: Int.random(in: 1...64, using: &random))
                : Bitfield(isSigned: false, width: Int.random(in: 1...63, using: &random))
            var bytes = (0..<12).map { _ in UInt8.random(in: 0...255, using: &random) }
            let before = bytes
            let offset = Int.random(in: 0...(96 - type.width), using: &random)
            let value = Int64.random(in: .min ... .max, using: &random)
            type.store(value, in: &bytes, at: offset)
            // Stored: the low `width` bits, sign-extended when signed.
            let low = type.width == 64 ? UInt64(bitPattern: value) : UInt64(bitPattern: value) & (1 << type.width - 1)
            var expected = Int64(bitPattern: low)
            if type.isSigned && type.width < 64 && low >> (type.width - 1) == 1 {
                expected = Int64(bitPattern: low | UInt64.max << type.width)
            }
            #expect(bytes.withUnsafeBytes { type.value(in: $0, at: offset) } == expected)
            for bit in 0..<96 where bit < offset || bit >= offset + type.width {
                #expect(naiveBit(bytes, bit) == naiveBit(before, bit))
            }
        }
    }

    @Test func readsPastTheEndAsZeros() {
        let bytes: [UInt8] = [0xFF, 0x81]
        bytes.withUnsafeBytes { raw in
            #expect(Bitfield(isSigned: false, width: 8).value(in: raw, at: 12) == 0x10)
            #expect(Bitfield(isSigned: true, width: 8).value(in: raw, at: 0) == -1)
            #expect(Bitfield(isSigned: true, width: 64).value(in: raw, at: 0) == Int64(bitPattern: 0xFF81 << 48))
            #expect(Bitfield(isSigned: false, width: 63).value(in: raw, at: 100) == 0)
        }
    }

    @Test func countsAndFindsBitsLikeANaiveScan() {
        var random = SeededRandomNumberGenerator(seed: 0xB175)
        for _ in 0..<500 {
            let count = Int.random(in: 1...100, using: &random)
            let bytes = (0..<count).map { _ in
                [0x00, 0xFF, UInt8.random(in: 0...255, using: &random)].randomElement(using: &random)!
            }
            let a = Int.random(in: 0..<count * 8, using: &random)
            let b = Int.random(in: a..<count * 8, using: &random)
            let wanted = Bool.random(using: &random)
            let naiveCount = (a...b).filter { naiveBit(bytes, $0) }.count
            let naiveFirst = (a...b).first { naiveBit(bytes, $0) == wanted }
            bytes.withUnsafeBytes { raw in
                #expect(Bitmap.countSetBits(in: raw, bits: a...b) == naiveCount)
                #expect(Bitmap.firstBit(wanted, in: raw, bits: a...b) == naiveFirst)
            }
        }
    }

    @Test func resolvesRangesAsRedis() {
        #expect(Bitmap.resolveRange(start: 0, end: -1, count: 6) == 0...5)
        #expect(Bitmap.resolveRange(start: -2, end: -1, count: 6) == 4...5)
        #expect(Bitmap.resolveRange(start: -100, end: 100, count: 6) == 0...5)
        // An end before the start clamps to 0: Redis then counts the first unit.
        #expect(Bitmap.resolveRange(start: 0, end: -100, count: 6) == 0...0)
        #expect(Bitmap.resolveRange(start: 6, end: 100, count: 6) == nil)
        #expect(Bitmap.resolveRange(start: 3, end: 1, count: 6) == nil)
        #expect(Bitmap.resolveRange(start: 0, end: -1, count: 0) == nil)
        #expect(Bitmap.resolveRange(start: .min, end: .max, count: 6) == 0...5)
        #expect(Bitmap.selectedBits(start: 0, end: -1, length: 3, inBits: false) == 0...23)
        #expect(Bitmap.selectedBits(start: 1, end: 1, length: 3, inBits: false) == 8...15)
        #expect(Bitmap.selectedBits(start: -5, end: 100, length: 3, inBits: true) == 19...23)
        #expect(Bitmap.selectedBits(start: 0, end: -1, length: 0, inBits: false) == nil)
    }

    @Test func combinesLikeANaiveLoop() {
        var random = SeededRandomNumberGenerator(seed: 0xB170)
        for _ in 0..<200 {
            let sources = (0..<Int.random(in: 1...4, using: &random)).map { _ in
                (0..<Int.random(in: 0...70, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            }
            let length = sources.map(\.count).max()!
            func byte(_ s: [UInt8], _ j: Int) -> UInt8 { j < s.count ? s[j] : 0 }
            let values = sources.map { StringValue(rawBytes: $0) }
            for operation in [Bitmap.Operation.and, .or, .xor] {
                let expected = (0..<length).map { j in
                    sources.dropFirst().reduce(byte(sources[0], j)) { result, s in
                        switch operation {
                        case .and: result & byte(s, j)
                        case .or: result | byte(s, j)
                        default: result ^ byte(s, j)
                        }
                    }
                }
                #expect(Bitmap.combine(operation, values) == expected)
            }
            #expect(Bitmap.combine(.not, [values[0]]) == sources[0].map { ~$0 })
        }
    }

    func naiveBit(_ bytes: [UInt8], _ bit: Int) -> Bool {
        bit / 8 < bytes.count && (bytes[bit / 8] >> (7 - bit % 8)) & 1 == 1
    }
}
