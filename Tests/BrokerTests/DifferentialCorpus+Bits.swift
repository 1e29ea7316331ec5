import TestSupport

extension DifferentialCorpus {
    /// `SETBIT`, `GETBIT`, `BITCOUNT`, `BITPOS`, `BITOP`, `BITFIELD`, `BITFIELD_RO` (Redis 7.0's
    /// `bitops.c`).
    ///
    /// Offsets stop at moderate sizes (100000): setting a bit near the 2^32−1 limit makes both
    /// servers allocate 512 MB. The limit itself is tested through errors just past it, through
    /// reads (which allocate nothing), and with `proto-max-bulk-len` lowered to 1 MB.
    static let bits: [DifferentialCase] = [
        DifferentialCase(name: "SETBIT and GETBIT", normalize: clientID) { s in
            try await s.call("GETBIT", "missing", "0")
            try await s.call("SETBIT", "k", "7", "1")
            try await s.call("GET", "k")
            try await s.call("SETBIT", "k", "7", "1")
            try await s.call("SETBIT", "k", "7", "0")
            try await s.call("GETBIT", "k", "7")
            try await s.call("SETBIT", "k", "0", "1")
            try await s.call("SETBIT", "k", "20", "0")
            try await s.call("SETBIT", "k", "17", "1")
            try await s.call("GET", "k")
            for offset in ["0", "1", "7", "17", "23", "24", "1000", "4294967295"] {
                try await s.call("GETBIT", "k", offset)
            }
            // An int-encoded string is read through its decimal text, and written as raw bytes.
            try await s.call("SET", "n", "12345")
            try await s.call("GETBIT", "n", "2")
            try await s.call("GETBIT", "n", "3")
            try await s.call("SETBIT", "n", "6", "0")
            try await s.call("GET", "n")
            try await s.call("SETBIT", "n", "6", "1")
            try await s.call("GET", "n")
            try await s.call("SET", "e", "")
            try await s.call("GETBIT", "e", "0")
            try await s.call("SETBIT", "e", "9", "1")
            try await s.call("GET", "e")
            try await s.call("SETBIT", "big", "100000", "1")
            try await s.call("GETBIT", "big", "100000")
            try await s.call("GETBIT", "big", "99999")
            try await s.call("BITCOUNT", "big")
            try await s.call("BITPOS", "big", "1")
            try await s.call(bytes: [Array("SET".utf8), Array("bin".utf8), [0xFF, 0x00, 0x80, 0xC3, 0x28]])
            try await s.call("GETBIT", "bin", "8")
            try await s.call("GETBIT", "bin", "16")
            try await s.call("SETBIT", "bin", "12", "1")
            try await s.call("GET", "bin")
            try await s.call(bytes: [Array("SETBIT".utf8), [0xC0, 0x80, 0x00], Array("3".utf8), Array("1".utf8)])
            try await s.call(bytes: [Array("GET".utf8), [0xC0, 0x80, 0x00]])
            try await noteStats(s)
            try await s.call("HELLO", "3")
            try await s.call("SETBIT", "k", "1", "1")
            try await s.call("GETBIT", "k", "1")
            try await s.call("GETBIT", "missing", "1")
        },
        DifferentialCase(name: "SETBIT and GETBIT errors and the offset limit") { s in
            try await s.call("SET", "k", "foobar")
            for offset in [
                "-1", "4294967296", "9223372036854775807", "18446744073709551616", "-0", "01", " 1", "1 ", "1.0", "",
                "abc", "#1", "0x10",
            ] {
                try await s.call("SETBIT", "k", offset, "1")
                try await s.call("GETBIT", "k", offset)
            }
            // The offset is checked before the bit, and the bit before the key is touched.
            for bit in ["2", "-1", "", "abc", "1.0", "01", "9223372036854775808", "true"] {
                try await s.call("SETBIT", "k", "4294967295", bit)
                try await s.call("SETBIT", "k", "-1", bit)
            }
            try await s.call("SETBIT", "new", "0", "2")
            try await s.call("EXISTS", "new")
            try await s.call("SETBIT", "k", "1")
            try await s.call("SETBIT", "k", "1", "1", "1")
            try await s.call("GETBIT", "k")
            try await s.call("GETBIT", "k", "1", "2")
            try await s.call("GET", "k")
            // The limit follows proto-max-bulk-len: 1 MB allows bits 0 to 8388607.
            try await s.call("CONFIG", "SET", "proto-max-bulk-len", "1048576")
            try await s.call("SETBIT", "k", "8388608", "1")
            try await s.call("GETBIT", "k", "8388608")
            try await s.call("BITFIELD", "k", "GET", "u8", "8388608")
            try await s.call("BITFIELD", "k", "GET", "u8", "#1048576")
            try await s.call("SETBIT", "k", "8388607", "1")
            try await s.call("GETBIT", "k", "8388607")
            try await s.call("BITCOUNT", "k")
            try await s.call("BITPOS", "k", "1", "7")
        },
        DifferentialCase(name: "SETBIT keeps the expiry and revives an expired key as new") { s in
            try await s.call("SET", "k", "v", "EX", "100")
            try await s.call("SETBIT", "k", "0", "1")
            try await s.call("TTL", "k")
            try await s.call("GET", "k")
            try await afterExpiredKey(s, "e", ["SETBIT", "e", "3", "1"])
            try await s.call("GET", "e")
            try await s.call("TTL", "e")
            try await afterExpiredKey(s, "g", ["GETBIT", "g", "1"])
            try await noteStats(s)
        },
        DifferentialCase(name: "BITCOUNT ranges, units and errors", normalize: clientID) { s in
            // Redis 7.0 looks the key up first: a missing key counts 0 whatever the arguments.
            for arguments in [[], ["0", "-1"], ["a", "b"], ["0", "1", "FOO"], ["1"], ["1", "2", "3", "4"]] {
                try await s.call(["BITCOUNT", "missing"] + arguments)
            }
            try await s.call("SET", "k", "foobar")
            try await s.call("BITCOUNT", "k")
            for (start, end) in [
                ("0", "0"), ("1", "1"), ("0", "-1"), ("-2", "-1"), ("-1", "-2"), ("5", "100"), ("6", "200"),
                ("-100", "-50"), ("-100", "2"), ("2", "-100"), ("0", "-100"), ("3", "1"),
                ("-9223372036854775808", "9223372036854775807"), ("9223372036854775807", "-9223372036854775808"),
            ] {
                try await s.call("BITCOUNT", "k", start, end)
                try await s.call("BITCOUNT", "k", start, end, "BIT")
                try await s.call("BITCOUNT", "k", start, end, "byte")
            }
            for (start, end) in [
                ("5", "30"), ("7", "7"), ("8", "8"), ("1", "0"), ("-5", "-1"), ("-48", "-41"), ("47", "47"),
                ("9", "14"), ("0", "47"), ("40", "1000"),
            ] {
                try await s.call("BITCOUNT", "k", start, end, "bit")
            }
            // Two negative indexes out of order count 0 before the unit word is read.
            try await s.call("BITCOUNT", "k", "-1", "-2", "FOO")
            try await s.call("BITCOUNT", "k", "0", "-1", "FOO")
            try await s.call("BITCOUNT", "k", "a", "-1", "FOO")
            try await s.call("BITCOUNT", "k", "0", "b", "FOO")
            try await s.call("BITCOUNT", "k", "0", "-1", "BIT\u{0}junk")
            try await s.call("BITCOUNT", "k", "0", "-1", "BITS")
            try await s.call("BITCOUNT", "k", "1")
            try await s.call("BITCOUNT", "k", "1", "2", "BIT", "x")
            try await s.call("BITCOUNT", "k", "1.5", "2")
            try await s.call("BITCOUNT", "k", "1", "9223372036854775808")
            try await s.call("BITCOUNT")
            try await s.call("SET", "n", "1234567")
            try await s.call("BITCOUNT", "n")
            try await s.call("BITCOUNT", "n", "1", "3", "BIT")
            try await s.call("BITCOUNT", "n", "-2", "-1")
            try await s.call("SET", "e", "")
            try await s.call("BITCOUNT", "e")
            try await s.call("BITCOUNT", "e", "0", "-1")
            try await s.call("BITCOUNT", "e", "0", "0", "BIT")
            try await s.call(bytes: [Array("SET".utf8), Array("bin".utf8), [0xFF, 0x00, 0x80, 0xC3, 0x28, 0xFE]])
            try await s.call("BITCOUNT", "bin")
            try await s.call("BITCOUNT", "bin", "1", "3")
            try await s.call("BITCOUNT", "bin", "3", "44", "BIT")
            try await noteStats(s)
            try await s.call("HELLO", "3")
            try await s.call("BITCOUNT", "k", "0", "-1")
        },
        DifferentialCase(name: "BITPOS ranges, units, the end rules and errors", normalize: clientID) { s in
            try await s.call("BITPOS", "missing", "0")
            try await s.call("BITPOS", "missing", "1")
            try await s.call("BITPOS", "missing", "0", "5", "10", "BIT")
            try await s.call("BITPOS", "missing", "1", "a", "b", "c", "d")
            try await s.call("BITPOS", "missing", "2")
            try await s.call("BITPOS", "missing", "a")
            try await s.call(bytes: [Array("SET".utf8), Array("k".utf8), [0xFF, 0xF0, 0x00]])
            for arguments in [
                ["0"], ["1"], ["0", "0"], ["0", "1"], ["1", "2"], ["1", "2", "-1"], ["0", "2", "-1"], ["0", "0", "0"],
                ["1", "-1"], ["0", "-1"], ["0", "-100"], ["0", "100"], ["1", "100"], ["0", "3"], ["0", "1", "0"],
                ["1", "3", "10", "BIT"], ["0", "3", "10", "BIT"], ["0", "7", "7", "BIT"], ["0", "8", "15", "bit"],
                ["0", "8", "11", "bit"], ["0", "12", "12", "BIT"], ["1", "-5", "-1", "BIT"], ["0", "-20", "-1", "bit"],
                ["1", "12", "7", "BIT"], ["1", "0", "-1", "BYTE"], ["0", "0", "-1", "byte"],
                ["0", "-9223372036854775808", "9223372036854775807", "BIT"], ["1", "9223372036854775807"],
            ] {
                try await s.call(["BITPOS", "k"] + arguments)
            }
            try await s.call(bytes: [Array("SET".utf8), Array("ones".utf8), [0xFF, 0xFF, 0xFF]])
            for arguments in [
                ["0"], ["0", "0", "-1"], ["0", "1"], ["0", "5"], ["1"], ["0", "3", "20", "BIT"],
                ["0", "0", "23", "BIT"],
                ["0", "0", "100", "BIT"], ["0", "-1"], ["0", "2", "2"],
            ] {
                try await s.call(["BITPOS", "ones"] + arguments)
            }
            try await s.call(bytes: [Array("SET".utf8), Array("zeros".utf8), [0x00, 0x00, 0x00]])
            for arguments in [
                ["1"], ["0"], ["1", "1", "2"], ["0", "1"], ["1", "0", "23", "BIT"], ["0", "5", "9", "BIT"],
            ] {
                try await s.call(["BITPOS", "zeros"] + arguments)
            }
            // Long runs, so that whole words are skipped.
            try await s.call("SETBIT", "big", "100000", "1")
            for arguments in [
                ["1"], ["0"], ["1", "0", "-1", "BIT"], ["1", "12500"], ["0", "12500"], ["0", "12500", "-1"],
                ["1", "100", "99999", "BIT"], ["1", "99999", "100001", "BIT"], ["0", "100000", "100000", "BIT"],
            ] {
                try await s.call(["BITPOS", "big"] + arguments)
            }
            try await s.call("BITPOS", "ones", "1", "0", "1", "BIT", "x")
            try await s.call("BITPOS", "ones", "1", "a", "1", "FOO")
            try await s.call("BITPOS", "ones", "1", "0", "a", "FOO")
            try await s.call("BITPOS", "ones", "1", "0", "1", "FOO")
            try await s.call("BITPOS", "ones", "1", "0", "a")
            try await s.call("BITPOS", "ones", "1", "0", "1", "bit\u{0}x")
            for bit in ["2", "-1", "1.0", "", "01", "9223372036854775808"] {
                try await s.call("BITPOS", "ones", bit)
            }
            try await s.call("BITPOS", "ones")
            try await s.call("SET", "e", "")
            try await s.call("BITPOS", "e", "0")
            try await s.call("BITPOS", "e", "1")
            try await s.call("BITPOS", "e", "0", "0")
            try await s.call("BITPOS", "e", "0", "0", "-1", "BIT")
            try await s.call("SET", "n", "255")
            try await s.call("BITPOS", "n", "1")
            try await s.call("BITPOS", "n", "0", "1")
            try await noteStats(s)
            try await s.call("HELLO", "3")
            try await s.call("BITPOS", "k", "1", "1")
        },
        DifferentialCase(name: "BITOP AND, OR, XOR and NOT", normalize: clientID) { s in
            try await s.call("SET", "a", "foobar")
            try await s.call("SET", "b", "abcdef")
            try await s.call(bytes: [Array("SET".utf8), Array("s".utf8), [0xFF, 0x0F]])
            for operation in ["AND", "or", "Xor"] {
                try await s.call("BITOP", operation, "dest", "a", "b")
                try await s.call("GET", "dest")
                try await s.call("BITOP", operation, "dest", "a", "s")
                try await s.call("GET", "dest")
                try await s.call("BITOP", operation, "dest", "s", "a", "b")
                try await s.call("GET", "dest")
                try await s.call("BITOP", operation, "dest", "s", "missing")
                try await s.call("GET", "dest")
                try await s.call("BITOP", operation, "dest", "a")
                try await s.call("GET", "dest")
            }
            try await s.call("BITOP", "NOT", "dest", "a")
            try await s.call("GET", "dest")
            try await s.call("BITOP", "not", "dest", "s")
            try await s.call("GET", "dest")
            // All sources empty: the destination is deleted.
            try await s.call("BITOP", "OR", "dest", "missing1", "missing2")
            try await s.call("EXISTS", "dest")
            try await s.call("SET", "dest", "v")
            try await s.call("BITOP", "NOT", "dest", "missing")
            try await s.call("EXISTS", "dest")
            try await s.call("SET", "empty", "")
            try await s.call("SET", "dest", "v")
            try await s.call("BITOP", "AND", "dest", "empty", "missing")
            try await s.call("EXISTS", "dest")
            // The destination may be a source.
            try await s.call("SET", "x", "xyz")
            try await s.call("BITOP", "XOR", "x", "x", "x")
            try await s.call("GET", "x")
            try await s.call("SET", "n", "12345")
            try await s.call("BITOP", "NOT", "dest", "n")
            try await s.call("GET", "dest")
            try await s.call(bytes: [Array("SET".utf8), [0xFF, 0x00], [0x00, 0xFF, 0xC3, 0x28]])
            try await s.call(bytes: [Array("BITOP".utf8), Array("NOT".utf8), Array("dest".utf8), [0xFF, 0x00]])
            try await s.call("GET", "dest")
            try await s.call("BITOP", "and\u{0}junk", "dest", "a", "b")
            try await s.call("GET", "dest")
            try await s.call("BITOP", "OR", "dest", "a", "b", "s", "n", "missing", "x", "a")
            try await s.call("GET", "dest")
            try await s.call("BITOP", "NOT", "dest", "a", "b")
            try await s.call("BITOP", "NOT", "dest")
            try await s.call("BITOP", "FOO", "dest", "a")
            try await s.call("BITOP", "ANDX", "dest", "a")
            try await s.call("BITOP", "", "dest", "a")
            try await s.call("BITOP", "AND", "dest")
            try await s.call("BITOP", "AND")
            try await noteStats(s)
            try await s.call("HELLO", "3")
            try await s.call("BITOP", "AND", "dest", "a", "b")
        },
        DifferentialCase(name: "BITOP drops the destination's expiry and handles an expired one") { s in
            try await s.call("SET", "a", "foobar")
            try await s.call("SET", "d", "v", "EX", "100")
            try await s.call("BITOP", "OR", "d", "a")
            try await s.call("TTL", "d")
            try await s.call("GET", "d")
            try await afterExpiredKey(s, "d", ["BITOP", "OR", "d", "a"])
            try await s.call("GET", "d")
            try await noteStats(s)
            // An expired destination is deleted by an empty result without counting as expired.
            try await afterExpiredKey(s, "d", ["BITOP", "AND", "d", "missing"])
            try await s.call("EXISTS", "d")
            try await noteStats(s)
            try await afterExpiredKey(s, "src", ["BITOP", "OR", "d", "src", "a"])
            try await s.call("GET", "d")
            try await noteStats(s)
        },
        DifferentialCase(name: "BITFIELD GET, SET, INCRBY and # offsets", normalize: clientID) { s in
            try await s.call("BITFIELD", "missing")
            try await s.call("BITFIELD_RO", "missing")
            try await s.call("BITFIELD", "missing", "GET", "u8", "0", "GET", "i64", "0", "get", "u63", "100")
            try await s.call("EXISTS", "missing")
            try await s.call(bytes: [
                Array("SET".utf8), Array("k".utf8), [0x80, 0xFF, 0x01, 0x7F, 0xC3, 0x28, 0x00, 0x5A],
            ])
            for type in [
                "i1", "u1", "i5", "u5", "i8", "u8", "i13", "u13", "i16", "u16", "i32", "u32", "i63", "u63", "i64",
            ] {
                try await s.call(
                    "BITFIELD", "k", "GET", type, "0", "GET", type, "3", "GET", type, "9", "GET", type, "60")
            }
            try await s.call(
                "BITFIELD", "k", "GET", "u8", "#1", "GET", "i4", "#3", "GET", "u8", "#7", "GET", "u8", "#8")
            try await s.call(
                "BITFIELD", "k", "SET", "u8", "0", "255", "GET", "u8", "0", "INCRBY", "u8", "0", "1", "GET", "u8", "0")
            try await s.call("BITFIELD", "k", "SET", "u4", "#3", "5", "INCRBY", "i16", "#0", "100", "GET", "u16", "#0")
            try await s.call("BITFIELD", "k", "set", "i8", "4", "-100", "incrby", "i8", "4", "-28", "Get", "i8", "4")
            try await s.call("GET", "k")
            // Writes past the end grow the string with zero bytes.
            try await s.call("BITFIELD", "k", "SET", "u8", "80", "65", "GET", "u8", "72")
            try await s.call("GET", "k")
            try await s.call("BITFIELD", "k", "INCRBY", "i64", "100", "9223372036854775807")
            try await s.call("GET", "k")
            try await s.call("BITFIELD", "big", "SET", "u8", "100000", "255", "GET", "u16", "99996")
            try await s.call("BITCOUNT", "big")
            // Reads at the limit allocate nothing; #N multiplies with wrapping, as Redis's C does.
            try await s.call("BITFIELD", "k", "GET", "i64", "4294967295", "GET", "u8", "#536870911")
            try await s.call("BITFIELD", "k", "GET", "u8", "#2305843009213693952", "GET", "u4", "#4611686018427387904")
            try await s.call("BITFIELD", "k", "GET", "u8", "#1152921504606846976")
            try await s.call("BITFIELD_RO", "k", "GET", "u8", "0", "OVERFLOW", "SAT", "GET", "i8", "0")
            try await s.call("BITFIELD_RO", "missing", "GET", "u8", "0")
            try await s.call("SET", "n", "12345")
            try await s.call("BITFIELD", "n", "GET", "u8", "0", "GET", "u16", "#1")
            try await s.call("BITFIELD", "n", "INCRBY", "u8", "#4", "1")
            try await s.call("GET", "n")
            try await s.call("SET", "t", "v", "EX", "100")
            try await s.call("BITFIELD", "t", "SET", "u8", "0", "65")
            try await s.call("TTL", "t")
            try await s.call("GET", "t")
            try await afterExpiredKey(s, "x", ["BITFIELD", "x", "INCRBY", "u8", "0", "1"])
            try await s.call("GET", "x")
            // A write that fails still creates the key (zero bytes), as lookupStringForBitCommand does.
            try await s.call("BITFIELD", "f", "OVERFLOW", "FAIL", "SET", "u8", "0", "256")
            try await s.call("GET", "f")
            try await noteStats(s)
            try await s.call("HELLO", "3")
            try await s.call("BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000", "GET", "u8", "0")
            try await s.call("BITFIELD", "f", "GET", "i8", "0", "SET", "i8", "0", "-1")
        },
        DifferentialCase(name: "BITFIELD and BITFIELD_RO errors") { s in
            try await s.call("SET", "k", "foobar")
            for type in [
                "x8", "U8", "I8", "u64", "i65", "i0", "u0", "u", "i", "", "i08", "i-8", "i 8", "i+8", "u8 ",
                "i9223372036854775808", "u8\u{0}junk", "i64\u{0}",
            ] {
                try await s.call("BITFIELD", "k", "GET", type, "0")
            }
            for offset in [
                "-1", "#-1", "#", "##1", "abc", "4294967296", "#536870912", "#1.5", "1#", "", " 0", "#0", "#01",
                "9223372036854775807",
            ] {
                try await s.call("BITFIELD", "k", "GET", "u8", offset)
            }
            for value in ["abc", "1.5", "9223372036854775808", "-9223372036854775809", "", " 1"] {
                try await s.call("BITFIELD", "k", "SET", "u8", "0", value)
                try await s.call("BITFIELD", "k", "INCRBY", "i8", "0", value)
            }
            for arguments in [
                ["GET", "u8"], ["GET", "u8", "0", "FOO"], ["SET", "u8", "0"], ["INCRBY", "u8", "0"], ["OVERFLOW"],
                ["GET", "u8", "0", "OVERFLOW"], ["OVERFLOW", "BAD"], ["OVERFLOW", "BAD", "GET", "x8", "0"],
                ["GET", "x8", "0", "OVERFLOW", "BAD"], ["OVERFLOW", "wrap\u{0}x", "GET", "u8", "0"],
                ["FOO", "u8", "0"],
                ["GET\u{0}x", "u8", "0"], ["SET", "u8", "0", "1", "GET", "u8"],
                ["SET", "u8", "#2", "1", "SET", "x1", "0", "1"],
            ] {
                try await s.call(["BITFIELD", "k"] + arguments)
            }
            try await s.call("GET", "k")
            // BITFIELD_RO reads every operation (and reports its errors) before refusing a write.
            try await s.call("BITFIELD_RO", "k", "SET", "u8", "0", "1")
            try await s.call("BITFIELD_RO", "k", "GET", "u8", "0", "INCRBY", "u8", "0", "1")
            try await s.call("BITFIELD_RO", "k", "SET", "u8", "0", "x")
            try await s.call("BITFIELD_RO", "k", "GET", "u8", "0", "SET")
            try await s.call("BITFIELD_RO", "missing", "SET", "u8", "0", "1")
            try await s.call("EXISTS", "missing")
            try await s.call("BITFIELD")
            try await s.call("BITFIELD_RO")
            try await noteStats(s)
        },
        DifferentialCase(name: "BITFIELD overflow in every mode for signed and unsigned widths", normalize: clientID) {
            s in
            let types: [(name: String, min: String, max: String)] = [
                ("i1", "-1", "0"), ("i2", "-2", "1"), ("i8", "-128", "127"), ("i16", "-32768", "32767"),
                ("i63", "-4611686018427387904", "4611686018427387903"),
                ("i64", "-9223372036854775808", "9223372036854775807"), ("u1", "0", "1"), ("u8", "0", "255"),
                ("u16", "0", "65535"), ("u62", "0", "4611686018427387903"), ("u63", "0", "9223372036854775807"),
            ]
            let extremes = ["-9223372036854775808", "9223372036854775807"]
            for mode in ["WRAP", "SAT", "FAIL"] {
                for (type, min, max) in types {
                    // INCRBY from each limit, by small and extreme steps.
                    var arguments = ["BITFIELD", "k", "OVERFLOW", mode]
                    for increment in ["1", "-1", "2", "-2", "100", "-100"] + extremes {
                        arguments += ["SET", type, "0", max, "INCRBY", type, "0", increment]
                        arguments += ["SET", type, "0", min, "INCRBY", type, "0", increment]
                    }
                    try await s.call(arguments)
                    // SET of values outside the type, then reading what was stored.
                    arguments = ["BITFIELD", "k", "OVERFLOW", mode]
                    for value in [
                        "256", "-129", "128", "-1", "65536", "-9223372036854775680", "-9223372036854775681",
                        "4611686018427387904", "-4611686018427387905",
                    ] + extremes {
                        arguments += ["SET", type, "0", "0", "SET", type, "0", value, "GET", type, "0"]
                    }
                    try await s.call(arguments)
                }
            }
            // OVERFLOW applies to the operations after it, and can change within a command.
            try await s.call(
                "BITFIELD", "k", "SET", "u8", "0", "250", "INCRBY", "u8", "0", "10", "OVERFLOW", "SAT", "INCRBY", "u8",
                "0",
                "250", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1", "OVERFLOW", "WRAP", "INCRBY", "u8", "0", "1")
            // Fields at unaligned offsets crossing byte boundaries.
            try await s.call(
                "BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i5", "3", "100", "INCRBY", "u7", "13", "-5", "GET",
                "u16", "0",
                "INCRBY", "i64", "5", "-9223372036854775808", "INCRBY", "i64", "5", "-1", "GET", "i64", "5")
            try await s.call("HELLO", "3")
            try await s.call(
                "BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", "0", "255", "INCRBY", "u8", "0", "1", "SET", "i8",
                "0",
                "128", "GET", "u8", "0")
        },
        DifferentialCase(name: "keyspace events of SETBIT, BITFIELD and BITOP") { s in
            try await s.call("PSUBSCRIBE", "__key*__:*", on: 1)
            try await s.call("CONFIG", "SET", "notify-keyspace-events", "KEAmn")
            // A new key: `new`, then `setbit`.
            try await s.call("SETBIT", "k", "0", "1")
            try await s.read(4, on: 1)
            // No change, no event; a change or a longer string, one `setbit`.
            try await s.call("SETBIT", "k", "0", "1")
            try await s.call("SETBIT", "k", "1", "0")
            try await s.call("SETBIT", "k", "0", "0")
            try await s.read(2, on: 1)
            try await s.call("SETBIT", "k", "100", "0")
            try await s.read(2, on: 1)
            // Reads count misses (`keymiss`); writes do not.
            try await s.call("GETBIT", "missing", "0")
            try await s.read(2, on: 1)
            try await s.call("GETBIT", "k", "0")
            try await s.call("BITCOUNT", "missing")
            try await s.read(2, on: 1)
            try await s.call("BITPOS", "missing", "1")
            try await s.read(2, on: 1)
            try await s.call("BITFIELD", "k", "SET", "u8", "0", "0", "INCRBY", "u8", "0", "0", "GET", "u8", "0")
            try await s.call("BITFIELD", "k", "SET", "u8", "0", "1")
            try await s.read(2, on: 1)
            try await s.call("BITFIELD", "k", "SET", "u8", "0", "2", "INCRBY", "u8", "0", "1")
            try await s.read(2, on: 1)
            try await s.call("BITFIELD", "missing", "GET", "u8", "0")
            try await s.read(2, on: 1)
            try await s.call("BITFIELD_RO", "missing", "GET", "u8", "0")
            try await s.read(2, on: 1)
            try await s.call("BITFIELD", "missing")
            try await s.read(2, on: 1)
            // A failed write still creates the key (`new`) but changes nothing (no `setbit`).
            try await s.call("BITFIELD", "nk", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "256")
            try await s.read(2, on: 1)
            try await s.call("BITFIELD", "nk2", "SET", "u8", "0", "0")
            try await s.read(4, on: 1)
            try await s.call("BITFIELD", "k", "SET", "u8", "200", "0")
            try await s.read(2, on: 1)
            try await s.call("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000")
            // BITOP: `new` and `set`, then `set`; an empty result `del`s, after the sources' misses.
            try await s.call("BITOP", "OR", "dest", "k")
            try await s.read(4, on: 1)
            try await s.call("BITOP", "OR", "dest", "k")
            try await s.read(2, on: 1)
            try await s.call("BITOP", "AND", "dest", "missing")
            try await s.read(4, on: 1)
            try await s.call("BITOP", "AND", "dest", "missing")
            try await s.read(2, on: 1)
            try await afterExpiredKey(s, "x", ["BITOP", "OR", "x", "k"])
            try await s.read(12, on: 1)
            try await afterExpiredKey(s, "y", ["BITOP", "AND", "y", "missing"])
            try await s.read(10, on: 1)
            try await afterExpiredKey(s, "z", ["SETBIT", "z", "0", "0"])
            try await s.read(12, on: 1)
            try await afterExpiredKey(s, "w", ["BITFIELD", "w", "GET", "u8", "0"])
            try await s.read(10, on: 1)
            // Errors change nothing and notify nothing.
            try await s.call("SETBIT", "k", "-1", "1")
            try await s.call("SETBIT", "k", "0", "2")
            try await s.call("BITFIELD", "k", "SET", "u8", "0", "x")
            try await s.call("BITFIELD_RO", "k", "SET", "u8", "0", "1")
            try await s.call("BITOP", "NOT", "dest", "k", "k")
            try await s.call("CONFIG", "SET", "notify-keyspace-events", "E$")
            try await s.call("SETBIT", "k", "0", "1")
            try await s.read(on: 1)
            try await s.call("BITOP", "OR", "dest2", "k")
            try await s.read(on: 1)
            try await s.call("BITOP", "AND", "dest2", "missing")
            try await s.call("PING", on: 1)
        },
        DifferentialCase(name: "BITCOUNT, BITPOS and BITFIELD on random strings (seeded)") { s in
            var random = SeededRandomNumberGenerator(seed: 0xB175)
            for round in 0..<60 {
                let count = Int.random(in: 0...40, using: &random)
                // Runs of 0x00 and 0xFF bytes, so that scans cross words and edges.
                let bytes = (0..<count).map { _ in
                    [0x00, 0xFF, UInt8.random(in: 0...255, using: &random)].randomElement(using: &random)!
                }
                try await s.call(bytes: [Array("SET".utf8), Array("r".utf8), bytes])
                for _ in 0..<6 {
                    try await s.call(randomBitCommand(round: round, using: &random))
                }
                try await s.call("GET", "r")
            }
        },
    ]

    /// A random `BITCOUNT`, `BITPOS`, `BITFIELD` or `SETBIT` on key `r`, with indexes around the
    /// edges of a short string and the extremes of 64-bit integers.
    static func randomBitCommand(round: Int, using random: inout SeededRandomNumberGenerator) -> [String] {
        func index() -> String {
            switch Int.random(in: 0..<10, using: &random) {
            case 0: return "-9223372036854775808"
            case 1: return "9223372036854775807"
            case 2...5: return String(Int.random(in: -45...45, using: &random))
            default: return String(Int.random(in: -330...330, using: &random))
            }
        }
        func value() -> String {
            switch Int.random(in: 0..<4, using: &random) {
            case 0: return String(Int64.random(in: .min ... .max, using: &random))
            case 1: return ["-9223372036854775808", "9223372036854775807"].randomElement(using: &random)!
            default: return String(Int.random(in: -300...300, using: &random))
            }
        }
        func unit() -> String { ["BIT", "BYTE", "bit"].randomElement(using: &random)! }
        switch (round + Int.random(in: 0..<4, using: &random)) % 4 {
        case 0:
            var command = ["BITCOUNT", "r"]
            if Bool.random(using: &random) { command += [index(), index()] }
            if command.count == 4 && Bool.random(using: &random) { command.append(unit()) }
            return command
        case 1:
            var command = ["BITPOS", "r", Bool.random(using: &random) ? "1" : "0"]
            if Int.random(in: 0..<5, using: &random) > 0 { command.append(index()) }
            if command.count == 4 && Int.random(in: 0..<3, using: &random) > 0 { command.append(index()) }
            if command.count == 5 && Bool.random(using: &random) { command.append(unit()) }
            return command
        case 2:
            var command = ["BITFIELD", "r"]
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let operation = ["GET", "SET", "INCRBY", "OVERFLOW"].randomElement(using: &random)!
                if operation == "OVERFLOW" {
                    command += ["OVERFLOW", ["WRAP", "SAT", "FAIL"].randomElement(using: &random)!]
                    continue
                }
                let signed = Bool.random(using: &random)
                let type =
                    signed ? "i\(Int.random(in: 1...64, using: &random))" : "u\(Int.random(in: 1...63, using: &random))"
                command += [operation, type, String(Int.random(in: 0...400, using: &random))]
                if operation != "GET" { command.append(value()) }
            }
            return command
        default:
            return [
                "SETBIT", "r", String(Int.random(in: 0...400, using: &random)), Bool.random(using: &random) ? "1" : "0",
            ]
        }
    }
}
