import Foundation
import NIOCore
import RESP
import Testing
import TestSupport

/// redis-cli's keyspace tools against the broker: `--scan` (with `--pattern` and
/// `--quoted-pattern`), `--bigkeys`, `--memkeys` and `--memkeys-samples`, over a few thousand keys
/// that include spaces, NUL bytes, newlines, bytes that are not UTF-8, glob characters and the
/// empty key. Keys are read back from `--no-raw` output, whose `sdscatrepr` quoting keeps every
/// byte (raw output ends a key at a NUL). redis-cli 7.0 has no `--count` (it came with 7.2); SCAN's
/// COUNT is exercised in `ScanConsistencyTests`. The tests run one at a time, for the reason
/// `ScanConsistencyTests` gives.
@Suite(.serialized, .enabled(if: RedisCLI.isAvailable, Comment(rawValue: RedisCLI.unavailableReason)))
struct RedisCLIKeyspaceTests {
    /// One key and its value.
    struct Entry: Sendable {
        var key: [UInt8]
        var value: [UInt8]
    }

    /// The one key whose value is longer than any other (10,000 bytes, other values at most 40),
    /// so it is the biggest string both by `STRLEN` and by `MEMORY USAGE`, on any server.
    static let biggestKey = Array("user:the biggest value".utf8)

    /// What every test loads: 2,000 `user:N` and 1,000 `session:N` keys with seeded values (some
    /// numbers, which Redis stores as integers), keys with spaces, binary keys and the biggest.
    static let entries: [Entry] = {
        var generator = SeededRandomNumberGenerator(seed: 2024)
        func value() -> [UInt8] {
            if generator.next() % 5 == 0 { return Array(String(generator.next() % 1_000_000).utf8) }
            let letters = Array("abcdefghijklmnopqrstuvwxyz".utf8)
            return (0..<Int(generator.next() % 41)).map { _ in letters[Int(generator.next() % 26)] }
        }
        var entries: [Entry] = []
        for i in 0..<2000 { entries.append(Entry(key: Array("user:\(i)".utf8), value: value())) }
        for i in 0..<1000 { entries.append(Entry(key: Array("session:\(i)".utf8), value: value())) }
        for i in 0..<40 {
            entries.append(Entry(key: Array("user:with space \(i)".utf8), value: value()))
            entries.append(Entry(key: Array("key with spaces \(i)".utf8), value: value()))
        }
        let binary: [[UInt8]] = [
            [], [0], [0, 0], Array("user:\0nul".utf8), Array("user:new\nline".utf8), Array("cr\r\nlf".utf8),
            Array("tab\there".utf8), Array("quote\"and\\backslash".utf8), [0xFF, 0xFE], [0x80],
            Array("user:\u{7F}".utf8), Array("user:\u{7}\u{8}".utf8), Array("é".utf8), Array("e\u{301}".utf8),
            Array("user:é".utf8), Array("*".utf8), Array("user:*".utf8), Array("user:?".utf8),
            Array("[brackets]".utf8), Array("user:[1]".utf8), Array(" leading space".utf8),
            Array("trailing space ".utf8), [0x75, 0x73, 0x65, 0x72, 0x3A, 0xC3],  // "user:" and half a character
        ]
        for key in binary { entries.append(Entry(key: key, value: value())) }
        entries.append(Entry(key: biggestKey, value: Array(repeating: UInt8(ascii: "x"), count: 10_000)))
        return entries
    }()

    static let allKeys = Set(entries.map(\.key))

    /// Keys as readable text for failure messages (CR, LF and other bytes escaped), at most 10.
    static func show<Keys: Collection<[UInt8]>>(_ keys: Keys) -> String {
        let shown = keys.prefix(10).map { "\"\(RESPTestConnection.escape(ByteBuffer(bytes: $0)))\"" }
        return "[" + shown.joined(separator: ", ") + (keys.count > 10 ? ", … \(keys.count) in all]" : "]")
    }

