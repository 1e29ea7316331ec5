/// Redis's glob matching (`stringmatchlen` in util.c), byte for byte.
///
/// `*` any run, `?` one byte, `[abc]`, `[^abc]`, `[a-z]` (ends may be reversed), `\x` a literal `x`.
/// Used by `KEYS`, `SCAN MATCH`, `PSUBSCRIBE`, `PUBSUB CHANNELS` and `CONFIG GET`. A pattern that would
/// recurse more than 1000 levels fails to match, as in Redis.
public enum GlobPattern {
    /// Whether `string` matches `pattern`.
    public static func matches(
        pattern: UnsafeRawBufferPointer, string: UnsafeRawBufferPointer, caseInsensitive: Bool = false
    ) -> Bool {
        var skipLonger = false
        return match(pattern, 0, string, 0, caseInsensitive, &skipLonger, 0)
    }

    /// Whether `string` matches `pattern` (byte arrays).
    public static func matches(pattern: [UInt8], string: [UInt8], caseInsensitive: Bool = false) -> Bool {
        pattern.withUnsafeBytes { p in
            string.withUnsafeBytes { s in matches(pattern: p, string: s, caseInsensitive: caseInsensitive) }
        }
    }

    @inline(__always)
    private static func lower(_ c: UInt8) -> UInt8 {
        c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") ? c | 0x20 : c
    }

    // A direct port: `p`/`s` are positions, and a read past the end yields 0 as C's terminator does.
    private static func match(
        _ pattern: UnsafeRawBufferPointer, _ p0: Int, _ string: UnsafeRawBufferPointer, _ s0: Int,
        _ nocase: Bool, _ skipLonger: inout Bool, _ nesting: Int
    ) -> Bool {
        if nesting > 1000 { return false }
        var p = p0
        var s = s0
        let pn = pattern.count
        let sn = string.count
        @inline(__always) func pat(_ i: Int) -> UInt8 { i < pn ? pattern[i] : 0 }
        while pn - p > 0 && sn - s > 0 {
            switch pat(p) {
            case UInt8(ascii: "*"):
                while pn - p > 0 && pat(p + 1) == UInt8(ascii: "*") { p += 1 }
                if pn - p == 1 { return true }
                while sn - s > 0 {
                    if match(pattern, p + 1, string, s, nocase, &skipLonger, nesting + 1) { return true }
                    if skipLonger { return false }
                    s += 1
                }
                skipLonger = true
                return false
            case UInt8(ascii: "?"):
                s += 1
            case UInt8(ascii: "["):
                p += 1
                let negate = pat(p) == UInt8(ascii: "^")
                if negate { p += 1 }
                var matched = false
                let c = string[s]
                while true {
                    if pat(p) == UInt8(ascii: "\\") && pn - p >= 2 {
                        p += 1
                        if pat(p) == c { matched = true }
                    } else if pat(p) == UInt8(ascii: "]") {
                        break
                    } else if pn - p <= 0 {
                        p -= 1
                        break
                    } else if pn - p >= 3 && pat(p + 1) == UInt8(ascii: "-") {
                        // C compares plain (signed) chars here.
                        var start = Int(Int8(bitPattern: pat(p)))
                        var end = Int(Int8(bitPattern: pat(p + 2)))
                        var ch = Int(Int8(bitPattern: c))
                        if start > end { swap(&start, &end) }
                        if nocase {
                            start = Int(Int8(bitPattern: lower(UInt8(bitPattern: Int8(start)))))
                            end = Int(Int8(bitPattern: lower(UInt8(bitPattern: Int8(end)))))
                            ch = Int(Int8(bitPattern: lower(c)))
                        }
                        p += 2
                        if ch >= start && ch <= end { matched = true }
                    } else if nocase ? lower(pat(p)) == lower(c) : pat(p) == c {
                        matched = true
                    }
                    p += 1
                }
                if negate { matched.toggle() }
                if !matched { return false }
                s += 1
            default:
                if pat(p) == UInt8(ascii: "\\") && pn - p >= 2 { p += 1 }
                let c = string[s]
                if nocase ? lower(pat(p)) != lower(c) : pat(p) != c { return false }
                s += 1
            }
            p += 1
            if sn - s == 0 {
                while pat(p) == UInt8(ascii: "*") { p += 1 }
                break
            }
        }
        return pn - p == 0 && sn - s == 0
    }
}
