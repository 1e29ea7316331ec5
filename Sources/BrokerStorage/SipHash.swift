/// SipHash over a 128-bit key, with the round counts as parameters (1-3 for the keyspace, as
/// Redis-like tables do; 2-4 is the paper's reference variant and what the test vectors cover).
///
/// A keyed hash keeps a client that chooses keys from forcing every key into one bucket
/// (hash flooding); the key is random per process (`KeyspaceHashSeed.process`).
enum SipHash {
    /// The hash of `bytes` under the key `(k0, k1)`, little-endian as in the reference code.
    @inline(__always)
    static func hash(
        _ bytes: UnsafeRawBufferPointer, k0: UInt64, k1: UInt64, compressionRounds: Int = 1,
        finalizationRounds: Int = 3
    ) -> UInt64 {
        var v0: UInt64 = k0 ^ 0x736f_6d65_7073_6575
        var v1: UInt64 = k1 ^ 0x646f_7261_6e64_6f6d
        var v2: UInt64 = k0 ^ 0x6c79_6765_6e65_7261
        var v3: UInt64 = k1 ^ 0x7465_6462_7974_6573

        @inline(__always) func round() {
            v0 &+= v1
            v1 = v1.rotatedLeft(13)
            v1 ^= v0
            v0 = v0.rotatedLeft(32)
            v2 &+= v3
            v3 = v3.rotatedLeft(16)
            v3 ^= v2
            v0 &+= v3
            v3 = v3.rotatedLeft(21)
            v3 ^= v0
            v2 &+= v1
            v1 = v1.rotatedLeft(17)
            v1 ^= v2
            v2 = v2.rotatedLeft(32)
        }

        let count = bytes.count
        let whole = count & ~7
        var offset = 0
        while offset < whole {
            let m = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            v3 ^= m
            for _ in 0..<compressionRounds { round() }
            v0 ^= m
            offset += 8
        }
        var last = UInt64(truncatingIfNeeded: count) << 56
        var shift: UInt64 = 0
        while offset < count {
            last |= UInt64(bytes[offset]) << shift
            shift += 8
            offset += 1
        }
        v3 ^= last
        for _ in 0..<compressionRounds { round() }
        v0 ^= last
        v2 ^= 0xff
        for _ in 0..<finalizationRounds { round() }
        return v0 ^ v1 ^ v2 ^ v3
    }
}

extension UInt64 {
    @inline(__always)
    fileprivate func rotatedLeft(_ n: UInt64) -> UInt64 { (self << n) | (self >> (64 - n)) }
}

/// The 128-bit key of the keyspace hash: random once per process, like Redis's `dictSetHashFunctionSeed`.
struct KeyspaceHashSeed: Sendable, Equatable {
    var k0: UInt64
    var k1: UInt64

    /// This process's seed, drawn from the system's generator on first use.
    static let process: KeyspaceHashSeed = {
        var generator = SystemRandomNumberGenerator()
        return KeyspaceHashSeed(k0: generator.next(), k1: generator.next())
    }()
}