    /// Sets every entry on the server at `port`, a thousand commands per write.
    static func load(port: Int) async throws {
        let connection = try await RESPTestConnection.connect(port: port)
        for start in stride(from: 0, to: entries.count, by: 1000) {
            let batch = entries[start..<min(start + 1000, entries.count)]
            let replies = try await connection.pipeline(batch.map { [Array("SET".utf8), $0.key, $0.value] })
            let failed = replies.filter { $0.description != "+OK\\r\\n" }
            #expect(failed.isEmpty, "SET replied \(failed.prefix(3))")
        }
        let size = try await connection.call(["DBSIZE"])
        #expect(size.description == ":\(entries.count)\\r\\n")
        await connection.close()
    }

    /// Runs `body` with the ports of a redis-server and a broker that both hold every entry.
    static func withRedisServerAndBroker(_ body: (_ reference: Int, _ broker: Int) async throws -> Void) async throws {
        let reference = try await RedisServerProcess.start()
        defer { reference.stop() }
        try await load(port: reference.port)
        try await TestBroker.with { broker in
            try await load(port: broker.port)
            try await body(reference.port, broker.port)
        }
    }

    /// `redis-cli --no-raw --scan arguments…`: the keys it printed, one per line, in order.
    static func scan(port: Int, _ arguments: [String]) async throws -> [[UInt8]] {
        let result = try await RedisCLI.run(port: port, ["--no-raw", "--scan"] + arguments)
        #expect(result.status == 0, "redis-cli --scan \(arguments) exited with \(result.status): \(result.output)")
        var lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return lines.compactMap { line in
            let key = RedisCLI.unquote(line)
            if key == nil { Issue.record("not a quoted key: \(line.debugDescription)") }
            return key
        }
    }

    /// A `--pattern` (or `--quoted-pattern`) and which keys it should list, decided here by plain
    /// byte tests rather than by a glob matcher, so the broker's matcher is not checked against itself.
    struct PatternCase: Sendable {
        var arguments: [String]
        var matches: @Sendable ([UInt8]) -> Bool
    }

