import BrokerStorage
import Testing
import TestSupport

@testable import Broker

/// The codec pieces of `DUMP`/`RESTORE` on their own: CRC-64, LZF and the RDB string encodings.
/// Byte equality with what redis-server itself writes is in ``DumpRedisTests``.
@Suite struct DumpCodecTests {
    /// Redis's own test vector (`crc64.c`).
    @Test func crc64MatchesRedisTestVector() {
        #expect(CRC64.checksum(Array("123456789".utf8)) == 0xe9c6_d914_c4b8_d9ca)
        #expect(CRC64.checksum([UInt8]()) == 0)
    }

    /// The eight-bytes-at-a-time tables give the bit-at-a-time definition's result for every length
    /// and alignment, and a checksum can be continued over a split input.
    @Test func crc64MatchesBitwiseDefinition() {
        func bitwise(_ bytes: ArraySlice<UInt8>) -> UInt64 {
            var crc: UInt64 = 0
            for byte in bytes {
                crc ^= UInt64(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x95ac_9329_ac4b_c9b5 : crc >> 1 }
            }
            return crc
        }
        var random = SeededRandomNumberGenerator(seed: 64)
        let data = (0..<300).map { _ in UInt8.random(in: 0...255, using: &random) }
        for start in 0..<9 {
            for end in stride(from: start, through: data.count, by: 7) {
                #expect(CRC64.checksum(data[start..<end]) == bitwise(data[start..<end]), "bytes \(start)..<\(end)")
            }
        }
        for split in [0, 1, 7, 8, 9, 150, 300] {
            let first = CRC64.checksum(data[..<split])
            #expect(CRC64.checksum(data[split...], continuing: first) == CRC64.checksum(data))
        }
    }

    static let lzfInputs: [String: [UInt8]] = {
        var random = SeededRandomNumberGenerator(seed: 7)
        func draw(_ count: Int, from alphabet: [UInt8]) -> [UInt8] {
            (0..<count).map { _ in alphabet.randomElement(using: &random)! }
        }
        let all = Array(UInt8.min...UInt8.max)
        return [
            "one byte": [42],
            "two bytes": [1, 2],
            "three equal bytes": [7, 7, 7],
            "a run of 1000": [UInt8](repeating: 0x61, count: 1000),
            "two letters": draw(5000, from: Array("ab".utf8)),
            "text": Array(String(repeating: "the quick brown fox jumps over the lazy dog. ", count: 300).utf8),
            "random": draw(4000, from: all),
            "long matches past 264 bytes": [UInt8](repeating: 0, count: 70_000) + draw(100, from: all),
            "repeats further back than 8 KiB": {
                let block = draw(9000, from: all); return block + block
            }(),
        ]
    }()

    @Test(arguments: lzfInputs.keys.sorted())
    func lzfRoundTrip(_ name: String) throws {
        let input = try #require(Self.lzfInputs[name])
        // Incompressible input grows by a byte every 32 plus one, and liblzf wants 3 bytes of room
        // before the last literals.
        let limit = input.count + input.count / 32 + 4
        let compressed = try #require(input.withUnsafeBytes { LZF.compress($0, limit: limit) })
        let back = compressed.withUnsafeBytes { LZF.decompress($0, count: input.count) }
        #expect(back == input, "\(name)")
        // Every proper prefix of a stream is corrupt or too short: never the whole output.
        for cut in stride(from: 0, to: compressed.count, by: max(1, compressed.count / 200)) {
            let prefix = Array(compressed[..<cut])
            #expect(prefix.withUnsafeBytes { LZF.decompress($0, count: input.count) } == nil, "\(name) cut at \(cut)")
        }
    }

