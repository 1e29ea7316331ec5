import MessagePack
import NIOCore
import Testing

/// A decodable type with a bit of everything, for feeding hostile bytes to the Codable bridge.
private struct Target: Decodable {
    var a: Int?
    var b: [String]?
    var c: [String: Double]?
    var d: [UInt8]?
    var e: [Target]?
    var f: MessagePackTimestamp?
}

/// Runs every decoding entry point over `bytes`; none may trap. Returns whether the value tree
/// decoded.
@discardableResult
private func decodeEverything(_ bytes: [UInt8], maxDepth: Int = MessagePackReader.defaultMaxDepth) -> Bool {
    var r = reader(bytes, maxDepth: maxDepth)
    _ = try? r.peekType()
    r = reader(bytes, maxDepth: maxDepth)
    _ = try? r.skipValue()
    r = reader(bytes, maxDepth: maxDepth)
    _ = try? r.readRawValue()
    for read in typedReads {
        r = reader(bytes, maxDepth: maxDepth)
        read(&r)
    }
    var decoder = MessagePackDecoder()
    decoder.maxDepth = maxDepth
    _ = try? decoder.decode(Target.self, from: bytes)
    _ = try? decoder.decode([Target].self, from: bytes)
    _ = try? decoder.decode([String: [Int]].self, from: bytes)
    _ = try? decoder.decode(MessagePackValue.self, from: bytes)
    return (try? MessagePackValue(decoding: bytes, maxDepth: maxDepth)) != nil
}

private let typedReads: [@Sendable (inout MessagePackReader) -> Void] = [
    { _ = try? $0.readNil() }, { _ = try? $0.readBool() }, { _ = try? $0.readInt64() },
    { _ = try? $0.readUInt64() }, { _ = try? $0.readInteger(as: Int8.self) }, { _ = try? $0.readDouble() },
    { _ = try? $0.readFloat() }, { _ = try? $0.readString() }, { _ = try? $0.readStringBytes() },
    { _ = try? $0.readBinary() }, { _ = try? $0.readArrayHeader() }, { _ = try? $0.readMapHeader() },
    { _ = try? $0.readExtension() }, { _ = try? $0.readTimestamp() }, { _ = try? $0.readValue() },
]

/// Valid encodings whose every prefix must be `truncated`.
private let prefixCorpus: [[UInt8]] =
    formatVectors.map(\.bytes).filter { $0.count <= 300 } + signalRExamples.map(\.bytes)
    + [MessagePackValue.array((0..<20).map { .int(Int64($0) * 1000) }).encoded]

@Suite("Hostile input")
struct HostileInputTests {
    @Test("every proper prefix of a valid encoding is truncated, never a crash")
    func prefixesAreTruncated() throws {
        var checked = 0
        for bytes in prefixCorpus {
            for length in 0..<bytes.count {
                let prefix = Array(bytes[..<length])
                var r = reader(prefix)
                #expect(errorCode { try r.skipValue() } == .truncated, "\(shortHex(prefix))")
                #expect(r.offset == 0)
                #expect(errorCode { try r.readRawValue() } == .truncated, "\(shortHex(prefix))")
                #expect(errorCode { try r.readValue() } == .truncated, "\(shortHex(prefix))")
                #expect(errorCode { try MessagePackValue(decoding: prefix) } == .truncated, "\(shortHex(prefix))")
                do {
                    _ = try MessagePackDecoder().decode(MessagePackValue.self, from: prefix)
                    Issue.record("decoded a prefix: \(shortHex(prefix))")
                } catch {
                    #expect(underlyingCode(error) == .truncated, "\(shortHex(prefix))")
                }
                checked += 1
            }
            // The whole encoding is fine.
            #expect(decodeEverything(bytes))
        }
        #expect(checked > 1000)
    }