    static let patternCases: [PatternCase] = [
        PatternCase(arguments: ["--pattern", "user:*"]) { $0.starts(with: Array("user:".utf8)) },
        PatternCase(arguments: ["--pattern", "*with space*"]) {
            String(decoding: $0, as: UTF8.self).contains("with space")
        },
        PatternCase(arguments: ["--pattern", "session:1?3"]) {
            $0.count == 11 && $0.starts(with: Array("session:1".utf8)) && $0.last == UInt8(ascii: "3")
        },
        PatternCase(arguments: ["--pattern", #"user:\*"#]) { $0 == Array("user:*".utf8) },
        PatternCase(arguments: ["--pattern", "?"]) { $0.count == 1 },
        PatternCase(arguments: ["--pattern", "no such prefix:*"]) { _ in false },
        PatternCase(arguments: ["--quoted-pattern", #""*\x00*""#]) { $0.contains(0) },
        PatternCase(arguments: ["--quoted-pattern", #""*\n*""#]) { $0.contains(0x0A) },
        PatternCase(arguments: ["--quoted-pattern", #""*\xc3\xa9""#]) { $0.suffix(2) == [0xC3, 0xA9] },
    ]

    /// `--scan` lists every key; with a pattern, exactly the keys that match; raw output (a pipe,
    /// no `--no-raw`) as scripts read it. One broker serves all of them: loading the keys is most
    /// of the work, and the debug-built broker shares two cores with the rest of the suite.
    @Test func scanListsKeys() async throws {
        try await TestBroker.with { broker in
            try await Self.load(port: broker.port)
            let listed = Set(try await Self.scan(port: broker.port, []))
            let unknown = listed.subtracting(Self.allKeys)
            let missing = Self.allKeys.subtracting(listed)
            #expect(unknown.count == 0, "listed but never set: \(Self.show(unknown))")
            #expect(missing.count == 0, "never listed: \(Self.show(missing))")

            for pattern in Self.patternCases {
                let listed = Set(try await Self.scan(port: broker.port, pattern.arguments))
                let expected = Self.allKeys.filter(pattern.matches)
                let unexpected = listed.subtracting(expected)
                let missing = expected.subtracting(listed)
                #expect(
                    unexpected.count == 0, "\(pattern.arguments): listed but not matching: \(Self.show(unexpected))")
                #expect(missing.count == 0, "\(pattern.arguments): matching but never listed: \(Self.show(missing))")
            }

            let result = try await RedisCLI.run(port: broker.port, ["--scan", "--pattern", "session:*"])
            #expect(result.status == 0)
            let lines = result.output.split(separator: "\n").map(String.init)
            #expect(Set(lines) == Set((0..<1000).map { "session:\($0)" }))
        }
    }

    /// The same patterns, glob corners included, list the same keys on redis-server.
    @Test(.enabled(if: RedisServerProcess.isAvailable, "redis-server is not installed; CI installs it"))
    func scanAgreesWithRedisServer() async throws {
        try await Self.withRedisServerAndBroker { reference, broker in
            let invocations: [[String]] =
                [[]] + Self.patternCases.map(\.arguments) + [
                    ["--pattern", "user:[^0-9]*"], ["--pattern", "*[a-c]"], ["--pattern", "se??ion:4*"],
                    ["--pattern", #"*\\*"#], ["--pattern", "user:[1]"], ["--pattern", #"user:\[1\]"#],
                    ["--pattern", "[[]*"], ["--pattern", "*[0-9][0-9][0-9]"], ["--pattern", "*e"],
                    ["--quoted-pattern", #""user:\xc3""#], ["--quoted-pattern", #""[\x80-\xff]*""#],
                ]
            for arguments in invocations {
                let expected = Set(try await Self.scan(port: reference, arguments))
                let actual = Set(try await Self.scan(port: broker, arguments))
                let onlyBroker = actual.subtracting(expected)
                let onlyRedis = expected.subtracting(actual)
                #expect(onlyBroker.count == 0, "--scan \(arguments): only on the broker \(Self.show(onlyBroker))")
                #expect(onlyRedis.count == 0, "--scan \(arguments): only on redis-server \(Self.show(onlyRedis))")
            }
        }
    }

    /// What `--bigkeys` and `--memkeys` print after `-------- summary -------`.
    struct Summary {
        var sampled: Int?
        var biggestString: (key: [UInt8], size: Int)?
        var lines: [String]

        init(_ output: String) {
            lines = output.split(separator: "\n").map(String.init)
            if let match = output.firstMatch(of: #/\nSampled (\d+) keys in the keyspace!\n/#) {
                sampled = Int(match.1)
            }
            if let match = output.firstMatch(of: #/\nBiggest string found '(".*")' has (\d+) bytes\n/#),
                let key = RedisCLI.unquote(match.1), let size = Int(match.2)
            {
                biggestString = (key, size)
            }
        }
    }

    /// `--bigkeys` (sizes by `STRLEN`) and `--memkeys` (sizes by `MEMORY USAGE`, with and without
    /// `SAMPLES`) finish with status 0, no error, every key sampled and the right biggest string.
    @Test func bigkeysAndMemkeys() async throws {
        try await TestBroker.with { broker in
            try await Self.load(port: broker.port)
            let count = Self.entries.count
            let result = try await RedisCLI.run(port: broker.port, ["--bigkeys"])
            #expect(result.status == 0)
            #expect(!result.output.lowercased().contains("error"), "\(result.output)")
            let summary = Summary(result.output)
            #expect(summary.sampled == count)
            #expect(
                summary.biggestString.map { Self.show([$0.key]) } == Self.show([Self.biggestKey]), "\(result.output)")
            #expect(summary.biggestString?.size == 10_000)
            let keyBytes = Self.entries.reduce(0) { $0 + $1.key.count }
            let valueBytes = Self.entries.reduce(0) { $0 + $1.value.count }
            func average(_ total: Int) -> String { String(format: "%.2f", Double(total) / Double(count)) }
            #expect(summary.lines.contains("Total key length in bytes is \(keyBytes) (avg len \(average(keyBytes)))"))
            #expect(
                summary.lines.contains(
                    "\(count) strings with \(valueBytes) bytes (100.00% of keys, avg size \(average(valueBytes)))"),
                "\(result.output)")
            #expect(summary.lines.contains("0 lists with 0 items (00.00% of keys, avg size 0.00)"))

            for arguments in [["--memkeys"], ["--memkeys-samples", "0"], ["--memkeys-samples", "5"]] {
                let result = try await RedisCLI.run(port: broker.port, arguments)
                #expect(result.status == 0, "\(arguments)")
                #expect(!result.output.lowercased().contains("error"), "\(arguments): \(result.output)")
                let summary = Summary(result.output)
                #expect(summary.sampled == count, "\(arguments)")
                #expect(
                    summary.biggestString.map { Self.show([$0.key]) } == Self.show([Self.biggestKey]),
                    "\(arguments): \(result.output)")
                #expect(
                    (summary.biggestString?.size ?? 0) > 10_000, "the value alone is 10,000 bytes: \(result.output)")
                #expect(summary.lines.contains { $0.hasPrefix("\(count) strings with ") }, "\(arguments)")
            }

            // The premise, checked on the broker directly: no other key uses as much memory.
            let connection = try await RESPTestConnection.connect(port: broker.port)
            let usages = try await connection.pipeline(
                Self.entries.map { [Array("MEMORY".utf8), Array("USAGE".utf8), $0.key] }, timeout: .seconds(30))
            var largestOther = 0
            for (entry, usage) in zip(Self.entries, usages) {
                guard case .integer(let n) = usage.value else {
                    Issue.record("MEMORY USAGE \(Self.show([entry.key])) replied \(usage)")
                    continue
                }
                if entry.key != Self.biggestKey { largestOther = max(largestOther, Int(n)) }
            }
            #expect(largestOther < 10_000)
            await connection.close()
        }
    }

    /// The same data on redis-server gives the same report where the two should agree: the text
    /// around the results, the number of keys sampled, the total and average key length, the
    /// biggest string's name, and for `--bigkeys` (lengths by `STRLEN`) every size. The progress
    /// lines (`[12.34%] Biggest … so far`) are left out: they follow SCAN's order, which depends on
    /// each server's randomly seeded hash. So are `--memkeys`' byte counts: `MEMORY USAGE` reports
    /// each server's own allocation (Redis's robj, sds and dictEntry sizes under jemalloc, the
    /// broker's arena entries), which are meant to differ; they are masked as `#`.
    @Test(.enabled(if: RedisServerProcess.isAvailable, "redis-server is not installed; CI installs it"))
    func bigkeysAndMemkeysAgreeWithRedisServer() async throws {
        try await Self.withRedisServerAndBroker { reference, broker in
            let invocations = [
                ["--bigkeys"], ["--bigkeys", "--pattern", "user:*"], ["--memkeys"], ["--memkeys-samples", "0"],
                ["--memkeys", "--pattern", "user:*"],
            ]
            for arguments in invocations {
                let expected = try await RedisCLI.run(port: reference, arguments)
                let actual = try await RedisCLI.run(port: broker, arguments)
                #expect(actual.status == expected.status, "\(arguments)")
                let memory = arguments.contains { $0.hasPrefix("--memkeys") }
                func comparable(_ output: String) -> [String] {
                    output.split(separator: "\n").filter { !$0.hasPrefix("[") }.map { line in
                        guard memory else { return String(line) }
                        return String(line).replacing(#/(has|with) \d+ bytes/#) { "\($0.1) # bytes" }
                            .replacing(#/avg size [\d.]+/#) { _ in "avg size #" }
                    }
                }
                #expect(
                    comparable(actual.output) == comparable(expected.output),
                    "\(arguments):\n\(actual.output)\n---\n\(expected.output)")
                #expect(
                    Summary(actual.output).biggestString.map { Self.show([$0.key]) } == Self.show([Self.biggestKey]),
                    "\(arguments)")
            }
        }
    }
}
