import TestSupport

extension DifferentialCorpus {
    /// The string commands beyond GET and SET: SETNX, SETEX, PSETEX, GETSET, GETDEL, GETEX, MGET,
    /// MSET, MSETNX, APPEND, STRLEN, GETRANGE, SUBSTR, SETRANGE, INCR, DECR, INCRBY, DECRBY,
    /// INCRBYFLOAT — replies, errors, encodings and keyspace events.
    static let stringCommands: [DifferentialCase] = [
        DifferentialCase(name: "SETNX, SETEX, PSETEX, GETSET and GETDEL", normalize: clientID) { s in
            try await s.call("SETNX", "k", "v1")
            try await s.call("SETNX", "k", "v2")
            try await s.call("GET", "k")
            try await s.call("SETEX", "k", "100", "v3")
            try await s.call("TTL", "k")
            try await s.call("PSETEX", "k", "100000", "v4")
            try await s.call("TTL", "k")
            for bad in ["0", "-1", "x", "", "9223372036854775807", "9223372036854775", "1.5"] {
                try await s.call("SETEX", "k", bad, "v")
                try await s.call("PSETEX", "k", bad, "v")
            }
            try await s.call("PSETEX", "k", "9223372036854775807", "v")
            try await s.call("GET", "k")
            try await s.call("GETSET", "k", "v5")
            try await s.call("TTL", "k")
            try await s.call("GETSET", "missing", "v6")
            try await s.call("GET", "missing")
            try await s.call("GETDEL", "missing")
            try await s.call("GETDEL", "k")
            try await s.call("EXISTS", "k")
            try await s.call("SETNX", "k")
            try await s.call("SETEX", "k", "1")
            try await s.call("GETSET", "k")
            try await s.call("GETDEL", "k", "x")
            try await s.call("HELLO", "3")
            try await s.call("GETDEL", "k")
            try await s.call("GETSET", "nothing", "1")
            try await s.call("OBJECT", "ENCODING", "nothing")
        },
        DifferentialCase(name: "GETEX options and errors", normalize: clientID) { s in
            try await s.call("GETEX", "missing")
            try await s.call("GETEX", "missing", "EX", "0")
            try await s.call("SET", "k", "v")
            try await s.call("GETEX", "k")
            try await s.call("GETEX", "k", "EX", "100")
            try await s.call("TTL", "k")
            try await s.call("GETEX", "k", "PERSIST")
            try await s.call("TTL", "k")
            try await s.call("GETEX", "k", "PX", "100000")
            try await s.call("TTL", "k")
            try await s.call("GETEX", "k", "EXAT", "99999999999")
            try await s.call("PEXPIRETIME", "k")
            try await s.call("GETEX", "k", "PXAT", "99999999999123")
            try await s.call("PEXPIRETIME", "k")
            // No expiry before the loop: TTL of an absolute deadline rounds differently at the
            // half second, so only relative ones are checked through TTL.
            try await s.call("PERSIST", "k")
            for options in [
                ["EX"], ["EX", "0"], ["EX", "-1"], ["EX", "x"], ["PX", "0"], ["EXAT", "0"],
                ["EX", "9223372036854775807"], ["PX", "9223372036854775807"], ["EX", "1", "PX", "1"],
                ["PERSIST", "EX", "1"], ["EX", "1", "PERSIST"], ["PERSIST", "PERSIST"], ["NX"], ["XX"], ["GET"],
                ["KEEPTTL"], ["persist\u{0}junk"], ["EX", "1", "EX", "100"], ["bogus"],
            ] {
                try await s.call(["GETEX", "k"] + options)
                try await s.call("TTL", "k")
            }
            try await s.call("GETEX", "k", "PXAT", "1")
            try await s.call("EXISTS", "k")
            try await s.call("SET", "k", "v")
            try await s.call("GETEX", "k", "EXAT", "1")
            try await s.call("EXISTS", "k")
            try await s.call("GETEX")
            try await noteStats(s)
        },
        DifferentialCase(name: "MGET, MSET and MSETNX", normalize: clientID) { s in
            try await s.call("MSET", "a", "1", "b", "2", "c", "3")
            try await s.call("MGET", "a", "b", "c", "missing", "a")
            try await s.call("MSET", "a", "x", "b")
            try await s.call("MSET", "a")
            try await s.call("MSETNX", "a", "9", "new", "9")
            try await s.call("EXISTS", "new")
            try await s.call("MSETNX", "new", "1", "new2", "2")
            try await s.call("MGET", "new", "new2")
            try await s.call("MSETNX", "x", "1", "x", "2")
            try await s.call("GET", "x")
            try await s.call("MSETNX", "y", "1", "z")
            try await s.call("SET", "e", "v", "EX", "100")
            try await s.call("MSET", "e", "w")
            try await s.call("TTL", "e")
            try await s.call("MGET")
            try await noteStats(s)
            try await s.call("HELLO", "3")
            try await s.call("MGET", "a", "missing")
        },
        DifferentialCase(name: "APPEND, STRLEN and encodings", normalize: clientID) { s in
            try await s.call("APPEND", "k", "12")
            try await s.call("OBJECT", "ENCODING", "k")
            try await s.call("APPEND", "k", "34")
            try await s.call("GET", "k")
            try await s.call("OBJECT", "ENCODING", "k")
            try await s.call("STRLEN", "k")
            try await s.call("STRLEN", "missing")
            try await s.call("APPEND", "k", "")
            try await s.call("APPEND", "k", String(repeating: "x", count: 100))
            try await s.call("STRLEN", "k")
            try await s.call("SET", "n", "-9223372036854775808")
            try await s.call("STRLEN", "n")
            try await s.call("APPEND", "n", "0")
            try await s.call("GET", "n")
            try await s.call("SET", "t", "v", "EX", "100")
            try await s.call("APPEND", "t", "w")
            try await s.call("TTL", "t")
            try await s.call("APPEND", "empty", "")
            try await s.call("EXISTS", "empty")
            try await s.call("STRLEN", "empty")
            try await s.call("APPEND", "k")
            try await s.call("STRLEN")
            try await s.call(bytes: [Array("APPEND".utf8), [0x00, 0xFF, 0x0A], [0xC3, 0x28, 0x00]])
            try await s.call(bytes: [Array("APPEND".utf8), [0x00, 0xFF, 0x0A], [0xFE]])
            try await s.call(bytes: [Array("GET".utf8), [0x00, 0xFF, 0x0A]])
            try await s.call(bytes: [Array("STRLEN".utf8), [0x00, 0xFF, 0x0A]])
            try await s.call(bytes: [Array("STRLEN".utf8), [0x00, 0xFF]])
            try await s.call("CONFIG", "SET", "proto-max-bulk-len", "1048576")
            try await s.call("SET", "big", String(repeating: "b", count: 1_048_570))
            try await s.call("APPEND", "big", "1234567")
            try await s.call("APPEND", "big", "123456")
            try await s.call("STRLEN", "big")
            try await s.call("SETRANGE", "big", "1048570", "1234567")
            try await s.call("SETRANGE", "fresh", "1048576", "x")
            try await s.call("SETRANGE", "fresh", "1048575", "x")
            try await s.call("STRLEN", "fresh")
        },
        DifferentialCase(name: "keys that differ only in Unicode normalisation are different keys", normalize: clientID)
        { s in
            // "é" precomposed (U+00E9) and decomposed (e + U+0301): byte-distinct keys.
            try await s.call("SET", "caf\u{E9}", "precomposed")
            try await s.call("SET", "cafe\u{301}", "decomposed")
            try await s.call("GET", "caf\u{E9}")
            try await s.call("GET", "cafe\u{301}")
            try await s.call("DBSIZE")
            try await s.call("STRLEN", "caf\u{E9}")
            try await s.call("APPEND", "cafe\u{301}", "!")
            try await s.callSorted("KEYS", "caf*")
        },
        DifferentialCase(name: "GETRANGE and SUBSTR", normalize: clientID) { s in
            try await s.call("SET", "k", "Hello, world")
            for (start, end) in [
                ("0", "4"), ("-5", "-1"), ("0", "-1"), ("5", "3"), ("-1", "-5"), ("100", "200"), ("-100", "2"),
                ("0", "100"), ("-1", "-1"), ("11", "11"), ("12", "12"), ("-9223372036854775808", "-1"),
                ("0", "9223372036854775807"), ("-9223372036854775808", "9223372036854775807"), ("x", "1"),
                ("1", "x"), ("1.0", "2"), ("", "1"), ("-0", "1"),
            ] {
                try await s.call("GETRANGE", "k", start, end)
                try await s.call("SUBSTR", "k", start, end)
            }
            try await s.call("GETRANGE", "missing", "0", "-1")
            try await s.call("GETRANGE", "missing", "x", "-1")
            try await s.call("SET", "n", "12345")
            try await s.call("GETRANGE", "n", "1", "2")
            try await s.call("GETRANGE", "n", "-2", "-1")
            try await s.call("SET", "e", "")
            try await s.call("GETRANGE", "e", "0", "-1")
            try await s.call("GETRANGE", "e", "0", "0")
            try await s.call("GETRANGE", "k", "0")
            try await s.call("HELLO", "3")
            try await s.call("GETRANGE", "missing", "0", "1")
            try await s.call("GETRANGE", "k", "3", "1")
        },
        DifferentialCase(name: "SETRANGE", normalize: clientID) { s in
            try await s.call("SETRANGE", "k", "0", "Hello")
            try await s.call("OBJECT", "ENCODING", "k")
            try await s.call("SETRANGE", "k", "6", "World")
            try await s.call(bytes: [Array("GET".utf8), Array("k".utf8)])
            try await s.call("SETRANGE", "k", "1", "a")
            try await s.call("GET", "k")
            try await s.call("SETRANGE", "k", "0", "")
            try await s.call("SETRANGE", "k", "100", "")
            try await s.call("STRLEN", "k")
            try await s.call("SETRANGE", "missing", "5", "")
            try await s.call("EXISTS", "missing")
            try await s.call("SETRANGE", "z", "3", "x")
            try await s.call("GET", "z")
            try await s.call("SETRANGE", "k", "-1", "x")
            try await s.call("SETRANGE", "k", "x", "x")
            try await s.call("SETRANGE", "k", "9223372036854775807", "x")
            try await s.call("SETRANGE", "k", "536870912", "x")
            try await s.call("SETRANGE", "k", "536870911", "")
            try await s.call("SET", "n", "1234")
            try await s.call("SETRANGE", "n", "1", "9")
            try await s.call("GET", "n")
            try await s.call("OBJECT", "ENCODING", "n")
            try await s.call("INCR", "n")
            try await s.call("SET", "t", "abc", "EX", "100")
            try await s.call("SETRANGE", "t", "1", "X")
            try await s.call("TTL", "t")
            try await s.call("SETRANGE", "k", "1")
        },
        DifferentialCase(name: "INCR, DECR, INCRBY and DECRBY", normalize: clientID) { s in
            try await s.call("INCR", "n")
            try await s.call("INCR", "n")
            try await s.call("DECR", "n")
            try await s.call("DECR", "m")
            try await s.call("INCRBY", "n", "100")
            try await s.call("DECRBY", "n", "50")
            try await s.call("OBJECT", "ENCODING", "n")
            for value in [
                "9223372036854775807", "-9223372036854775808", "007", "-0", " 1", "1 ", "1.5", "", "abc",
                "+1", "0x10", "99999999999999999999", "12345678901234567890123",
            ] {
                try await s.call("SET", "v", value)
                try await s.call("INCR", "v")
                try await s.call("DECR", "v")
                try await s.call("INCRBY", "v", "1")
                try await s.call("DECRBY", "v", "-1")
                try await s.call("GET", "v")
            }
            try await s.call("SET", "v", "9223372036854775807")
            try await s.call("INCRBY", "v", "-1")
            try await s.call("SET", "v", "-9223372036854775808")
            try await s.call("DECRBY", "v", "1")
            try await s.call("DECRBY", "v", "-9223372036854775808")
            try await s.call("INCRBY", "v", "9223372036854775807")
            try await s.call("INCRBY", "v", "-9223372036854775808")
            try await s.call("INCRBY", "v", "x")
            try await s.call("INCRBY", "v", "9223372036854775808")
            try await s.call("DECRBY", "w", "-9223372036854775808")
            try await s.call("SET", "t", "5", "EX", "100")
            try await s.call("INCR", "t")
            try await s.call("TTL", "t")
            try await s.call("SET", "r", "12")
            try await s.call("APPEND", "r", "3")
            try await s.call("INCR", "r")
            try await s.call("OBJECT", "ENCODING", "r")
            try await s.call("INCR")
            try await s.call("INCRBY", "n")
            try await s.call("HELLO", "3")
            try await s.call("INCR", "n")
        },
        DifferentialCase(name: "INCRBYFLOAT", normalize: clientID) { s in
            try await s.call("INCRBYFLOAT", "f", "10.5")
            try await s.call("INCRBYFLOAT", "f", "0.1")
            try await s.call("INCRBYFLOAT", "f", "-5")
            try await s.call("INCRBYFLOAT", "f", "5.0e3")
            try await s.call("INCRBYFLOAT", "f", "2.0e-3")
            try await s.call("OBJECT", "ENCODING", "f")
            try await s.call("INCRBYFLOAT", "g", "3")
            try await s.call("OBJECT", "ENCODING", "g")
            try await s.call("INCR", "g")
            try await s.call("INCRBYFLOAT", "g", "1.5")
            for increment in [
                "abc", "", " 1", "1 ", "nan", "inf", "-inf", "1e5000", "0x10", "1.7976931348623157e308",
                "-0", "1e-320", "+5", "1\u{0}2",
            ] {
                try await s.call("INCRBYFLOAT", "g", increment)
                try await s.call("GET", "g")
            }
            try await s.call("SET", "big", "1e4000")
            try await s.call("INCRBYFLOAT", "big", "1e4000")
            try await s.call("SET", "s", "hello")
            try await s.call("INCRBYFLOAT", "s", "1")
            try await s.call("SET", "z", "0.1")
            try await s.call("INCRBYFLOAT", "z", "0.2")
            try await s.call("SET", "t", "1", "EX", "100")
            try await s.call("INCRBYFLOAT", "t", "1")
            try await s.call("TTL", "t")
            try await s.call("INCRBYFLOAT", "t")
            try await s.call("HELLO", "3")
            try await s.call("INCRBYFLOAT", "t", "1")
        },
        DifferentialCase(name: "every notify-keyspace-events class filters the events of every command") { s in
            try await s.call("PSUBSCRIBE", "__key*__:*", on: 1)
            // The same commands under each class alone (keyspace and keyevent channels both on),
            // then under A, then each channel alone; classes of types the broker has no
            // commands for yet (l, s, h, z, t, d) must stay silent.
            let classes = [
                "g", "$", "l", "s", "h", "z", "x", "e", "t", "m", "d", "n", "A", "Ag$lshzxetdmn", "$g", "xm",
            ]
            for flags in classes.map({ "KE" + $0 }) + ["Kg$xmn", "Eg$xmn", "KA", "EA"] {
                try await s.call("CONFIG", "SET", "notify-keyspace-events", flags)
                for command in [
                    ["SET", "a", "1"], ["INCR", "a"], ["APPEND", "a", "2"], ["SETRANGE", "a", "0", "9"],
                    ["EXPIRE", "a", "100"], ["PERSIST", "a"], ["RENAME", "a", "b"], ["COPY", "b", "c"],
                    ["GET", "missing"], ["SETBIT", "bits", "7", "1"], ["DEL", "b", "c", "bits"],
                ] {
                    try await s.call(command)
                }
                try await callPipelined(s, [["SET", "gone", "v", "PXAT", "1"], ["GET", "gone"]])
                try await events(s)
            }
        },
        DifferentialCase(name: "keyspace events of the string commands", normalize: clientID) { s in
            try await s.call("PSUBSCRIBE", "__key*__:*", on: 1)
            try await s.call("CONFIG", "SET", "notify-keyspace-events", "KEAn")
            let commands: [[String]] = [
                ["SETNX", "a", "1"], ["SETNX", "a", "2"], ["SETEX", "a", "100", "x"], ["PSETEX", "b", "100000", "y"],
                ["GETSET", "a", "z"], ["GETSET", "c", "z"], ["GETDEL", "c"], ["GETDEL", "c"],
                ["GETEX", "a", "EX", "50"],
                ["GETEX", "a", "PERSIST"], ["GETEX", "a", "PERSIST"], ["GETEX", "a"], ["GETEX", "a", "PXAT", "1"],
                ["MSET", "a", "1", "b", "2"], ["MSETNX", "a", "1", "d", "2"], ["MSETNX", "d", "1", "e", "2"],
                ["APPEND", "a", "x"], ["APPEND", "f", "x"], ["SETRANGE", "a", "0", "y"], ["SETRANGE", "g", "2", "y"],
                ["SETRANGE", "a", "0", ""], ["INCR", "h"], ["INCRBY", "h", "5"], ["DECR", "h"], ["DECRBY", "h", "2"],
                ["INCR", "a"], ["INCRBYFLOAT", "h", "1.5"], ["INCRBYFLOAT", "i", "2"], ["MGET", "a", "zz"],
                ["STRLEN", "zz"], ["GETRANGE", "zz", "0", "1"],
            ]
            for command in commands {
                try await s.call(command)
                try await events(s)
            }
        },
    ]
}
