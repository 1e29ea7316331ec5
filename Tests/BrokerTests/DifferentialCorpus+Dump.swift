import Foundation
import NIOCore
import TestSupport

extension DifferentialCorpus {
    /// `DUMP` and `RESTORE`: payloads byte for byte, every option and error, TTLs (checked through
    /// `TTL`, rounded to seconds, never exact `PTTL`), keyspace events and RESP3.
    ///
    /// `RESTORE` is fed the payloads the same server's `DUMP` gave in the same session, and
    /// handcrafted payloads signed with a valid footer (``DumpCodecTests/signed(_:version:)``) so that
    /// the data decoder, not only the checksum, is what refuses them.
    static let dump: [DifferentialCase] = [
        DifferentialCase(name: "DUMP of every string encoding and size class", normalize: clientID) { s in
            try await s.call("DUMP", "missing")
            for value in dumpSamples {
                try await s.call(bytes: [Array("SET".utf8), Array("k".utf8), value])
                try await s.call("DUMP", "k")
            }
            try await s.call("DUMP")
            try await s.call("DUMP", "a", "b")
            try await s.call("SET", "gone", "v", "PXAT", "1")
            try await s.call("DUMP", "gone")
            try await noteStats(s)
            try await s.call("HELLO", "3")
            try await s.call("DUMP", "missing")
            try await s.call("SET", "k", "resp3")
            try await s.call("DUMP", "k")
        },
        DifferentialCase(name: "RESTORE of payloads from DUMP") { s in
            for (i, value) in dumpSamples.enumerated() {
                try await s.call(bytes: [Array("SET".utf8), Array("k".utf8), value])
                let payload = try await dumpPayload(s, "k")
                try await restore(s, "copy\(i)", "0", payload)
                try await s.call("GET", "copy\(i)")
                try await s.call("TTL", "copy\(i)")
                try await restore(s, "copy\(i)", "0", payload)
                try await s.call("DEL", "copy\(i)")
            }
            try await s.call("DBSIZE")
            try await noteStats(s)
        },
        DifferentialCase(name: "RESTORE of 100 KB strings") { s in
            for value in [largeCompressible, largeRandom] {
                try await s.call(bytes: [Array("SET".utf8), Array("big".utf8), value])
                try await s.call("DUMP", "big")
                let payload = try await dumpPayload(s, "big")
                try await restore(s, "copy", "0", payload, "REPLACE")
                try await s.call("GET", "copy")
            }
        },
        DifferentialCase(name: "RESTORE TTL, ABSTTL and REPLACE") { s in
            try await s.call("SET", "src", "value")
            let payload = try await dumpPayload(s, "src")
            try await restore(s, "k", "100000", payload)
            try await s.call("TTL", "k")
            try await restore(s, "k", "0", payload, "REPLACE")
            try await s.call("TTL", "k")
            try await s.call("EXPIRE", "k", "500")
            try await restore(s, "k", "200000", payload, "REPLACE")
            try await s.call("TTL", "k")
            try await restore(s, "k", "0", payload, "REPLACE")
            try await s.call("TTL", "k")
            let inOneHundredSeconds = String(Int64(Date().timeIntervalSince1970 * 1000) + 100_000)
            try await restore(s, "k", inOneHundredSeconds, payload, "REPLACE", "ABSTTL")
            try await s.call("TTL", "k")
            try await restore(s, "k", "0", payload, "REPLACE", "ABSTTL")
            try await s.call("TTL", "k")
            // A deadline already past: OK, and no key (a replaced one is deleted).
            try await restore(s, "k", "1", payload, "REPLACE", "ABSTTL")
            try await s.call("EXISTS", "k")
            try await restore(s, "new", "1", payload, "ABSTTL")
            try await s.call("EXISTS", "new")
            try await restore(s, "new", "1000000000000", payload, "ABSTTL")
            try await s.call("EXISTS", "new")
            // A relative TTL that overflows when the clock is added lands in the past.
            try await restore(s, "new", "9223372036854775807", payload)
            try await s.call("EXISTS", "new")
            try await restore(s, "new", "9223372036854775807", payload, "ABSTTL")
            try await s.call("GET", "new")
            try await restore(s, "new", "9223372036854775", payload, "REPLACE")
            try await s.call("TTL", "new")
            // An expired key is not in the way.
            try await s.call("SET", "old", "v", "PXAT", "1")
            try await restore(s, "old", "0", payload)
            try await s.call("GET", "old")
            try await callPipelined(
                s,
                bytes: [
                    ["SET", "old", "v", "PXAT", "1"].map { Array($0.utf8) },
                    ["RESTORE", "old", "0"].map { Array($0.utf8) } + [payload, Array("REPLACE".utf8)],
                ])
            try await s.call("GET", "old")
            // Other databases.
            try await s.call("SELECT", "1")
            try await restore(s, "k", "0", payload)
            try await s.call("GET", "k")
            try await s.call("DBSIZE")
            try await s.call("SELECT", "0")
            try await s.call("DBSIZE")
            try await noteStats(s)
        },
        DifferentialCase(name: "RESTORE options and errors", normalize: clientID) { s in
            try await s.call("SET", "src", "12345")
            let payload = try await dumpPayload(s, "src")
            try await restore(s, "src", "0", payload)
            try await restore(s, "src", "abc", payload)
            try await restore(s, "src", "-1", payload, "REPLACE")
            try await restore(s, "new", "-1", payload)
            try await restore(s, "new", "abc", payload)
            try await restore(s, "new", "1.5", payload)
            try await restore(s, "new", " 1", payload)
            try await restore(s, "new", "9223372036854775808", payload)
            try await restore(s, "new", "abc", payload, "FOO")
            try await restore(s, "src", "0", payload, "REPLACE", "FOO")
            for options in [
                ["IDLETIME"], ["IDLETIME", "-1"], ["IDLETIME", "x"], ["IDLETIME", "1.0"], ["FREQ"], ["FREQ", "256"],
                ["FREQ", "-1"], ["FREQ", "x"], ["FREQ", "1", "IDLETIME", "1"], ["IDLETIME", "1", "FREQ", "1"],
                ["IDLETIME", "-1", "FREQ", "300"], ["FREQ", "300", "IDLETIME", "-1"], ["IDLETIME", "1", "FOO"],
                ["ABSTTL", "ABSTTL", "FOO"], ["REPLACE", "IDLETIME"],
            ] {
                try await restore(s, "new", "0", payload, options)
                try await s.call("EXISTS", "new")
            }
            for options in [
                ["IDLETIME", "1", "IDLETIME", "2"], ["FREQ", "0", "freq", "255"], ["idletime", "0"],
                ["IDLETIME", "9223372036854775807"], ["FREQ", "255", "REPLACE", "ABSTTL"], ["replace"],
                ["REPLACE\u{0}junk"], ["REPLACE", "REPLACE"],
            ] {
                try await restore(s, "new", "0", payload, ["REPLACE"] + options)
                try await s.call("GET", "new")
            }
            try await s.call("RESTORE", "k")
            try await s.call("RESTORE", "k", "0")
            try await s.call("restore", "k", "0", "junk")
            try await s.call("RESTORE", "k", "0", "")
            try await s.call("RESTORE", "k", "0", "123456789")
            try await s.call("RESTORE", "src", "0", "junk", "REPLACE")
            var corrupt = payload
            corrupt[1] ^= 0x01
            try await restore(s, "k", "0", corrupt)
            for (name, body) in handcraftedPayloads {
                s.note(name)
                try await restore(s, "k", "0", DumpCodecTests.signed(body), "REPLACE")
                try await s.call("GET", "k")
            }
            // A newer RDB version, with a valid checksum; older ones are read.
            for version: UInt16 in [11, 256, 9, 0] {
                try await restore(s, "k", "0", DumpCodecTests.signed([0x00, 0x01, 0x41], version: version), "REPLACE")
            }
            try await s.call("HELLO", "3")
            try await restore(s, "src", "0", payload)
            try await restore(s, "k", "0", Array("junk".utf8), "REPLACE")
            try await restore(s, "k", "0", payload, "REPLACE")
        },
        DifferentialCase(name: "keyspace events of DUMP and RESTORE") { s in
            try await s.call("PSUBSCRIBE", "__key*__:*", on: 1)
            try await s.call("SET", "src", "v")
            let payload = try await dumpPayload(s, "src")
            try await s.call("CONFIG", "SET", "notify-keyspace-events", "KEAnm")
            try await s.call("DUMP", "missing")
            try await s.read(2, on: 1)
            try await s.call("DUMP", "src")
            try await restore(s, "k", "0", payload)
            try await s.read(4, on: 1)
            try await restore(s, "k", "100000", payload, "REPLACE")
            try await s.read(4, on: 1)
            try await restore(s, "k", "0", payload)
            try await restore(s, "k", "1", payload, "REPLACE", "ABSTTL")
            try await s.read(2, on: 1)
            try await restore(s, "k", "1", payload, "ABSTTL")
            try await restore(s, "k", "0", Array("junk".utf8))
            try await s.call("SET", "old", "v", "PXAT", "1")
            try await s.read(6, on: 1)
            try await restore(s, "old", "0", payload)
            try await s.read(6, on: 1)
            // In one write, so only RESTORE meets the expired key (no `expired` event for it).
            try await callPipelined(
                s,
                bytes: [
                    ["SET", "old", "v", "PXAT", "1"].map { Array($0.utf8) },
                    ["RESTORE", "old", "0"].map { Array($0.utf8) } + [payload, Array("REPLACE".utf8)],
                ])
            try await s.read(8, on: 1)
            try await s.call("CONFIG", "SET", "notify-keyspace-events", "Eg")
            try await restore(s, "k2", "0", payload)
            try await s.read(on: 1)
            try await s.call("PING", on: 1)
        },
    ]

