import BrokerStorage

/// Redis's bitmap arithmetic (`bitops.c`) on plain bytes, for `GETBIT`, `SETBIT`, `BITCOUNT`,
/// `BITPOS` and `BITOP`.
///
/// Bit 0 is the most significant bit of byte 0, bit 8 the most significant bit of byte 1, and so
/// on; bits past the end of the bytes read as clear.
enum Bitmap {
    /// `BITOP`'s operations.
    enum Operation {
        case and, or, xor, not
    }

    /// Whether bit `offset` of `bytes` is set (`false` past the end).
    static func bit(at offset: Int, in bytes: UnsafeRawBufferPointer) -> Bool {
        let byte = offset >> 3
        return byte < bytes.count && bytes[byte] & (0x80 >> (offset & 7)) != 0
    }

    /// Sets or clears bit `offset`, which must lie within `bytes`.
    static func setBit(at offset: Int, to on: Bool, in bytes: inout [UInt8]) {
        let mask = UInt8(0x80) >> (offset & 7)
        if on { bytes[offset >> 3] |= mask } else { bytes[offset >> 3] &= ~mask }
    }

    /// The bit positions that `start` and `end` select in a string of `length` bytes, the indexes
    /// counting bits (`BIT`) or bytes (`BYTE`), as `BITCOUNT` and `BITPOS` resolve them; `nil` when
    /// the selection is empty. `0` and `-1` select the whole string.
    static func selectedBits(start: Int64, end: Int64, length: Int, inBits: Bool) -> ClosedRange<Int>? {
        let count = Int64(length)
        guard let range = resolveRange(start: start, end: end, count: inBits ? count * 8 : count) else { return nil }
        let (first, last) = (Int(range.lowerBound), Int(range.upperBound))
        return inBits ? first...last : first * 8...last * 8 + 7
    }

    /// Redis's resolution of a range over `count` units (bytes or bits): negative indexes count
    /// from the end, then both ends are clamped to the string. `nil` when nothing is left (start
    /// after end).
    static func resolveRange(start: Int64, end: Int64, count: Int64) -> ClosedRange<Int64>? {
        // `count` is never negative, so adding a negative index cannot overflow.
        var start = start < 0 ? start + count : start
        var end = end < 0 ? end + count : end
        start = max(start, 0)
        end = max(end, 0)
        if end >= count { end = count - 1 }
        return start <= end ? start...end : nil
    }

    /// The number of set bits among positions `bits` of `bytes` (which must lie within them).
    static func countSetBits(in bytes: UnsafeRawBufferPointer, bits: ClosedRange<Int>) -> Int {
        let first = bits.lowerBound >> 3
        let last = bits.upperBound >> 3
        var count = 0
        var i = first
        while i + 8 <= last + 1 {
            count += bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self).nonzeroBitCount
            i += 8
        }
        while i <= last {
            count += bytes[i].nonzeroBitCount
            i += 1
        }
        // Take away the bits of the edge bytes that lie outside the range.
        let before = bytes[first] & ~(UInt8(0xFF) >> (bits.lowerBound & 7))
        let after = bytes[last] & (UInt8(0xFF) >> ((bits.upperBound & 7) + 1))
        return count - before.nonzeroBitCount - after.nonzeroBitCount
    }

    /// The position of the first bit equal to `bit` among positions `bits` of `bytes` (which must
    /// lie within them), or `nil` if there is none.
    static func firstBit(_ bit: Bool, in bytes: UnsafeRawBufferPointer, bits: ClosedRange<Int>) -> Int? {
        var i = bits.lowerBound
        let end = bits.upperBound
        while i <= end && i & 7 != 0 {
            if Self.bit(at: i, in: bytes) == bit { return i }
            i += 1
        }
        // Whole words, then whole bytes, that hold no wanted bit are skipped at once.
        let skipWord: UInt64 = bit ? 0 : .max
        while i + 63 <= end {
            let word = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: i >> 3, as: UInt64.self))
            if word != skipWord { return i + (bit ? word : ~word).leadingZeroBitCount }
            i += 64
        }
        let skipByte: UInt8 = bit ? 0 : 0xFF
        while i + 7 <= end {
            let byte = bytes[i >> 3]
            if byte != skipByte { return i + (bit ? byte : ~byte).leadingZeroBitCount }
            i += 8
        }
        while i <= end {
            if Self.bit(at: i, in: bytes) == bit { return i }
            i += 1
        }
        return nil
    }

    /// `BITOP`'s result: `operation` over `sources`, the shorter ones padded with zero bytes; as
    /// long as the longest source (empty when every source is). `NOT` takes exactly one source.
    static func combine(_ operation: Operation, _ sources: [StringValue]) -> [UInt8] {
        precondition(operation != .not || sources.count == 1, "BITOP NOT takes one source")
        let length = sources.lazy.map(\.count).max() ?? 0
        guard length > 0 else { return [] }
        var result = [UInt8](repeating: 0, count: length)
        result.withUnsafeMutableBytes { out in
            sources[0].withUnsafeBytes { first in
                for j in 0..<first.count { out[j] = first[j] }
            }
            if operation == .not {
                for j in 0..<length { out[j] = ~out[j] }
                return
            }
            for source in sources.dropFirst() {
                source.withUnsafeBytes { source in
                    let n = source.count
                    switch operation {
                    case .and:
                        for j in 0..<n { out[j] &= source[j] }
                        for j in n..<length { out[j] = 0 }
                    case .or:
                        for j in 0..<n { out[j] |= source[j] }
                    case .xor:
                        for j in 0..<n { out[j] ^= source[j] }
                    case .not:
                        break
                    }
                }
            }
        }
        return result
    }
}
