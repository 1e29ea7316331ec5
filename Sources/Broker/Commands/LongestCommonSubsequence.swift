/// `LCS`'s computation, ported from Redis 7.0's `lcsCommand`: the dynamic-programming table, the
/// subsequence itself, and the matching ranges in the order Redis reports them (from the ends of
/// the strings backwards).
struct LongestCommonSubsequence {
    /// One run of consecutive matching bytes: inclusive ranges in each string.
    struct Match: Equatable {
        var a: ClosedRange<Int>
        var b: ClosedRange<Int>
        var length: Int { a.count }
    }

    /// The length of the longest common subsequence.
    let length: Int
    /// The subsequence (only computed when asked for).
    let sequence: [UInt8]
    /// Matching ranges of at least `minimumMatchLength` bytes (only computed when asked for).
    let matches: [Match]

    /// Computes the LCS of `a` and `b`; `needSequence` asks for the bytes and ranges, not just the
    /// length.
    init(_ a: [UInt8], _ b: [UInt8], needSequence: Bool, minimumMatchLength: Int = 0) {
        let alen = a.count
        let blen = b.count
        let width = blen + 1
        var table = [UInt32](repeating: 0, count: (alen + 1) * width)
        if alen > 0 && blen > 0 {
            for i in 1...alen {
                for j in 1...blen {
                    if a[i - 1] == b[j - 1] {
                        table[i * width + j] = table[(i - 1) * width + j - 1] + 1
                    } else {
                        table[i * width + j] = max(table[(i - 1) * width + j], table[i * width + j - 1])
                    }
                }
            }
        }
        let total = Int(table[alen * width + blen])
        length = total
        guard needSequence else {
            sequence = []
            matches = []
            return
        }
        var result = [UInt8](repeating: 0, count: total)
        var found: [Match] = []
        var index = total
        // `alen` as the start marks "no range open", as in Redis.
        var aStart = alen
        var aEnd = 0
        var bStart = 0
        var bEnd = 0
        var i = alen
        var j = blen
        while i > 0 && j > 0 {
            var emit = false
            if a[i - 1] == b[j - 1] {
                result[index - 1] = a[i - 1]
                if aStart == alen {
                    aStart = i - 1
                    aEnd = i - 1
                    bStart = j - 1
                    bEnd = j - 1
                } else if aStart == i && bStart == j {
                    aStart -= 1
                    bStart -= 1
                } else {
                    emit = true
                }
                if aStart == 0 || bStart == 0 { emit = true }
                index -= 1
                i -= 1
                j -= 1
            } else {
                if table[(i - 1) * width + j] > table[i * width + j - 1] {
                    i -= 1
                } else {
                    j -= 1
                }
                if aStart != alen { emit = true }
            }
            if emit {
                let matchLength = aEnd - aStart + 1
                if minimumMatchLength == 0 || matchLength >= minimumMatchLength {
                    found.append(Match(a: aStart...aEnd, b: bStart...bEnd))
                }
                aStart = alen
            }
        }
        sequence = result
        matches = found
    }
}
