import NIOCore
import RESP
import TestSupport

extension DifferentialCorpus {
    /// The key commands: UNLINK, EXPIRETIME, PEXPIRETIME, KEYS, SCAN, RENAME, RENAMENX, RANDOMKEY,
    /// COPY, MOVE, SWAPDB, TOUCH, OBJECT and MEMORY USAGE — replies, errors, the statistics they
    /// count and their keyspace events.
    ///
    /// Key order in KEYS and SCAN replies follows each server's randomly seeded hash table, so
    /// those replies are recorded sorted (`callSorted`, `noteScan`); cursors other than 0 are
    /// server-specific and only their acceptance is compared.
    static let keys: [DifferentialCase] = [
        DifferentialCase(name: "UNLINK, EXPIRETIME and PEXPIRETIME", normalize: clientID) { s in
            try await s.call("MSET", "a", "1", "b", "2", "c", "3")
            try await s.call("UNLINK", "a", "b", "missing", "a")
            try await s.call("EXISTS", "a", "b", "c")
            try await s.call("UNLINK")
            try await s.call("EXPIRETIME", "c")
            try await s.call("PEXPIRETIME", "c")
            try await s.call("EXPIRETIME", "missing")
            try await s.call("PEXPIRETIME", "missing")
            try await s.call("PEXPIREAT", "c", "99999999999123")
            try await s.call("EXPIRETIME", "c")
            try await s.call("PEXPIRETIME", "c")
            try await s.call("PEXPIREAT", "c", "99999999999499")
            try await s.call("EXPIRETIME", "c")
            try await s.call("PEXPIREAT", "c", "99999999999500")
            try await s.call("EXPIRETIME", "c")
            try await s.call("SET", "d", "v", "EXAT", "4000000000")
            try await s.call("EXPIRETIME", "d")
            try await s.call("SET", "gone", "v", "PXAT", "1")
            try await s.call("EXPIRETIME", "gone")
            try await s.call("EXPIRETIME")
            try await s.call("PEXPIRETIME", "a", "b")
            try await noteStats(s)
            try await s.call("HELLO", "3")
            try await s.call("PEXPIRETIME", "d")
        },
        DifferentialCase(name: "KEYS with patterns, binary keys and expired keys") { s in
            try await s.callSorted("KEYS", "*")
            for key in ["hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h?llo", "a\\b", "[x]", "", "key:1"] {
                try await s.call("SET", key, "v")
            }
            try await s.call(bytes: [Array("SET".utf8), [0x00, 0xFF, 0x01], Array("v".utf8)])
            try await s.call("SET", "gone", "v", "PXAT", "1")
            for pattern in [
                "*", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h\\*llo", "*\\\\*", "\\[x\\]", "[", "",
                "key:*", "*llo", "gone", "*o*", "H*", "h[", "[a-", "?", "??????", "\u{0}*",
            ] {
                try await s.callSorted("KEYS", pattern)
            }
            try await s.call(bytes: [Array("KEYS".utf8), [0x00, 0x2A]])
            // KEYS skips an expired key without deleting it; active expiry may or may not have
            // removed it yet, so DBSIZE is not compared — a lookup settles it on both.
            try await s.call("EXISTS", "gone")
            try await s.call("KEYS")
            try await s.call("KEYS", "a", "b")
            try await noteStats(s)
        },
        DifferentialCase(name: "SCAN with MATCH, COUNT and TYPE", normalize: clientID) { s in
            try await s.call("SCAN", "0")
            for i in 0..<300 { try await s.send("SET", "key:\(i)", "\(i)") }
            try await s.read(300)
            try await s.call("SET", "other", "v")
            try await s.call("SET", "gone", "v", "PXAT", "1")
            try await noteScan(s, [])
            try await noteScan(s, ["COUNT", "1"])
            try await noteScan(s, ["COUNT", "1000"])
            try await noteScan(s, ["MATCH", "key:1*"])
            try await noteScan(s, ["MATCH", "*", "COUNT", "7"])
            try await noteScan(s, ["TYPE", "string", "MATCH", "o*"])
            try await noteScan(s, ["TYPE", "STRING", "COUNT", "50"])
            try await noteScan(s, ["TYPE", "hash"])
            try await noteScan(s, ["TYPE", "none"])
            try await noteScan(s, ["MATCH", "key:1*", "MATCH", "other"])
            try await noteScan(s, ["count", "3", "match", "key:2?"])
            try await s.call("DBSIZE")
            try await noteStats(s)
            for options in [
                ["COUNT"], ["COUNT", "0"], ["COUNT", "-1"], ["COUNT", "x"], ["COUNT", "9223372036854775808"],
                ["MATCH"], ["TYPE"], ["FOO", "bar"], ["COUNT", "1", "extra"],
            ] {
                try await s.call(["SCAN", "0"] + options)
            }
            // Option words are compared as C strings: a NUL ends them.
            try await noteAccepted(s, ["SCAN", "0", "count\u{0}x", "5"])
            for cursor in [
                "x", " 1", "1 ", "1x", "-", "+", "0x10", "18446744073709551616", "-18446744073709551616",
                "99999999999999999999999",
            ] {
                try await s.call("SCAN", cursor, "COUNT", "1", "MATCH", "nothing-matches")
            }
            for cursor in ["", "-1", "+5", "007", "18446744073709551615", "5\u{0}junk"] {
                try await noteAccepted(s, ["SCAN", cursor, "MATCH", "nothing-matches"])
            }
            try await s.call("SCAN")
            try await s.call("HELLO", "3")
            try await s.call("SCAN", "0", "MATCH", "nothing", "COUNT", "1000")
        },
        DifferentialCase(name: "RANDOMKEY", normalize: clientID) { s in
            try await s.call("RANDOMKEY")
            try await s.call("SET", "only", "v")
            try await s.call("RANDOMKEY")
            try await s.call("SET", "gone1", "v", "PXAT", "1")
            try await s.call("SET", "gone2", "v", "PXAT", "1")
            // Each draw of an expired key deletes it and draws again, so every reply is `only`.
            for _ in 0..<5 { try await s.call("RANDOMKEY") }
            try await s.call("EXISTS", "gone1", "gone2")
            try await s.call("DEL", "only")
            try await s.call("SET", "gone3", "v", "PXAT", "1")
            try await s.call("RANDOMKEY")
            try await s.call("DBSIZE")
            try await s.call("RANDOMKEY", "extra")
            try await s.call("INFO", "keyspace")
            try await s.call("HELLO", "3")
            try await s.call("RANDOMKEY")
        },
        DifferentialCase(name: "RENAME and RENAMENX") { s in
            try await s.call("RENAME", "missing", "x")
            try await s.call("RENAMENX", "missing", "x")
            try await s.call("SET", "a", "1", "EX", "100")
            try await s.call("RENAME", "a", "b")
            try await s.call("GET", "b")
            try await s.call("TTL", "b")
            try await s.call("EXISTS", "a")
            try await s.call("RENAME", "b", "b")
            try await s.call("RENAMENX", "b", "b")
            try await s.call("SET", "c", "3")
            try await s.call("RENAME", "c", "b")
            try await s.call("TTL", "b")
            try await s.call("GET", "b")
            try await s.call("SET", "d", "4")
            try await s.call("RENAMENX", "d", "b")
            try await s.call("RENAMENX", "d", "e")
            try await s.call("OBJECT", "ENCODING", "e")
            try await s.call("SET", "gone", "v", "PXAT", "1")
            try await s.call("RENAME", "gone", "x")
            try await s.call("SET", "f", "6")
            try await s.call("SET", "gone2", "v", "PXAT", "1")
            try await s.call("RENAMENX", "f", "gone2")
            try await s.call("RENAME", "f")
            try await s.call(bytes: [Array("SET".utf8), [0x00, 0xFF], Array("bin".utf8)])
            try await s.call(bytes: [Array("RENAME".utf8), [0x00, 0xFF], [0x00, 0xFE]])
            try await s.call(bytes: [Array("GET".utf8), [0x00, 0xFE]])
            try await s.call("DBSIZE")
            try await noteStats(s)
        },
        // avg_ttl is an estimate the expiry cron refreshes (every 100 ms at hz 10); when the two
        // servers' crons last ran differs, so its digits are not compared here (ActiveExpiryTests
        // checks it).
        DifferentialCase(name: "COPY, MOVE and SWAPDB", normalize: averageTTL) { s in
            try await s.call("SET", "a", "hello", "EX", "100")
            try await s.call("COPY", "a", "b")
            try await s.call("GET", "b")
            try await s.call("TTL", "b")
            try await s.call("COPY", "a", "b")
            try await s.call("COPY", "a", "b", "REPLACE")
            try await s.call("COPY", "a", "a")
            try await s.call("COPY", "a", "a", "DB", "0")
            try await s.call("COPY", "a", "a", "DB", "1")
            try await s.call("COPY", "missing", "x")
            for options in [
                ["DB"], ["DB", "16"], ["DB", "-1"], ["DB", "x"], ["DB", "2147483648"], ["FOO"], ["REPLACE", "REPLACE"],
                ["DB", "2", "DB", "3"],
            ] {
                try await s.call(["COPY", "a", "c"] + options)
            }
            try await s.call("SET", "n", "12")
            try await s.call("COPY", "n", "n2")
            try await s.call("OBJECT", "ENCODING", "n2")
            try await s.call("APPEND", "n", "3")
            try await s.call("COPY", "n", "n3")
            try await s.call("OBJECT", "ENCODING", "n3")
            try await s.call("SELECT", "3")
            try await s.call("KEYS", "*")
            try await s.call("SELECT", "0")
            try await s.call("MOVE", "a", "4")
            try await s.call("MOVE", "a", "4")
            try await s.call("MOVE", "b", "0")
            try await s.call("MOVE", "missing", "4")
            try await s.call("MOVE", "b", "16")
            try await s.call("MOVE", "b", "x")
            try await s.call("MOVE", "b", "-1")
            try await s.call("MOVE", "b", "9999999999")
            try await s.call("SET", "a", "again")
            try await s.call("SELECT", "4")
            try await s.call("GET", "a")
            try await s.call("TTL", "a")
            try await s.call("SELECT", "0")
            try await s.call("MOVE", "a", "4")
            try await s.call("SWAPDB", "0", "4")
            try await s.call("GET", "a")
            try await s.call("DBSIZE")
            try await s.call("SWAPDB", "0", "0")
            try await s.call("SWAPDB", "0", "16")
            try await s.call("SWAPDB", "-1", "0")
            try await s.call("SWAPDB", "x", "0")
            try await s.call("SWAPDB", "0", "x")
            try await s.call("SWAPDB", "4294967296", "0")
            try await s.call("SWAPDB", "0")
            try await s.call("SELECT", "4", on: 1)
            try await s.call("GET", "b", on: 1)
            try await s.call("SWAPDB", "4", "0")
            try await s.call("GET", "b", on: 1)
            try await s.call("INFO", "keyspace")
            try await noteStats(s)
        },
        DifferentialCase(name: "TOUCH and OBJECT", normalize: clientID) { s in
            try await s.call("SET", "a", "1")
            try await s.call("SET", "b", "hello")
            try await s.call("SET", "c", String(repeating: "x", count: 45))
            try await s.call("SET", "d", "12345")
            try await s.call("SET", "e", "-5")
            try await s.call("TOUCH", "a", "b", "missing", "a")
            try await s.call("TOUCH")
            for key in ["a", "b", "c", "d", "e", "missing"] {
                try await s.call("OBJECT", "ENCODING", key)
                try await s.call("OBJECT", "REFCOUNT", key)
                try await s.call("OBJECT", "FREQ", key)
            }
            try await noteInteger(s, ["OBJECT", "IDLETIME", "a"], within: 0...1)
            try await s.call("OBJECT", "IDLETIME", "missing")
            try await s.call("INCRBY", "a", "20000")
            try await s.call("OBJECT", "REFCOUNT", "a")
            try await s.call("OBJECT", "HELP")
            try await s.call("OBJECT", "help", "extra")
            try await s.call("OBJECT")
            try await s.call("OBJECT", "ENCODING")
            try await s.call("OBJECT", "ENCODING", "a", "b")
            try await s.call("OBJECT", "FOO", "a")
            try await s.call("SET", "gone", "v", "PXAT", "1")
            try await s.call("OBJECT", "ENCODING", "gone")
            try await noteStats(s)
            try await s.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
            try await s.call("SET", "f", "v")
            try await s.call("OBJECT", "FREQ", "f")
            try await s.call("GET", "f")
            try await s.call("OBJECT", "FREQ", "f")
            try await s.call("OBJECT", "IDLETIME", "f")
            try await s.call("CONFIG", "SET", "lfu-log-factor", "0")
            try await s.call("GET", "f")
            try await s.call("OBJECT", "FREQ", "f")
            try await s.call("CONFIG", "GET", "lfu-log-factor")
            try await s.call("CONFIG", "GET", "lfu-decay-time")
            try await s.call("CONFIG", "SET", "lfu-decay-time", "-1")
            // Small integers are shared objects in Redis unless maxmemory with an LRU/LFU policy
            // forbids it (decided when the value is made; the broker decides when asked, so the
            // case does not change the policy in between).
            try await s.call("CONFIG", "SET", "maxmemory", "1gb")
            try await s.call("SET", "small", "7")
            try await s.call("OBJECT", "REFCOUNT", "small")
            try await s.call("CONFIG", "SET", "maxmemory", "0")
            try await s.call("HELLO", "3")
            try await s.call("OBJECT", "ENCODING", "missing")
        },
        DifferentialCase(name: "OBJECT IDLETIME and FREQ after RESTORE") { s in
            try await s.call("SET", "k", "v")
            let payload = try await dumpPayload(s, "k")
            try await restore(s, "idle", "0", payload, "IDLETIME", "1000")
            try await noteInteger(s, ["OBJECT", "IDLETIME", "idle"], within: 1000...1001)
            try await restore(s, "idle2", "0", payload, "IDLETIME", "0")
            try await noteInteger(s, ["OBJECT", "IDLETIME", "idle2"], within: 0...1)
            try await s.call("GET", "idle")
            try await noteInteger(s, ["OBJECT", "IDLETIME", "idle"], within: 0...1)
            try await s.call("CONFIG", "SET", "maxmemory-policy", "volatile-lfu")
            try await restore(s, "freq", "0", payload, "FREQ", "200")
            try await s.call("OBJECT", "FREQ", "freq")
            try await restore(s, "freq2", "0", payload, "IDLETIME", "5")
            try await s.call("OBJECT", "FREQ", "freq2")
        },
        DifferentialCase(name: "MEMORY USAGE") { s in
            try await s.call("MEMORY", "USAGE", "missing")
            try await s.call("SET", "k", "v")
            try await s.call("SET", "long", String(repeating: "x", count: 1000))
            for key in ["k", "long"] {
                try await notePositive(s, ["MEMORY", "USAGE", key])
                try await notePositive(s, ["MEMORY", "USAGE", key, "SAMPLES", "0"])
                try await notePositive(s, ["MEMORY", "USAGE", key, "samples", "5", "SAMPLES", "9"])
            }
            for options in [["SAMPLES"], ["SAMPLES", "-1"], ["SAMPLES", "x"], ["FOO"], ["SAMPLES", "1", "FOO"]] {
                try await s.call(["MEMORY", "USAGE", "k"] + options)
            }
            try await s.call("MEMORY", "USAGE")
            try await s.call("MEMORY", "PURGE")
            try await s.call("MEMORY", "FOO")
            try await s.call("SET", "gone", "v", "PXAT", "1")
            try await notePositive(s, ["MEMORY", "USAGE", "gone"])
        },
        DifferentialCase(name: "keyspace events of the key commands") { s in
            try await s.call("PSUBSCRIBE", "__key*__:*", on: 1)
            try await s.call("CONFIG", "SET", "notify-keyspace-events", "KEAnm")
            let commands: [[String]] = [
                ["MSET", "a", "1", "b", "2", "c", "3"], ["UNLINK", "a", "missing"], ["RENAME", "b", "r"],
                ["RENAME", "r", "c"], ["RENAMENX", "c", "c"], ["RENAMENX", "c", "n"], ["RENAME", "missing", "x"],
                ["COPY", "n", "m"], ["COPY", "n", "m", "REPLACE"], ["COPY", "n", "m", "DB", "2"], ["MOVE", "m", "3"],
                ["MOVE", "n", "3"], ["SWAPDB", "0", "3"], ["TOUCH", "n", "missing"], ["OBJECT", "ENCODING", "missing"],
                ["DEL", "m"], ["KEYS", "*"], ["RANDOMKEY"], ["EXPIRETIME", "missing"],
            ]
            for command in commands {
                try await s.call(command)
                try await events(s)
            }
            // A key that expired before a command that reaches it: each pair goes in one write,
            // so the servers' expiry timers cannot run in between and only the command expires it.
            // The database holds no other key, so RANDOMKEY must draw it.
            try await s.call("DEL", "n")
            try await events(s)
            for command in [
                ["RANDOMKEY"], ["SCAN", "0", "COUNT", "100"], ["SCAN", "0", "TYPE", "string", "COUNT", "100"],
            ] {
                try await callPipelined(s, [["SET", "gone", "v", "PXAT", "1"], command])
                try await events(s)
            }
        },
    ]

    /// Sends `commands` in one write on connection 0 and records their replies.
    static func callPipelined(_ s: TranscriptSession, _ commands: [[String]]) async throws {
        try await callPipelined(s, bytes: commands.map { $0.map { Array($0.utf8) } })
    }

    /// Sends `commands` (byte arguments) in one write on connection 0 and records their replies —
    /// for a key set to expire in the past and the command that meets it: in one write the
    /// servers' expiry timers cannot run in between, so only the command expires it.
    static func callPipelined(_ s: TranscriptSession, bytes commands: [[[UInt8]]]) async throws {
        var buffer = ByteBuffer()
        for command in commands {
            buffer.writeRESPArrayHeader(command.count)
            for argument in command { buffer.writeRESPBulkString(bytes: argument) }
        }
        try await s.connection().send(raw: buffer)
        try await s.read(commands.count)
    }

    /// `SET key v PXAT 1` and then `command`, in one write (see `callPipelined`).
    static func afterExpiredKey(_ s: TranscriptSession, _ key: String, _ command: [String]) async throws {
        try await callPipelined(s, [["SET", key, "v", "PXAT", "1"], command])
    }

    /// Replaces `avg_ttl` digits and the length of the `INFO keyspace` text that holds them.
    static let averageTTL: @Sendable (String) -> String = { line in
        replacing(#"\$[0-9]+(\\r\\n# Keyspace)"#, with: "\\$<length>$1")(
            replacing("avg_ttl=[0-9]+", with: "avg_ttl=<n>")(line))
    }

    /// Runs a whole SCAN (cursor 0 until 0) with `options` and records the keys it returned,
    /// sorted and without duplicates, or the first error.
    static func noteScan(_ s: TranscriptSession, _ options: [String]) async throws {
        var cursor = "0"
        var keys = Set<String>()
        var calls = 0
        repeat {
            let reply = try await s.connection().call(["SCAN", cursor] + options)
            guard case .array(let parts) = reply.value, parts.count == 2, case .bulkString(let next) = parts[0],
                case .array(let page) = parts[1]
            else {
                s.note("SCAN \(options) replied \(reply)")
                return
            }
            for case .bulkString(let key) in page { keys.insert(String(buffer: key)) }
            cursor = String(buffer: next)
            calls += 1
        } while cursor != "0" && calls < 100_000
        s.note("SCAN \(options.joined(separator: " ")) → \(keys.sorted().joined(separator: ","))")
    }

    /// Records whether `arguments` got a non-error reply (for replies that differ between servers).
    static func noteAccepted(_ s: TranscriptSession, _ arguments: [String]) async throws {
        let reply = try await s.connection().call(arguments)
        if case .simpleError(let message) = reply.value {
            s.note("\(arguments) refused: \(String(buffer: message))")
        } else {
            s.note("\(arguments) accepted")
        }
    }

    /// Records whether the reply to `arguments` is a positive integer (sizes that differ).
    static func notePositive(_ s: TranscriptSession, _ arguments: [String]) async throws {
        let reply = try await s.connection().call(arguments)
        if case .integer(let n) = reply.value, n > 0 {
            s.note("\(arguments) positive")
        } else {
            s.note("\(arguments) = \(reply)")
        }
    }
}
