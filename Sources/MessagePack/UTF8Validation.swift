/// A UTF-8 validator that makes no `String`: the same rules as the standard library's
/// `String(validating:)` (no overlong forms, no surrogates, nothing above U+10FFFF), with an ASCII
/// fast path eight bytes at a time.
enum UTF8Validation {
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        var i = 0
        while i < count {
            // Skip ASCII a word at a time.
            while i &+ 8 <= count, bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
            {
                i &+= 8
            }
            guard i < count else { return true }
            let lead = bytes[i]
            if lead < 0x80 {
                i &+= 1
                continue
            }
            // The allowed range of the second byte depends on the lead byte; later bytes are 80...BF.
            let trailing: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xbf
            switch lead {
            case 0xc2...0xdf: trailing = 1
            case 0xe0: trailing = 2; low = 0xa0
            case 0xe1...0xec, 0xee...0xef: trailing = 2
            case 0xed: trailing = 2; high = 0x9f
            case 0xf0: trailing = 3; low = 0x90
            case 0xf1...0xf3: trailing = 3
            case 0xf4: trailing = 3; high = 0x8f
            default: return false
            }
            guard count &- i > trailing else { return false }
            let second = bytes[i &+ 1]
            guard second >= low, second <= high else { return false }
            var j = 2
            while j <= trailing {
                guard bytes[i &+ j] & 0xc0 == 0x80 else { return false }
                j &+= 1
            }
            i &+= trailing &+ 1
        }
        return true
    }
}
