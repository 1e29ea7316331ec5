/// Splits an inline command line into arguments exactly as Redis's `sdssplitargs` does.
///
/// Unquoted tokens end at a space, tab, CR, LF or NUL. In double quotes `\xHH`, `\n`, `\r`, `\t`,
/// `\b`, `\a` and `\<c>` are unescaped; in single quotes only `\'`. A closing quote must be followed
/// by whitespace or the end of the line; an unterminated quote, or a closing quote followed by
/// anything else, is an error (`nil`), which Redis reports as "unbalanced quotes in request".
public enum RESPInlineSplitter {
    /// Splits `line` (without its line ending); `nil` means unbalanced quotes.
    public static func split<Bytes: RandomAccessCollection>(_ line: Bytes) -> [[UInt8]]?
    where Bytes.Element == UInt8, Bytes.Index == Int {
        var result: [[UInt8]] = []
        var i = line.startIndex
        let end = line.endIndex
        @inline(__always) func at(_ index: Int) -> UInt8 { index < end ? line[index] : 0 }
        @inline(__always) func isSpace(_ c: UInt8) -> Bool {
            c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0B || c == 0x0C || c == 0x0D
        }
        @inline(__always) func hexValue(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        while true {
            while i < end && isSpace(line[i]) { i += 1 }
            guard at(i) != 0 else { return result }
            var inDouble = false
            var inSingle = false
            var done = false
            var current: [UInt8] = []
            while !done {
                let c = at(i)
                if inDouble {
                    if c == UInt8(ascii: "\\") && at(i + 1) == UInt8(ascii: "x"), let h = hexValue(at(i + 2)),
                        let l = hexValue(at(i + 3))
                    {
                        current.append(h << 4 | l)
                        i += 3
                    } else if c == UInt8(ascii: "\\") && at(i + 1) != 0 {
                        i += 1
                        switch at(i) {
                        case UInt8(ascii: "n"): current.append(0x0A)
                        case UInt8(ascii: "r"): current.append(0x0D)
                        case UInt8(ascii: "t"): current.append(0x09)
                        case UInt8(ascii: "b"): current.append(0x08)
                        case UInt8(ascii: "a"): current.append(0x07)
                        default: current.append(at(i))
                        }
                    } else if c == UInt8(ascii: "\"") {
                        let next = at(i + 1)
                        if next != 0 && !isSpace(next) { return nil }
                        done = true
                    } else if c == 0 {
                        return nil
                    } else {
                        current.append(c)
                    }
                } else if inSingle {
                    if c == UInt8(ascii: "\\") && at(i + 1) == UInt8(ascii: "'") {
                        i += 1
                        current.append(UInt8(ascii: "'"))
                    } else if c == UInt8(ascii: "'") {
                        let next = at(i + 1)
                        if next != 0 && !isSpace(next) { return nil }
                        done = true
                    } else if c == 0 {
                        return nil
                    } else {
                        current.append(c)
                    }
                } else {
                    switch c {
                    case 0x20, 0x0A, 0x0D, 0x09, 0x00: done = true
                    case UInt8(ascii: "\""): inDouble = true
                    case UInt8(ascii: "'"): inSingle = true
                    default: current.append(c)
                    }
                }
                if at(i) != 0 { i += 1 }
            }
            result.append(current)
        }
    }
}
