/// LZF as Redis 7.0 bundles it (liblzf 3.6, `lzf_c.c` / `lzf_d.c`, with Redis's `lzfP.h`: `HLOG` 16,
/// `VERY_FAST`, `CHECK_INPUT`), so compressed bytes are the ones redis-server writes.
///
/// Format: `000LLLLL` + L+1 literal bytes; `LLLooooo oooooooo` a back reference of L+2 bytes at
/// offset o+1; `111ooooo LLLLLLLL oooooooo` the same with length L+9.
enum LZF {
    private static let hashLog = 16
    private static let hashSize = 1 << hashLog
    private static let maxLiteral = 1 << 5
    private static let maxOffset = 1 << 13
    private static let maxReference = (1 << 8) + (1 << 3)

    /// The most bytes one compressed byte can expand to (a three-byte reference copies 264 bytes).
    static let maximumExpansion = 88

    /// Redis's `lzf_compress(input, count, out, limit)`: the compressed bytes, or `nil` when they
    /// would not fit in `limit` bytes (liblzf returns 0), when `input` or `limit` is empty, or when
    /// `input` is 2 GiB or longer (positions are kept in 32 bits).
    ///
    /// The hash table starts empty. Redis leaves it uninitialized (`INIT_HTAB 0`) but only accepts
    /// a stale entry that points at equal bytes less than 8 KiB back in the same input, which an
    /// empty table's search finds the same way: the output matches redis-server's `DUMP`.
    static func compress(_ input: UnsafeRawBufferPointer, limit: Int) -> [UInt8]? {
        let inLength = input.count
        guard inLength > 0, limit > 0, inLength < Int(Int32.max) else { return nil }
        // The last position of each hash; 0 doubles as empty, as liblzf never refers back to
        // position 0 (`ref > in_data`).
        var table = [Int32](repeating: 0, count: hashSize)
        var out = [UInt8](repeating: 0, count: limit + 1)
        let produced: Int? = table.withUnsafeMutableBufferPointer { htab in
            out.withUnsafeMutableBufferPointer { out in
                func index(_ h: UInt32) -> Int {
                    Int(((h >> UInt32(24 - hashLog)) &- h &* 5) & UInt32(hashSize - 1))
                }
                func next(_ v: UInt32, _ p: Int) -> UInt32 { (v << 8) | UInt32(input[p + 2]) }

                var ip = 0
                var op = 1  // start run
                var lit = 0
                var hval = inLength > 1 ? (UInt32(input[0]) << 8) | UInt32(input[1]) : 0
                // One more byte in the current literal run, closing the run at 32 bytes.
                func copyLiteral() {
                    lit += 1
                    out[op] = input[ip]
                    op += 1
                    ip += 1
                    if lit == maxLiteral {
                        out[op - lit - 1] = UInt8(lit - 1)  // stop run
                        lit = 0
                        op += 1  // start run
                    }
                }
                while ip < inLength - 2 {
                    hval = next(hval, ip)
                    let slot = index(hval)
                    let ref = Int(htab[slot])
                    htab[slot] = Int32(ip)
                    if ref > 0 && ref < ip && ip - ref - 1 < maxOffset && input[ref + 2] == input[ip + 2]
                        && input[ref] == input[ip] && input[ref + 1] == input[ip + 1]
                    {
                        let off = ip - ref - 1
                        var len = 2
                        let maxlen = min(inLength - ip - len, maxReference)
                        if op + 3 + 1 >= limit && op - (lit == 0 ? 1 : 0) + 3 + 1 >= limit { return nil }
                        out[op - lit - 1] = UInt8(truncatingIfNeeded: lit - 1)  // stop run
                        if lit == 0 { op -= 1 }  // undo run if length is zero
                        matching: do {
                            if maxlen > 16 {
                                for _ in 0..<16 {
                                    len += 1
                                    if input[ref + len] != input[ip + len] { break matching }
                                }
                            }
                            repeat { len += 1 } while len < maxlen && input[ref + len] == input[ip + len]
                        }
                        len -= 2  // now the number of bytes - 2
                        ip += 1
                        if len < 7 {
                            out[op] = UInt8(truncatingIfNeeded: (off >> 8) + (len << 5))
                            op += 1
                        } else {
                            out[op] = UInt8(truncatingIfNeeded: (off >> 8) + (7 << 5))
                            out[op + 1] = UInt8(truncatingIfNeeded: len - 7)
                            op += 2
                        }
                        out[op] = UInt8(truncatingIfNeeded: off)
                        op += 2  // and start a run
                        lit = 0
                        ip += len + 1
                        if ip >= inLength - 2 { break }
                        // VERY_FAST: hash the last two positions of the match.
                        ip -= 2
                        hval = (UInt32(input[ip]) << 8) | UInt32(input[ip + 1])
                        hval = next(hval, ip)
                        htab[index(hval)] = Int32(ip)
                        ip += 1
                        hval = next(hval, ip)
                        htab[index(hval)] = Int32(ip)
                        ip += 1
                    } else {
                        if op >= limit { return nil }
                        copyLiteral()
                    }
                }
                if op + 3 > limit { return nil }  // at most 3 bytes can be missing here
                while ip < inLength { copyLiteral() }
                out[op - lit - 1] = UInt8(truncatingIfNeeded: lit - 1)  // end run
                if lit == 0 { op -= 1 }
                return op
            }
        }
        guard let produced else { return nil }
        out.removeSubrange(produced...)
        return out
    }

    /// The bytes `input` expands to when they are exactly `count`, else `nil` (Redis's
    /// `lzf_decompress(input, …, count) != count`). Never traps and never allocates more than
    /// `input` can expand to.
    ///
    /// As in Redis, `count` 0 accepts any input: liblzf reports an error as 0 bytes written.
    static func decompress(_ input: UnsafeRawBufferPointer, count: Int) -> [UInt8]? {
        if count == 0 { return [] }
        guard count > 0, count / maximumExpansion <= input.count else { return nil }
        var out = [UInt8](repeating: 0, count: count)
        let written = out.withUnsafeMutableBufferPointer { decompress(input, into: $0) }
        return written == count ? out : nil
    }

    /// Redis's `lzf_decompress`: the number of bytes written to `output`, or 0 for a corrupt
    /// stream (a reference before the start, input that ends early) or one that does not fit.
    static func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let inEnd = input.count
        let outEnd = output.count
        var ip = 0
        var op = 0
        // liblzf reads a first control byte even from empty input; whatever it is, the result is 0.
        guard inEnd > 0 else { return 0 }
        repeat {
            var ctrl = Int(input[ip])
            ip += 1
            if ctrl < 1 << 5 {  // literal run
                ctrl += 1
                if op + ctrl > outEnd || ip + ctrl > inEnd { return 0 }
                for k in 0..<ctrl { output[op + k] = input[ip + k] }
                op += ctrl
                ip += ctrl
            } else {  // back reference
                var len = ctrl >> 5
                var ref = op - ((ctrl & 0x1f) << 8) - 1
                if ip >= inEnd { return 0 }
                if len == 7 {
                    len += Int(input[ip])
                    ip += 1
                    if ip >= inEnd { return 0 }
                }
                ref -= Int(input[ip])
                ip += 1
                if op + len + 2 > outEnd || ref < 0 { return 0 }
                // Byte by byte: the source may overlap what this copy writes.
                for _ in 0..<(len + 2) {
                    output[op] = output[ref]
                    op += 1
                    ref += 1
                }
            }
        } while ip < inEnd
        return op
    }
}
