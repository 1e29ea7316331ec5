/// Redis's CRC-64 (`crc64.c`): the Jones polynomial, reflected, no final XOR — the checksum at the
/// end of `DUMP` payloads and RDB files. `CRC64.checksum("123456789")` is `0xe9c6d914c4b8d9ca`.
///
/// Computed eight bytes at a time (slicing-by-8, as Redis's `crcspeed` does); the result is the
/// same as the bit-at-a-time definition.
enum CRC64 {
    /// The reflected Jones polynomial (`0xad93d23594c935a9` bit-reversed).
    static let polynomial: UInt64 = 0x95ac_9329_ac4b_c9b5

    /// Eight tables of 256 entries: table `k` advances the CRC over a byte followed by `k` zeros.
    private static let tables: [UInt64] = {
        var t = [UInt64](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var crc = UInt64(i)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
            t[i] = crc
        }
        for k in 1..<8 {
            for i in 0..<256 {
                let previous = t[(k - 1) * 256 + i]
                t[k * 256 + i] = (previous >> 8) ^ t[Int(previous & 0xFF)]
            }
        }
        return t
    }()

    /// The CRC of `bytes`, continuing from `crc` (0 to start, as Redis's `crc64(0, …)`).
    static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt64 = 0) -> UInt64 {
        tables.withUnsafeBufferPointer { t in
            var crc = crc
            var i = 0
            let n = bytes.count
            while n - i >= 8 {
                var word: UInt64 = 0
                for b in 0..<8 { word |= UInt64(bytes[i + b]) << (8 * UInt64(b)) }
                crc ^= word
                crc =
                    t[7 * 256 + Int(crc & 0xFF)] ^ t[6 * 256 + Int((crc >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((crc >> 16) & 0xFF)] ^ t[4 * 256 + Int((crc >> 24) & 0xFF)]
                    ^ t[3 * 256 + Int((crc >> 32) & 0xFF)] ^ t[2 * 256 + Int((crc >> 40) & 0xFF)]
                    ^ t[1 * 256 + Int((crc >> 48) & 0xFF)] ^ t[Int(crc >> 56)]
                i += 8
            }
            while i < n {
                crc = t[Int((crc ^ UInt64(bytes[i])) & 0xFF)] ^ (crc >> 8)
                i += 1
            }
            return crc
        }
    }

    /// The CRC of `bytes`, continuing from `crc`.
    static func checksum(_ bytes: some Collection<UInt8>, continuing crc: UInt64 = 0) -> UInt64 {
        if let result = bytes.withContiguousStorageIfAvailable({
            checksum(UnsafeRawBufferPointer($0), continuing: crc)
        }) {
            return result
        }
        return Array(bytes).withUnsafeBytes { checksum($0, continuing: crc) }
    }
}
