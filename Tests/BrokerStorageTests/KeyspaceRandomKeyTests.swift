import TestSupport
import Testing

@testable import BrokerStorage

@Suite("RANDOMKEY")
struct KeyspaceRandomKeyTests {
    @Test("every key comes back, and only keys that exist", arguments: [1, 2, 50, 500])
    func coverage(size: Int) {
        var keyspace = Keyspace()
        let keys = Set((0..<size).map { bytes("k\($0)") })
        for key in keys { keyspace.setValue(stringValue(""), forKey: key) }
        var seen = Set<[UInt8]>()
        var draws = 0
        while seen.count < size && draws < size * 200 {
            let drawn = keyspace.randomKey()
            guard let key = drawn else {
                Issue.record("no key from a non-empty keyspace")
                return
            }
            #expect(keys.contains(key))
            seen.insert(key)
            draws += 1
        }
        #expect(seen == keys)
    }

    @Test("works mid-rehash and on a sparse table (after mass deletion)")
    func rehashingAndSparse() {
        var keyspace = Keyspace()
        for i in 0..<1025 { keyspace.setValue(stringValue(""), forKey: bytes("k\(i)")) }
        #expect(keyspace.isRehashing)
        var generator = SeededRandomNumberGenerator(seed: 7)
        for _ in 0..<1000 {
            let drawn = keyspace.randomKey(using: &generator)
            #expect(drawn.map { keyspace.contains($0) } == true)
        }
        for i in 3..<1025 { keyspace.removeValue(forKey: bytes("k\(i)")) }
        var seen = Set<[UInt8]>()
        for _ in 0..<300 {
            let drawn = keyspace.randomKey()
            #expect(drawn != nil)
            if let drawn { seen.insert(drawn) }
        }
        #expect(seen == Set([bytes("k0"), bytes("k1"), bytes("k2")]))
    }

    @Test("draws are not wildly uneven")
    func distribution() {
        var keyspace = Keyspace()
        for i in 0..<100 { keyspace.setValue(stringValue(""), forKey: bytes("k\(i)")) }
        while keyspace.rehash(steps: 100) {}
        var counts: [[UInt8]: Int] = [:]
        var generator = SeededRandomNumberGenerator(seed: 1)
        for _ in 0..<100_000 { counts[keyspace.randomKey(using: &generator)!, default: 0] += 1 }
        // Uniform would be 1000 each; chains make it uneven, but not by orders of magnitude.
        #expect(counts.count == 100)
        #expect(counts.values.min()! > 100)
        #expect(counts.values.max()! < 10_000)
    }
}
