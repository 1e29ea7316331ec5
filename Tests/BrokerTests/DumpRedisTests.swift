import BrokerStorage
import NIOCore
import RESP
import Testing
import TestSupport

@testable import Broker

/// `DUMP` payloads compared with the ones a real redis-server 7.0 writes, and payloads carried from
/// one server to the other. Each test skips, saying so, when redis-server is not installed.
@Suite(.serialized) struct DumpRedisTests {
    /// Strings of every encoding and size class: integers in and out of 8/16/32 bits, texts that
    /// look like integers but are not canonical, short and long strings, compressible (LZF) and
    /// not, binary bytes, and lengths around the 6/14/32-bit length forms and LZF's limits.
    static let samples: [[UInt8]] = {
        var samples = [
            "", "0", "-0", "007", "1", "-1", "127", "-128", "128", "-129", "32767", "-32768", "32768", "-32769",
            "2147483647", "-2147483648", "2147483648", "-2147483649", "12345678901", "-1234567890",
            "9223372036854775807", "-9223372036854775808", "9223372036854775808", " 1", "1 ", "+1", "1.5", "0x1f",
            "hello", "aaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaa", "abababababababababababab",
        ].map { Array($0.utf8) }
        samples.append(Array(UInt8.min...UInt8.max))
        samples.append([0, 0, 0, 0xFF, 0xFE, 0x0D, 0x0A])
        var random = SeededRandomNumberGenerator(seed: 2024)
        let alphabets: [[UInt8]] = [
            Array("a".utf8), Array("ab".utf8), Array("abcd".utf8), Array("hello world ".utf8), Array(0...255),
        ]
        for count in [21, 22, 23, 24, 25, 26, 30, 33, 44, 45, 63, 64, 100, 1000, 8192, 16383, 16384, 20000, 100_000] {
            for alphabet in alphabets {
                samples.append((0..<count).map { _ in alphabet.randomElement(using: &random)! })
            }
            // Words: long repeats at varied distances.
            let words = ["hello", "world", "hello world", "aaaa", "switchboard", "\u{0}"].map { Array($0.utf8) }
            var text: [UInt8] = []
            while text.count < count { text += words.randomElement(using: &random)! }
            samples.append(Array(text.prefix(count)))
        }
        return samples
    }()

    @Test func payloadsAreByteIdenticalToRedis() async throws {
        guard let redis = try await Self.startRedis() else { return }
        defer { redis.stop() }
        let connection = try await RESPTestConnection.connect(port: redis.port)
        for sample in Self.samples {
            let payload = try await Self.dump(sample, on: connection)
            let value = StringValue(sample)
            #expect(DumpPayload.encode(.string(value)) == payload, "\(Self.describe(sample))")
            // An `int` string (what INCR leaves) writes the same bytes as its text.
            if let integer = value.integerValue {
                #expect(DumpPayload.encode(.string(StringValue(integer: integer))) == payload)
            }
            #expect(payload.withUnsafeBytes { DumpPayload.decode($0) } == .success(.string(value)))
        }
        // `rdbcompression no`: long strings stay plain.
        #expect(try await connection.call(["CONFIG", "SET", "rdbcompression", "no"]).description == "+OK\\r\\n")
        for sample in Self.samples where sample.count > 20 {
            let payload = try await Self.dump(sample, on: connection)
            #expect(DumpPayload.encode(.string(StringValue(sample)), compression: false) == payload)
        }
        await connection.close()
    }

    /// Corrupt payloads, re-signed so that they reach the data decoder: `RESTORE` answers with
    /// Redis's words, and restores the same value when Redis does.
    @Test func corruptPayloadsGetRedisReplies() async throws {
        guard let redis = try await Self.startRedis() else { return }
        defer { redis.stop() }
        let broker = try await TestBroker.start()
        let servers = [
            try await RESPTestConnection.connect(port: redis.port),
            try await RESPTestConnection.connect(port: broker.port),
        ]
        var random = SeededRandomNumberGenerator(seed: 5)
        let originals = [Array("12345".utf8), Array("v".utf8), Array(String(repeating: "dump ", count: 40).utf8)].map {
            DumpPayload.encode(.string(StringValue($0)))
        }
        var restored = 0
        for round in 0..<400 {
            var body = Array(originals[round % originals.count].dropLast(DumpPayload.footerCount))
            if round % 4 == 0 {
                body = Array(body.prefix(Int.random(in: 0...body.count, using: &random)))
            } else {
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    body[Int.random(in: 0..<body.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
                // Mostly keep the string type byte, so the string decoder is what gets exercised.
                if round % 3 != 0 { body[0] = 0 }
            }
            var payload = DumpCodecTests.signed(body)
            if round % 10 == 0 { payload[payload.count - 1] ^= 0x40 }  // and a few bad checksums
            var replies: [String] = []
            for server in servers {
                let restore = try await server.call(bytes: [
                    Array("RESTORE".utf8), Array("k".utf8), Array("0".utf8), payload, Array("REPLACE".utf8),
                ])
                let get = try await server.call(["GET", "k"])
                replies.append("\(restore) \(get)")
            }
            #expect(replies[1] == replies[0], "payload \(payload)")
            if replies[0].hasPrefix("+OK") { restored += 1 }
        }
        #expect(restored > 0)
        for server in servers { await server.close() }
        try await broker.stop()
    }

    /// A value carried both ways: `DUMP` on redis-server and `RESTORE` into the broker, and back.
    @Test func payloadsCrossBetweenRedisAndBroker() async throws {
        guard let redis = try await Self.startRedis() else { return }
        defer { redis.stop() }
        let broker = try await TestBroker.start()
        let redisConnection = try await RESPTestConnection.connect(port: redis.port)
        let brokerConnection = try await RESPTestConnection.connect(port: broker.port)
        for (from, to) in [(redisConnection, brokerConnection), (brokerConnection, redisConnection)] {
            for (i, sample) in Self.samples.enumerated() {
                let payload = try await Self.dump(sample, on: from)
                let key = Array("copy\(i)".utf8)
                let restore = try await to.call(bytes: [Array("RESTORE".utf8), key, Array("0".utf8), payload])
                #expect(restore.description == "+OK\\r\\n")
                let get = try await to.call(bytes: [Array("GET".utf8), key])
                #expect(get.value == .bulkString(ByteBuffer(bytes: sample)), "\(Self.describe(sample))")
            }
        }
        await redisConnection.close()
        await brokerConnection.close()
        try await broker.stop()
    }

    static func startRedis() async throws -> RedisServerProcess? {
        guard RedisServerProcess.isAvailable else {
            print("skipped: redis-server is not installed (CI installs it)")
            return nil
        }
        return try await RedisServerProcess.start()
    }

    /// Stores `value` at `k` on `connection`'s server and returns the server's `DUMP` of it.
    static func dump(_ value: [UInt8], on connection: RESPTestConnection) async throws -> [UInt8] {
        let set = try await connection.call(bytes: [Array("SET".utf8), Array("k".utf8), value])
        #expect(set.description == "+OK\\r\\n")
        let reply = try await connection.call(["DUMP", "k"])
        guard case .bulkString(let buffer) = reply.value else {
            Issue.record("DUMP replied \(reply)")
            return []
        }
        return Array(buffer.readableBytesView)
    }

    static func describe(_ sample: [UInt8]) -> String {
        "\(sample.count) bytes: \(RESPTestConnection.escape(ByteBuffer(bytes: sample.prefix(40))))"
    }
}
