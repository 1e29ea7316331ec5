/// Substring search and number reading on raw bytes, for classifying messages without decoding them.
enum ByteSearch {
    /// The index of the first occurrence of `needle` in `bytes` at or after `start`, or nil.
    static func find(_ needle: StaticString, in bytes: UnsafeRawBufferPointer, from start: Int = 0) -> Int? {
        needle.withUTF8Buffer { needle -> Int? in
            let count = needle.count
            guard count > 0, bytes.count - start >= count else { return nil }
            let first = needle[0]
            var index = start
            let last = bytes.count - count
            while index <= last {
                if bytes[index] == first {
                    var matched = 1
                    while matched < count, bytes[index + matched] == needle[matched] { matched += 1 }
                    if matched == count { return index }
                }
                index += 1
            }
            return nil
        }
    }

    /// True when `bytes` holds exactly `literal` at `index`.
    static func hasPrefix(_ literal: StaticString, in bytes: UnsafeRawBufferPointer, at index: Int) -> Bool {
        literal.withUTF8Buffer { literal -> Bool in
            guard index >= 0, bytes.count - index >= literal.count else { return false }
            for offset in 0..<literal.count where bytes[index + offset] != literal[offset] { return false }
            return true
        }
    }

    /// The index of the first byte at or after `index` that is not JSON whitespace.
    static func skipSpaces(_ bytes: UnsafeRawBufferPointer, from index: Int) -> Int {
        var index = index
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
            default: return index
            }
        }
        return index
    }

    /// The decimal number starting at `index` and the index after its last digit, or nil when there
    /// is no digit there or the number does not fit in 64 bits.
    static func decimal(_ bytes: UnsafeRawBufferPointer, at index: Int) -> (value: UInt64, end: Int)? {
        var value: UInt64 = 0
        var position = index
        while position < bytes.count {
            let digit = bytes[position] &- UInt8(ascii: "0")
            guard digit < 10 else { break }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit))
            if overflow1 || overflow2 { return nil }
            value = sum
            position += 1
        }
        return position == index ? nil : (value, position)
    }

    /// The first `hb:<sentAt>[:<sender>:<sequence>]` marker in `bytes` at or after `start`, or nil.
    static func marker(in bytes: UnsafeRawBufferPointer, from start: Int = 0) -> BenchMarker? {
        var from = start
        while let at = find("hb:", in: bytes, from: from) {
            if let (sentAt, end) = decimal(bytes, at: at + 3) {
                var marker = BenchMarker(sentAt: sentAt)
                if end < bytes.count, bytes[end] == UInt8(ascii: ":"),
                    let (sender, senderEnd) = decimal(bytes, at: end + 1),
                    senderEnd < bytes.count, bytes[senderEnd] == UInt8(ascii: ":"),
                    let (sequence, _) = decimal(bytes, at: senderEnd + 1)
                {
                    marker.sender = sender
                    marker.sequence = sequence
                }
                return marker
            }
            from = at + 3
        }
        return nil
    }
}
