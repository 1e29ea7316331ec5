import NIOCore
import RESP
import TestSupport

extension DifferentialCorpus {
    /// `GET`, `SET`, `DEL`, `EXISTS`, `TYPE`, `TTL`, `PTTL`, `EXPIRE` and friends, `PERSIST`.
    ///
    /// Expiry is tested without sleeping: deadlines in the past (`PXAT 1`, `EXPIRE k -1`) must
    /// delete, and deadlines far in the future are checked through `TTL` (rounded to seconds, so
    /// the few milliseconds between the two runs do not show) or through a range check of `PTTL`
    /// recorded as a note (`notePTTL`), never by normalizing digits away.
    static let strings: [DifferentialCase] = [
        DifferentialCase(name: "GET and SET", normalize: clientID) { s in
            try await s.call("GET", "k")
            try await s.call("SET", "k", "v")
            try await s.call("GET", "k")
            try await s.call("SET", "k", "")
            try await s.call("GET", "k")
            try await s.call("SET", "k", "12345")
            try await s.call("GET", "k")
            for value in [
                "-0", "007", "-9223372036854775808", "9223372036854775808", " 1", String(repeating: "x", count: 100),
            ] {
                try await s.call("SET", "k", value)
                try await s.call("GET", "k")
            }
            try await s.call("GET")
            try await s.call("GET", "k", "extra")
            try await s.call("SET", "k")
            try await s.call("SET", "k", "v", "extra")
            try await s.call("set", "k", "v", "get", "nx")
            try await s.call("HELLO", "3")
            try await s.call("GET", "missing")
            try await s.call("SET", "k", "v", "XX", "GET")
            try await s.call("SET", "missing", "v", "XX")
        },
        DifferentialCase(name: "SET NX, XX and GET") { s in
            try await s.call("SET", "k", "v1", "NX")
            try await s.call("SET", "k", "v2", "NX")
            try await s.call("GET", "k")
            try await s.call("SET", "k", "v3", "xx")
            try await s.call("SET", "other", "v", "XX")
            try await s.call("EXISTS", "other")
            try await s.call("SET", "k", "v", "NX", "XX")
            try await s.call("SET", "k", "v", "XX", "NX")
            try await s.call("SET", "k", "v", "NX", "NX")
            try await s.call("SET", "k", "v4", "GET")
            try await s.call("SET", "k", "v5", "NX", "GET")
            try await s.call("SET", "k", "v6", "XX", "GET")
            try await s.call("SET", "fresh", "v", "GET")
            try await s.call("SET", "fresh2", "v", "XX", "GET")
            try await s.call("GET", "fresh2")
            try await s.call("SET", "k", "v", "GET", "GET")
            try await s.call("GET", "k")
            // Redis compares option words as C strings: a NUL ends the word.
            try await s.call("SET", "k", "v7", "XX\u{0}junk")
            try await s.call("SET", "k", "v8", "X")
            try await s.call("SET", "k", "v9", "NXX")
            try await s.call("SET", "k", "v10", "")
            try await s.call("GET", "k")
        },
        DifferentialCase(name: "SET expiry options and their errors") { s in
            try await s.call("SET", "k", "v", "EX", "100")
            try await s.call("TTL", "k")
            try await s.call("SET", "k", "v", "PX", "100000")
            try await s.call("TTL", "k")
            try await s.call("SET", "k", "v", "EX", "1", "EX", "200")
            try await s.call("TTL", "k")
            try await s.call("SET", "k", "v2", "KEEPTTL")
            try await s.call("TTL", "k")
            try await s.call("GET", "k")
            try await s.call("SET", "k", "v3")
            try await s.call("TTL", "k")
            try await s.call("SET", "new", "v", "KEEPTTL")
            try await s.call("TTL", "new")
            for bad in [
                ["EX", "10", "PX", "10"], ["PX", "10", "EX", "10"], ["EX", "10", "EXAT", "10"],
                ["PXAT", "10", "EXAT", "10"], ["KEEPTTL", "EX", "10"], ["EX", "10", "KEEPTTL"],
                ["PXAT", "10", "KEEPTTL"], ["EX"], ["PX"], ["EXAT"], ["PXAT"], ["NX", "EX"], ["PERSIST"],
                ["EX", "0"], ["EX", "-1"], ["PX", "0"], ["PX", "-5"], ["EXAT", "0"], ["PXAT", "-1"],
                ["EX", "abc"], ["PX", "1.5"], ["EX", " 10"], ["EX", "9223372036854775808"],
                ["EX", "9223372036854775807"], ["EX", "9223372036854776"], ["EXAT", "9223372036854775807"],
                ["PX", "9223372036854775807"], ["EX", "-9223372036854775808"], ["PX", "-9223372036854775808"],
            ] {
                try await s.call(["SET", "bad", "v"] + bad)
            }
            try await s.call("EXISTS", "bad")
            // EX's largest value passes the multiplication but overflows when now is added; the
            // absolute forms take the largest deadlines.
            try await s.call("SET", "big", "v", "EX", "9223372036854775")
            try await s.call("GET", "big")
            try await s.call("SET", "big", "v", "PXAT", "9223372036854775807")
            try await s.call("GET", "big")
            try await s.call("SET", "big", "v", "EXAT", "9223372036854775")
            try await s.call("GET", "big")
            try await s.call("set", "k", "v", "ex", "100", "nx")
            try await s.call("set", "k", "v", "px", "100000", "xx", "get")
            try await s.call("TTL", "k")
        },
        DifferentialCase(name: "SET with a deadline in the past") { s in
            try await s.call("SET", "k", "v", "PXAT", "1")
            try await s.call("GET", "k")
            try await s.call("SET", "k", "v", "EXAT", "1")
            try await s.call("EXISTS", "k")
            try await s.call("SET", "k", "v", "EXAT", "1000000000")
            try await s.call("TTL", "k")
            try await s.call("SET", "k", "v", "PXAT", "1", "GET")
            try await s.call("SET", "k", "v", "PXAT", "1")
            try await s.call("SET", "k", "v2", "NX", "GET")
            try await s.call("GET", "k")
            try await s.call("SET", "k", "v", "PXAT", "1")
            try await s.call("SET", "k", "v3", "XX")
            try await s.call("SET", "k", "v", "PXAT", "1")
            try await s.call("SET", "k", "v4", "KEEPTTL")
            try await s.call("TTL", "k")
            try await noteStats(s)
        },
        DifferentialCase(name: "DEL and EXISTS") { s in
            try await s.call("SET", "a", "1")
            try await s.call("SET", "b", "2")
            try await s.call("EXISTS", "a")
            try await s.call("EXISTS", "a", "a", "b", "c", "a")
            try await s.call("DEL", "a", "c", "a")
            try await s.call("DEL", "a")
            try await s.call("EXISTS", "a", "b")
            try await s.call("DEL", "b", "b")
            try await s.call("EXISTS", "b")
            try await s.call("DEL")
            try await s.call("EXISTS")
            try await s.call("SET", "gone", "v", "PXAT", "1")
            try await s.call("DEL", "gone")
            try await s.call("SET", "gone", "v", "PXAT", "1")
            try await s.call("EXISTS", "gone", "gone")
            try await s.call("SET", "", "empty key")
            try await s.call("EXISTS", "")
            try await s.call("GET", "")
            try await s.call("DEL", "")
            try await noteStats(s)
        },
        DifferentialCase(name: "TYPE", normalize: clientID) { s in
            try await s.call("TYPE", "k")
            try await s.call("SET", "k", "v")
            try await s.call("TYPE", "k")
            try await s.call("SET", "k", "42")
            try await s.call("type", "k")
            try await s.call("TYPE")
            try await s.call("TYPE", "k", "x")
            try await s.call("SET", "k", "v", "PXAT", "1")
            try await s.call("TYPE", "k")
            try await s.call("HELLO", "3")
            try await s.call("SET", "k", "v")
            try await s.call("TYPE", "k")
            try await s.call("TYPE", "nope")
        },
        DifferentialCase(name: "TTL, PTTL and PERSIST") { s in
            try await s.call("TTL", "k")
            try await s.call("PTTL", "k")
            try await s.call("SET", "k", "v")
            try await s.call("TTL", "k")
            try await s.call("PTTL", "k")
            try await s.call("PERSIST", "k")
            try await s.call("PERSIST", "missing")
            try await s.call("EXPIRE", "k", "100")
            try await s.call("TTL", "k")
            try await notePTTL(s, "k", within: 99_000...100_000)
            // 2200 ms rounds to 2 s for any delay under 700 ms.
            try await s.call("PEXPIRE", "k", "2200")
            try await s.call("TTL", "k")
            try await notePTTL(s, "k", within: 1_000...2_200)
            try await s.call("PERSIST", "k")
            try await s.call("TTL", "k")
            try await s.call("PERSIST", "k")
            try await s.call("TTL")
            try await s.call("PTTL", "a", "b")
            try await s.call("PERSIST")
            try await s.call("SET", "k", "v", "PXAT", "1")
            try await s.call("PERSIST", "k")
            try await s.call("TTL", "k")
            try await s.call("SET", "k", "v", "PXAT", "1")
            try await s.call("PTTL", "k")
            try await noteStats(s)
        },
        DifferentialCase(name: "EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT") { s in
            try await s.call("EXPIRE", "missing", "100")
            try await s.call("PEXPIREAT", "missing", "1")
            try await s.call("SET", "k", "v")
            try await s.call("EXPIRE", "k", "100")
            try await s.call("TTL", "k")
            try await s.call("EXPIREAT", "k", "99999999999")
            try await notePTTL(s, "k", within: 90_000_000_000...99_999_999_999_000)
            try await s.call("PEXPIREAT", "k", "99999999999999")
            try await notePTTL(s, "k", within: 90_000_000_000_000...99_999_999_999_999)
            try await s.call("EXPIRE", "k", "0")
            try await s.call("EXISTS", "k")
            try await s.call("SET", "k", "v")
            try await s.call("EXPIRE", "k", "-1")
            try await s.call("GET", "k")
            try await s.call("SET", "k", "v")
            try await s.call("PEXPIRE", "k", "-100")
            try await s.call("GET", "k")
            try await s.call("SET", "k", "v")
            try await s.call("EXPIREAT", "k", "1")
            try await s.call("GET", "k")
            try await s.call("SET", "k", "v")
            try await s.call("PEXPIREAT", "k", "0")
            try await s.call("GET", "k")
            try await s.call("SET", "k", "v")
            try await s.call("PEXPIREAT", "k", "-9223372036854775808")
            try await s.call("GET", "k")
            try await s.call("SET", "k", "v")
            try await s.call("PEXPIRE", "k", "-9223372036854775808")
            try await s.call("GET", "k")
            try await s.call("SET", "k", "v")
            for (command, value) in [
                ("EXPIRE", "9223372036854775807"), ("EXPIRE", "-9223372036854775808"), ("EXPIRE", "9223372036854776"),
                ("EXPIRE", "-9223372036854776"), ("EXPIREAT", "9223372036854776"),
                ("PEXPIRE", "9223372036854775807"), ("pexpire", "9223372036854775000"), ("EXPIRE", "abc"),
                ("EXPIRE", "9223372036854775808"), ("PEXPIRE", "1.0"), ("EXPIREAT", ""), ("PEXPIREAT", "+1"),
            ] {
                try await s.call(command, "k", value)
            }
            try await s.call("TTL", "k")
            try await s.call("EXPIREAT", "k", "9223372036854775")
            // The TTL is rounded from milliseconds to the clock, so it is checked as a range.
            try await noteInteger(s, ["TTL", "k"], within: 9_223_370_000_000_000...9_223_372_036_854_775)
            try await s.call("PEXPIREAT", "k", "9223372036854775807")
            try await s.call("GET", "k")
            try await s.call("EXPIRE", "k")
            try await s.call("EXPIRE")
            try await noteStats(s)
        },
        DifferentialCase(name: "EXPIRE NX, XX, GT and LT") { s in
            try await s.call("SET", "k", "v")
            try await s.call("EXPIRE", "k", "100", "XX")
            try await s.call("EXPIRE", "k", "100", "GT")
            try await s.call("TTL", "k")
            try await s.call("EXPIRE", "k", "100", "NX")
            try await s.call("TTL", "k")
            try await s.call("EXPIRE", "k", "200", "NX")
            try await s.call("TTL", "k")
            try await s.call("EXPIRE", "k", "300", "xx")
            try await s.call("TTL", "k")
            try await s.call("EXPIRE", "k", "200", "gt")
            try await s.call("EXPIRE", "k", "400", "GT")
            try await s.call("TTL", "k")
            try await s.call("EXPIRE", "k", "500", "LT")
            try await s.call("EXPIRE", "k", "400", "LT")
            try await s.call("EXPIRE", "k", "350", "lt", "xx")
            try await s.call("TTL", "k")
            try await s.call("EXPIRE", "k", "400", "XX", "GT", "XX")
            try await s.call("TTL", "k")
            try await s.call("PERSIST", "k")
            try await s.call("EXPIRE", "k", "100", "LT")
            try await s.call("TTL", "k")
            try await s.call("PERSIST", "k")
            try await s.call("EXPIRE", "k", "-1", "GT")
            try await s.call("EXISTS", "k")
            try await s.call("EXPIRE", "k", "-1", "LT")
            try await s.call("EXISTS", "k")
            try await s.call("SET", "k", "v", "EX", "100")
            try await s.call("PEXPIREAT", "k", "1", "LT")
            try await s.call("EXISTS", "k")
            try await s.call("EXPIRE", "missing", "100", "NX")
            for options in [
                ["NX", "XX"], ["XX", "NX"], ["NX", "GT"], ["LT", "NX"], ["GT", "LT"], ["lt", "gt"],
                ["NX", "XX", "GT", "LT"],
                ["FOO"], ["nx", "foo"], ["foo", "nx", "xx"], [""], ["N\u{0}X"], ["NX\u{0}junk"], ["a b"], ["NX", "NX"],
            ] {
                try await s.call(["EXPIRE", "k", "100"] + options)
                try await s.call(["PEXPIREAT", "missing", "100"] + options)
            }
            try await s.call("EXPIRE", "k", "abc", "foo")
            try await s.call("EXPIRE", "k", "abc", "NX", "XX")
            try await s.call("EXPIRE", "k", "9223372036854775807", "NX", "XX")
            try await s.call("EXPIRE", "k", "9223372036854775807", "NX")
        },
        DifferentialCase(name: "binary and Unicode keys are distinct byte strings") { s in
            try await s.call("SET", "a\u{0}b", "1")
            try await s.call("SET", "a\u{0}c", "2")
            try await s.call("SET", "a", "3")
            try await s.call("GET", "a\u{0}b")
            try await s.call("GET", "a\u{0}c")
            try await s.call("GET", "a")
            try await s.call("GET", "a\u{0}")
            try await s.call("SET", "\u{0}", "\u{0}\u{0}")
            try await s.call("GET", "\u{0}")
            // "é" precomposed (C3 A9) and decomposed (65 CC 81): equal as Swift Strings, not as keys.
            try await s.call("SET", "caf\u{E9}", "precomposed")
            try await s.call("SET", "cafe\u{301}", "decomposed")
            try await s.call("GET", "caf\u{E9}")
            try await s.call("GET", "cafe\u{301}")
            try await s.call("EXISTS", "caf\u{E9}", "cafe\u{301}", "cafe")
            try await s.call("DEL", "cafe\u{301}")
            try await s.call("GET", "caf\u{E9}")
            try await s.call("EXPIRE", "caf\u{E9}", "100")
            try await s.call("TTL", "caf\u{E9}")
            try await s.call("TTL", "cafe\u{301}")
            // Bytes that are not UTF-8, in keys and values.
            try await s.call(bytes: [Array("SET".utf8), [0xFF, 0xFE, 0x00, 0x80], [0xC3, 0x28, 0xA0]])
            try await s.call(bytes: [Array("GET".utf8), [0xFF, 0xFE, 0x00, 0x80]])
            try await s.call(bytes: [Array("GET".utf8), [0xFF, 0xFE, 0x00]])
            try await s.call(bytes: [Array("TYPE".utf8), [0xFF, 0xFE, 0x00, 0x80]])
            try await s.call(bytes: [Array("SET".utf8), [0xC0, 0x80], [0xFF]])
            try await s.call(bytes: [Array("GET".utf8), [0x00]])
            try await s.call(bytes: [Array("GET".utf8), [0xC0, 0x80]])
            try await s.call(bytes: [Array("PEXPIRE".utf8), [0xC0, 0x80], Array("50000".utf8)])
            try await s.call(bytes: [Array("TTL".utf8), [0xC0, 0x80]])
            try await s.call(bytes: [Array("DEL".utf8), [0xFF, 0xFE, 0x00, 0x80], [0xC0, 0x80], [0xFF]])
            try await s.call("DBSIZE")
        },
        DifferentialCase(name: "keys live in their database") { s in
            try await s.call("SET", "k", "zero")
            try await s.call("SELECT", "1")
            try await s.call("GET", "k")
            try await s.call("SET", "k", "one", "EX", "100")
            try await s.call("DBSIZE")
            try await s.call("SELECT", "0")
            try await s.call("GET", "k")
            try await s.call("TTL", "k")
            try await s.call("DEL", "k")
            try await s.call("SELECT", "1")
            try await s.call("GET", "k")
            try await s.call("TTL", "k")
            try await s.call("FLUSHALL")
            try await s.call("GET", "k")
        },
        DifferentialCase(name: "LCS forms, options and errors", normalize: clientID) { s in
            try await s.call("SET", "a", "ohmytext")
            try await s.call("SET", "b", "mynewtext")
            try await s.call("LCS", "a", "b")
            try await s.call("LCS", "a", "b", "LEN")
            try await s.call("LCS", "a", "b", "IDX")
            try await s.call("LCS", "a", "b", "idx", "withmatchlen")
            try await s.call("LCS", "a", "b", "IDX", "MINMATCHLEN", "3", "WITHMATCHLEN")
            try await s.call("LCS", "a", "b", "IDX", "MINMATCHLEN", "-5")
            try await s.call("LCS", "a", "b", "IDX", "LEN")
            try await s.call("LCS", "a", "b", "MINMATCHLEN")
            try await s.call("LCS", "a", "b", "MINMATCHLEN", "x")
            try await s.call("LCS", "a", "b", "NOPE")
            try await s.call("LCS", "a", "missing")
            try await s.call("LCS", "missing", "other", "IDX")
            try await s.call("LCS", "a")
            try await s.call("HELLO", "3")
            try await s.call("LCS", "a", "b", "IDX", "WITHMATCHLEN")
        },
    ]