    @Test("the prefixes of big values are truncated too (sampled)")
    func bigPrefixes() {
        for vector in formatVectors where vector.bytes.count > 300 {
            for length in Array(0..<12) + [vector.bytes.count / 2, vector.bytes.count - 1] {
                let prefix = Array(vector.bytes[..<length])
                #expect(
                    errorCode { try MessagePackValue(decoding: prefix) } == .truncated, "\(vector.name) at \(length)")
            }
        }
    }

    @Test("random bytes only ever give values or errors")
    func randomBytes() {
        var generator = SeededGenerator(seed: 20_240_613)
        // Bias towards format bytes and small lengths so that structures appear often.
        let favourites: [UInt8] = [
            0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x8f, 0x90, 0x91, 0x92, 0x9f, 0xa0, 0xa1, 0xa3, 0xbf, 0xc0, 0xc1,
            0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2,
            0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff,
        ]
        var decoded = 0
        let cases = 20_000
        for _ in 0..<cases {
            let length = Int.random(in: 0...40, using: &generator)
            let bytes = (0..<length).map { _ in
                Int.random(in: 0..<3, using: &generator) == 0
                    ? UInt8.random(in: 0...255, using: &generator) : favourites.randomElement(using: &generator)!
            }
            if decodeEverything(bytes, maxDepth: Int.random(in: 1...8, using: &generator)) { decoded += 1 }
        }
        // Some random inputs are valid values; most are not.
        #expect(decoded > 100)
        #expect(decoded < cases)
    }

    @Test("valid encodings with random bytes changed only ever give values or errors")
    func mutatedEncodings() throws {
        var generator = SeededGenerator(seed: 77)
        let seeds = prefixCorpus.filter { $0.count >= 4 } + [try MessagePackEncoder().encode(samplePerson)]
        for _ in 0..<10_000 {
            var bytes = seeds.randomElement(using: &generator)!
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if Bool.random(using: &generator) {
                bytes.removeLast(Int.random(in: 0..<bytes.count, using: &generator))
            }
            decodeEverything(bytes)
        }
    }

    @Test(
        "huge declared lengths and counts fail at once, without allocating",
        arguments: [
            "dd ff ff ff ff", "dd ff ff ff ff 01 02", "df ff ff ff ff", "df 80 00 00 00 01 02 03",
            "dc ff ff 01", "de ff ff 01 02", "db ff ff ff ff 61", "da ff ff", "c6 ff ff ff ff 00",
            "c5 ff ff", "c9 ff ff ff ff 01 00", "c8 ff ff 01", "9f 01", "8f 01 02", "bf 61",
            "91 dd ff ff ff ff", "81 a1 61 df ff ff ff ff",
        ])
    func hugeLengths(_ text: String) {
        let bytes = hex(text)
        var r = reader(bytes)
        #expect(errorCode { try r.skipValue() } == .truncated)
        #expect(errorCode { try MessagePackValue(decoding: bytes) } == .truncated)
        r = reader(bytes)
        switch bytes[0] {
        case 0xdc, 0xdd, 0x9f: #expect(errorCode { try r.readArrayHeader() } == .truncated)
        case 0xde, 0xdf, 0x8f: #expect(errorCode { try r.readMapHeader() } == .truncated)
        case 0xbf, 0xda, 0xdb: #expect(errorCode { try r.readString() } == .truncated)
        case 0xc5, 0xc6: #expect(errorCode { try r.readBinary() } == .truncated)
        case 0xc8, 0xc9: #expect(errorCode { try r.readExtension() } == .truncated)
        default: break
        }
        for decode in [
            { _ = try MessagePackDecoder().decode([Int].self, from: bytes) },
            { _ = try MessagePackDecoder().decode([String: Int].self, from: bytes) },
            { _ = try MessagePackDecoder().decode([UInt8].self, from: bytes) },
            { _ = try MessagePackDecoder().decode(String.self, from: bytes) },
        ] as [() throws -> Void] {
            do {
                try decode()
                Issue.record("decoded \(text)")
            } catch {
                #expect(underlyingCode(error) == .truncated, "\(text): \(error)")
            }
        }
    }

    @Test("nesting deeper than the limit is refused; at the limit it is fine")
    func depthLimit() throws {
        func nestedArrays(_ depth: Int) -> [UInt8] { Array(repeating: 0x91, count: depth - 1) + [0x90] }
        func nestedMaps(_ depth: Int) -> [UInt8] {
            Array(repeating: [0x81, 0xc0], count: depth - 1).flatMap { $0 } + [0x80]
        }
        for nested in [nestedArrays, nestedMaps] {
            let atLimit = nested(MessagePackReader.defaultMaxDepth)
            var r = reader(atLimit)
            try r.skipValue()
            _ = try MessagePackValue(decoding: atLimit)
            _ = try MessagePackDecoder().decode(MessagePackValue.self, from: atLimit)

            let over = nested(MessagePackReader.defaultMaxDepth + 1)
            r = reader(over)
            #expect(errorCode { try r.skipValue() } == .depthLimitExceeded)
            #expect(errorCode { try r.readRawValue() } == .depthLimitExceeded)
            #expect(errorCode { try MessagePackValue(decoding: over) } == .depthLimitExceeded)
            do {
                _ = try MessagePackDecoder().decode(MessagePackValue.self, from: over)
                Issue.record("decoded past the depth limit")
            } catch {
                #expect(underlyingCode(error) == .depthLimitExceeded)
            }
        }
        // A custom limit.
        var r = reader(nestedArrays(3), maxDepth: 2)
        #expect(errorCode { try r.skipValue() } == .depthLimitExceeded)
        r = reader(nestedArrays(2), maxDepth: 2)
        try r.skipValue()
    }

    @Test("a million nested arrays fail fast on the depth limit, not the stack")
    func veryDeepNesting() {
        let bytes = [UInt8](repeating: 0x91, count: 1_000_000) + [0x90]
        var r = reader(bytes)
        #expect(errorCode { try r.skipValue() } == .depthLimitExceeded)
        #expect(errorCode { try MessagePackValue(decoding: bytes) } == .depthLimitExceeded)
        do {
            _ = try MessagePackDecoder().decode(Target.self, from: bytes)
            Issue.record("decoded")
        } catch {
            #expect(underlyingCode(error) == .depthLimitExceeded)
        }
    }

    @Test("a recursive Decodable type cannot be driven past the depth limit")
    func recursiveType() throws {
        final class Node: Decodable {
            let children: [Node]
        }
        // {"children": [{"children": [ … ]}]}
        func nodes(_ depth: Int) -> [UInt8] {
            let key = hex("a8 63 68 69 6c 64 72 65 6e")
            var bytes = hex("81") + key + hex("90")
            for _ in 1..<depth { bytes = hex("81") + key + hex("91") + bytes }
            return bytes
        }
        var decoder = MessagePackDecoder()
        decoder.maxDepth = 200
        _ = try decoder.decode(Node.self, from: nodes(90))
        do {
            _ = try decoder.decode(Node.self, from: nodes(120))
            Issue.record("decoded 240 levels with a limit of 200")
        } catch {
            #expect(underlyingCode(error) == .depthLimitExceeded)
        }
    }
}
