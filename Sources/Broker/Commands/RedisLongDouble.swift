#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Redis's long-double arithmetic text: `string2ld` to read and `ld2string` to write, as
/// `INCRBYFLOAT` and `HINCRBYFLOAT` use them (x87 80-bit `long double` here, as in Redis on x86-64).
enum RedisLongDouble {
    /// Redis's `MAX_LONG_DOUBLE_CHARS`: the longest text it reads or writes.
    static let maxCharacters = 5 * 1024

    /// Parses `bytes` as Redis's `string2ld` does: `strtold` over the whole text (a NUL inside
    /// it makes it invalid), no leading space, no NaN, no overflow; `nil` when Redis refuses the text.
    static func parse<Bytes: Collection>(_ bytes: Bytes) -> Float80? where Bytes.Element == UInt8 {
        let count = bytes.count
        guard count > 0, count < maxCharacters else { return nil }
        var text = [CChar](repeating: 0, count: count + 1)
        var i = 0
        for b in bytes {
            text[i] = CChar(bitPattern: b)
            i += 1
        }
        let first = UInt8(bitPattern: text[0])
        if first == 0x20 || (first >= 0x09 && first <= 0x0D) { return nil }
        return text.withUnsafeMutableBufferPointer { buffer -> Float80? in
            var end: UnsafeMutablePointer<CChar>? = nil
            errno = 0
            let value = strtold(buffer.baseAddress!, &end)
            // The whole text must be read: a NUL inside it is not an end (Redis checks eptr - buf).
            guard let end, end.pointee == 0, end - buffer.baseAddress! == count else { return nil }
            if errno == ERANGE && (value.isInfinite || value == 0) { return nil }
            if errno == EINVAL || value.isNaN { return nil }
            return value
        }
    }

    /// Formats `value` as `ld2string` does: `humanFriendly` is `%.17Lf` with trailing zeros (and a
    /// trailing dot) removed and `-0` written `0`; otherwise `%.17Lg`. Infinities are `inf`/`-inf`.
    static func format(_ value: Float80, humanFriendly: Bool) -> String {
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        var text = withUnsafeTemporaryAllocation(of: CChar.self, capacity: maxCharacters) { buffer -> [UInt8] in
            let n = withVaList([value]) {
                vsnprintf(buffer.baseAddress!, maxCharacters, humanFriendly ? "%.17Lf" : "%.17Lg", $0)
            }
            guard n > 0, Int(n) < maxCharacters else { return [] }
            return UnsafeRawBufferPointer(start: buffer.baseAddress!, count: Int(n)).map { $0 }
        }
        if humanFriendly {
            if text.contains(UInt8(ascii: ".")) {
                while text.last == UInt8(ascii: "0") { text.removeLast() }
                if text.last == UInt8(ascii: ".") { text.removeLast() }
            }
            if text == Array("-0".utf8) { text = [UInt8(ascii: "0")] }
        }
        return String(decoding: text, as: UTF8.self)
    }
}