    /// Records whether `key`'s PTTL lies in `range` (the exact milliseconds differ between runs).
    static func notePTTL(_ s: TranscriptSession, _ key: String, within range: ClosedRange<Int64>) async throws {
        try await noteInteger(s, ["PTTL", key], within: range)
    }

    /// Records whether the integer reply to `arguments` (sent on connection 0) lies in `range` —
    /// for values that depend on the clock, such as a TTL or an idle time.
    static func noteInteger(
        _ s: TranscriptSession, _ arguments: [String], within range: ClosedRange<Int64>
    )
        async throws
    {
        let reply = try await s.connection().call(arguments)
        let command = arguments.joined(separator: " ")
        if case .integer(let n) = reply.value, range.contains(n) {
            s.note("\(command) within \(range)")
        } else {
            s.note("\(command) = \(reply) not within \(range)")
        }
    }

    /// Records every push connection 1 (subscribed to `__key*__:*`) has received so far: sends
    /// `PING` there and records the replies up to its `pong`, so a missing or extra event shows.
    static func events(_ s: TranscriptSession) async throws {
        let listener = try await s.connection(1)
        try await listener.send(["PING"])
        while true {
            let reply = try await listener.readReply()
            s.note("[1] \(reply.description)")
            if reply.description.contains("$4\\r\\npong\\r\\n") { return }
        }
    }

    /// Records `expired_keys`, `keyspace_hits` and `keyspace_misses` from `INFO stats` (the other
    /// lines differ between servers).
    static func noteStats(_ s: TranscriptSession) async throws {
        let reply = try await s.connection().call(["INFO", "stats"])
        guard case .bulkString(let buffer) = reply.value else {
            s.note("INFO stats: \(reply)")
            return
        }
        let text = String(buffer: buffer)
        let wanted = ["expired_keys:", "keyspace_hits:", "keyspace_misses:"]
        let lines = text.split(separator: "\r\n").filter { line in wanted.contains { line.hasPrefix($0) } }
        s.note(lines.joined(separator: " "))
    }
}
