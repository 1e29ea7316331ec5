import Testing

@testable import BrokerStorage

@Suite("SipHash")
struct SipHashTests {
    // The reference vectors of the SipHash paper (SipHash-2-4, key 00 01 … 0f, message 00 01 … n-1);
    // the keyspace runs the same code with 1 compression and 3 finalization rounds.
    @Test(
        "SipHash-2-4 reference vectors",
        arguments: [(0, 0x726f_db47_dd0e_0e31 as UInt64), (8, 0x93f5_f579_9a93_2462), (15, 0xa129_ca61_49be_45e5)])
    func vectors(length: Int, expected: UInt64) {
        let key = [UInt8](0..<16)
        let k0 = key[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let k1 = key[8..<16].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let message = [UInt8]((0..<length).map { UInt8($0) })
        let hash = message.withUnsafeBytes {
            SipHash.hash($0, k0: k0, k1: k1, compressionRounds: 2, finalizationRounds: 4)
        }
        #expect(hash == expected)
    }

    @Test("the seed changes the hash")
    func seeded() {
        let a = bytes("key").withUnsafeBytes { SipHash.hash($0, k0: 1, k1: 2) }
        let b = bytes("key").withUnsafeBytes { SipHash.hash($0, k0: 1, k1: 3) }
        #expect(a != b)
    }
}