    /// Strings of every encoding and size class `DUMP` writes differently.
    static let dumpSamples: [[UInt8]] = {
        var samples = [
            "", "0", "-0", "007", "-1", "127", "-128", "128", "32767", "-32768", "32768", "2147483647", "-2147483648",
            "2147483648", "12345678901", "9223372036854775807", "-9223372036854775808", "9223372036854775808", "v",
            "hello world", "aaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaa", String(repeating: "abc", count: 15),
            String(repeating: "x", count: 100), String(repeating: "0123456789", count: 2000),
        ].map { Array($0.utf8) }
        samples.append(Array(UInt8.min...UInt8.max))
        var random = SeededRandomNumberGenerator(seed: 17)
        for count in [21, 45, 64, 300, 16384] {
            samples.append((0..<count).map { _ in UInt8.random(in: 0...255, using: &random) })
        }
        return samples
    }()

    /// About 100 KB of text with repeats (LZF path).
    static let largeCompressible: [UInt8] = {
        var random = SeededRandomNumberGenerator(seed: 100)
        let words = ["switch", "board", "redis", "dump", "restore", " ", "\n", "payload"].map { Array($0.utf8) }
        var text: [UInt8] = []
        while text.count < 100_000 { text += words.randomElement(using: &random)! }
        return text
    }()