    @Test func lzfRefusesWhatDoesNotFit() {
        var random = SeededRandomNumberGenerator(seed: 3)
        let noise = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &random) }
        #expect(noise.withUnsafeBytes { LZF.compress($0, limit: noise.count - 4) } == nil)
        let run = [UInt8](repeating: 1, count: 1000)
        #expect(run.withUnsafeBytes { LZF.compress($0, limit: 10) } == nil)
        #expect(run.withUnsafeBytes { LZF.compress($0, limit: 100) } != nil)
        #expect([UInt8]().withUnsafeBytes { LZF.compress($0, limit: 10) } == nil)
    }

    @Test func lzfDecompressionRefusesCorruptStreams() {
        func decompress(_ bytes: [UInt8], _ count: Int) -> [UInt8]? {
            bytes.withUnsafeBytes { LZF.decompress($0, count: count) }
        }
        #expect(decompress([0x02, 0x61, 0x62, 0x63], 3) == Array("abc".utf8))
        #expect(decompress([0x00, 0x61, 0x20, 0x00], 4) == Array("aaaa".utf8))  // overlapping copy
        #expect(decompress([0x20, 0x00], 3) == nil)  // a reference before the start
        #expect(decompress([0x00, 0x61, 0x20], 4) == nil)  // a reference cut short
        #expect(decompress([0x05, 0x61], 6) == nil)  // a literal run cut short
        #expect(decompress([0x02, 0x61, 0x62, 0x63], 2) == nil)  // more than announced
        #expect(decompress([0x02, 0x61, 0x62, 0x63], 4) == nil)  // less than announced
        #expect(decompress([], 1) == nil)
        // Redis compares the bytes written with the length, and an error writes 0 bytes.
        #expect(decompress([0x55], 0) == [])
        // Arbitrary bytes and lengths: an answer or nil, never a trap.
        var random = SeededRandomNumberGenerator(seed: 11)
        for _ in 0..<3000 {
            let bytes = (0..<Int.random(in: 0...40, using: &random)).map { _ in
                UInt8.random(in: 0...255, using: &random)
            }
            let count = Int.random(in: 0...200, using: &random)
            if let out = decompress(bytes, count) { #expect(out.count == count) }
        }
    }

    /// Redis's `rdbSaveLen` forms, read back by `rdbLoadLen`.
    static let lengths: [(UInt64, [UInt8])] = [
        (0, [0x00]), (63, [0x3F]), (64, [0x40, 0x40]), (16383, [0x7F, 0xFF]), (16384, [0x80, 0x00, 0x00, 0x40, 0x00]),
        (UInt64(UInt32.max), [0x80, 0xFF, 0xFF, 0xFF, 0xFF]), (UInt64(UInt32.max) + 1, [0x81, 0, 0, 0, 1, 0, 0, 0, 0]),
    ]

    @Test(arguments: lengths)
    func lengthEncodings(_ length: UInt64, _ bytes: [UInt8]) {
        var encoder = RDBEncoder()
        encoder.writeLength(length)
        #expect(encoder.bytes == bytes)
        let decoded = Self.decode(bytes) { decoder throws(RDBError) in
            let (value, isEncoded) = try decoder.readLength()
            return "\(value) \(isEncoded) \(decoder.remaining)"
        }
        #expect(decoded == .success("\(length) false 0"))
    }

    /// The string forms `rdbSaveRawString` picks: integers of 8, 16 and 32 bits only for canonical
    /// texts of at most 11 bytes, LZF only past 20 bytes and when it saves 4, else plain.
    static let strings: [(String, [UInt8])] = [
        ("0", [0xC0, 0x00]), ("-1", [0xC0, 0xFF]), ("127", [0xC0, 0x7F]), ("-128", [0xC0, 0x80]),
        ("128", [0xC1, 0x80, 0x00]), ("-32768", [0xC1, 0x00, 0x80]), ("32768", [0xC2, 0x00, 0x80, 0x00, 0x00]),
        ("-2147483648", [0xC2, 0x00, 0x00, 0x00, 0x80]), ("2147483648", [0x0A] + Array("2147483648".utf8)),
        ("-0", [0x02] + Array("-0".utf8)), ("007", [0x03] + Array("007".utf8)), ("", [0x00]),
        ("aaaaaaaaaaaaaaaaaaaa", [0x14] + Array(repeating: 0x61, count: 20)),
        ("aaaaaaaaaaaaaaaaaaaaa", [0xC3, 0x06, 0x15, 0x01, 0x61, 0x61, 0xE0, 0x0A, 0x00]),
    ]

    @Test(arguments: strings)
    func stringEncodings(_ text: String, _ bytes: [UInt8]) {
        let value = StringValue(Array(text.utf8))
        var encoder = RDBEncoder()
        encoder.writeString(value)
        #expect(encoder.bytes == bytes)
        // The raw path (what a `raw`-encoded string of the same text takes) writes the same.
        var raw = RDBEncoder()
        Array(text.utf8).withUnsafeBytes { raw.writeString($0) }
        #expect(raw.bytes == bytes)
        let decoded = Self.decode(bytes) { decoder throws(RDBError) in try decoder.readString() }
        #expect(decoded == .success(value))
        #expect((try? decoded.get())?.encoding == value.encoding)
    }

    @Test func payloadFooter() throws {
        let payload = DumpPayload.encode(.string(StringValue(Array("v".utf8))))
        #expect(Array(payload[..<5]) == [0x00, 0x01, 0x76, 0x0A, 0x00])
        #expect(payload.count == 13)
        #expect(payload.withUnsafeBytes { DumpPayload.verify($0) })
        #expect(payload.withUnsafeBytes { DumpPayload.decode($0) } == .success(.string(StringValue(Array("v".utf8)))))
        // A newer RDB version is refused even with a valid checksum; an older one is read.
        for (version, accepted) in [(UInt16(11), false), (9, true), (0, true)] {
            let resigned = Self.signed([0x00, 0x01, 0x76], version: version)
            #expect(resigned.withUnsafeBytes { DumpPayload.verify($0) } == accepted, "version \(version)")
        }
        var corrupt = payload
        corrupt[2] ^= 1
        #expect(corrupt.withUnsafeBytes { DumpPayload.decode($0) } == .failure(RDBError(code: .badFooter, offset: 0)))
        #expect([UInt8](repeating: 0, count: 9).withUnsafeBytes { DumpPayload.verify($0) } == false)
    }

    /// Redis reads the object from the whole payload, footer included, and ignores what follows it.
    @Test func objectMayOverlapTheFooterOrLeaveBytes() throws {
        let intoFooter = Self.signed([0x00, 0x0A])
        let expected = StringValue(Array(intoFooter[2...]))
        #expect(intoFooter.withUnsafeBytes { DumpPayload.decode($0) } == .success(.string(expected)))
        let pastEnd = Self.signed([0x00, 0x0B])
        #expect(pastEnd.withUnsafeBytes { DumpPayload.decode($0) }.errorCode == .truncated)
        let trailing = Self.signed([0x00, 0x01, 0x41, 0x42, 0x43])
        #expect(trailing.withUnsafeBytes { DumpPayload.decode($0) } == .success(.string(StringValue(Array("A".utf8)))))
    }

    static let badBodies: [([UInt8], RDBError.Code)] = [
        ([0x08, 0x01, 0x41], .unknownType), ([0x14], .unknownType), ([0xFF], .unknownType),
        ([0x01, 0x00], .unsupportedType),
        ([0x13], .unsupportedType), ([0x00, 0xC4], .unknownStringEncoding), ([0x00, 0x82], .unknownLengthEncoding),
        ([0x00, 0xC3, 0x01, 0x05, 0x41], .invalidLZF), ([0x00, 0xC3, 0x00, 0x01], .invalidLZF),
        ([0x00, 0x81] + [UInt8](repeating: 0xFF, count: 8), .truncated),
        // No object: the footer's first byte, version 10, reads as type 10 (a ziplist-encoded list).
        ([], .unsupportedType),
    ]

    @Test(arguments: badBodies)
    func badDataFormat(_ body: [UInt8], _ code: RDBError.Code) {
        let payload = Self.signed(body)
        #expect(payload.withUnsafeBytes { DumpPayload.decode($0) }.errorCode == code)
    }

    /// Random bytes, truncations and corruptions of valid payloads: a value or an error, never a trap.
    @Test func decodingArbitraryBytesNeverTraps() {
        var random = SeededRandomNumberGenerator(seed: 99)
        let originals = ["", "12345", String(repeating: "compress me ", count: 50), "x"].map {
            DumpPayload.encode(.string(StringValue(Array($0.utf8))))
        }
        var decoded = 0
        for _ in 0..<5000 {
            var bytes: [UInt8]
            switch Int.random(in: 0..<3, using: &random) {
            case 0:
                bytes = (0..<Int.random(in: 0...60, using: &random)).map { _ in
                    UInt8.random(in: 0...255, using: &random)
                }
            case 1:
                let original = originals.randomElement(using: &random)!
                bytes = Array(original[..<Int.random(in: 0...original.count, using: &random)])
            default:
                bytes = originals.randomElement(using: &random)!
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            }
            // Re-signed half of the time, so the body's decoding is reached.
            if Bool.random(using: &random) && bytes.count >= DumpPayload.footerCount {
                bytes = Self.signed(Array(bytes.dropLast(DumpPayload.footerCount)))
            }
            if case .success = bytes.withUnsafeBytes({ DumpPayload.decode($0) }) { decoded += 1 }
        }
        #expect(decoded > 0)
    }

    /// What `body` reads from a decoder over `bytes`.
    static func decode<T>(_ bytes: [UInt8], _ body: (inout RDBDecoder) throws(RDBError) -> T) -> Result<T, RDBError> {
        bytes.withUnsafeBytes { raw in
            var decoder = RDBDecoder(raw)
            return Result { () throws(RDBError) in try body(&decoder) }
        }
    }

    /// `body` followed by a valid footer of RDB `version`.
    static func signed(_ body: [UInt8], version: UInt16 = RDB.version) -> [UInt8] {
        var bytes = body + [UInt8(version & 0xFF), UInt8(version >> 8)]
        let crc = CRC64.checksum(bytes)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: crc >> (8 * UInt64(i)))) }
        return bytes
    }
}

extension Result<KeyspaceValue, RDBError> {
    /// The error's code, or `nil` on success.
    var errorCode: RDBError.Code? {
        if case .failure(let error) = self { return error.code }
        return nil
    }
}