    /// 100 000 random bytes (stored plain: LZF does not shrink them).
    static let largeRandom: [UInt8] = {
        var random = SeededRandomNumberGenerator(seed: 101)
        return (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &random) }
    }()

    /// Payload bodies (before the footer) that load, or that Redis refuses as `Bad data format`.
    static let handcraftedPayloads: [(String, [UInt8])] = [
        ("LZF with lengths 0 and 0", [0x00, 0xC3, 0x00, 0x00]),
        ("LZF of nothing announcing 1 byte", [0x00, 0xC3, 0x00, 0x01]),
        ("LZF of junk announcing 0 bytes", [0x00, 0xC3, 0x01, 0x00, 0x55]),
        ("LZF announcing more than it holds", [0x00, 0xC3, 0x02, 0x05, 0x20, 0x41]),
        ("LZF reference before the start", [0x00, 0xC3, 0x02, 0x03, 0x20, 0x00]),
        ("LZF compressed length past the end", [0x00, 0xC3, 0x40, 0xFF, 0x05, 0x00, 0x41]),
        ("string running into the footer", [0x00, 0x0A]),
        ("string running past the end", [0x00, 0x0B]),
        ("bytes after the object", [0x00, 0x01, 0x41, 0x42, 0x43]),
        ("8-bit integer from the footer", [0x00, 0xC0]),
        ("16-bit integer", [0x00, 0xC1, 0x00, 0x80]),
        ("32-bit integer", [0x00, 0xC2, 0xFF, 0xFF, 0xFF, 0x7F]),
        ("unknown string encoding", [0x00, 0xC4]),
        ("unknown length encoding", [0x00, 0x82, 0x00]),
        ("32-bit length", [0x00, 0x80, 0x00, 0x00, 0x00, 0x01, 0x41]),
        ("32-bit length cut short", [0x00, 0x80, 0x00, 0x00]),
        ("64-bit length beyond memory", [0x00, 0x81, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
        ("14-bit length", [0x00, 0x40, 0x01, 0x41]),
        ("no object", []),
        ("unknown type 8", [0x08, 0x01, 0x41]),
        ("unknown type 20", [0x14, 0x01, 0x41]),
        ("empty list of type 1", [0x01, 0x00]),
    ]

    /// The payload `DUMP key` gives on connection 0 (not recorded: the same server's bytes are fed
    /// back to it, and the `DUMP` cases compare payloads).
    static func dumpPayload(_ s: TranscriptSession, _ key: String) async throws -> [UInt8] {
        let reply = try await s.connection().call(["DUMP", key])
        guard case .bulkString(let buffer) = reply.value else {
            s.note("DUMP \(key) replied \(reply)")
            return []
        }
        return Array(buffer.readableBytesView)
    }

    /// Sends `RESTORE key ttl payload options…` and records the reply.
    static func restore(
        _ s: TranscriptSession, _ key: String, _ ttl: String, _ payload: [UInt8], _ options: String...
    ) async throws {
        try await restore(s, key, ttl, payload, options)
    }

    /// Sends `RESTORE key ttl payload options…` and records the reply.
    static func restore(
        _ s: TranscriptSession, _ key: String, _ ttl: String, _ payload: [UInt8], _ options: [String]
    ) async throws {
        try await s.call(
            bytes: [Array("RESTORE".utf8), Array(key.utf8), Array(ttl.utf8), payload] + options.map { Array($0.utf8) })
    }
}
