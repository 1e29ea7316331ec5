import Testing

@testable import BrokerStorage

@Suite("Expiry bookkeeping")
struct KeyspaceExpiryTests {
    @Test("set, replace, persist and remove keep expiringCount right")
    func bookkeeping() {
        var keyspace = Keyspace()
        keyspace.setValue(stringValue("v"), forKey: bytes("a"), expiresAt: 1000)
        keyspace.setValue(stringValue("v"), forKey: bytes("b"), expiresAt: 2000)
        keyspace.setValue(stringValue("v"), forKey: bytes("c"))
        #expect(keyspace.expiringCount == 2)
        #expect(keyspace.expiration(forKey: bytes("a")) == 1000)
        #expect(keyspace.expiration(forKey: bytes("c")) == nil)
        #expect(keyspace.expiration(forKey: bytes("missing")) == nil)

        let replaced = keyspace.replaceValue(stringValue("w"), forKey: bytes("a"))
        #expect(replaced, "KEEPTTL-style replace")
        #expect(keyspace.expiration(forKey: bytes("a")) == 1000)
        keyspace.setValue(stringValue("x"), forKey: bytes("a"))
        #expect(keyspace.expiration(forKey: bytes("a")) == nil, "a plain SET clears the expiry")
        #expect(keyspace.expiringCount == 1)

        let set5 = keyspace.setExpiration(5, forKey: bytes("c"))
        let set6 = keyspace.setExpiration(6, forKey: bytes("c"))
        #expect(set5 && set6)
        #expect(keyspace.expiration(forKey: bytes("c")) == 6)
        #expect(keyspace.expiringCount == 2)
        let setMissing = keyspace.setExpiration(5, forKey: bytes("missing"))
        #expect(!setMissing)
        let persisted = keyspace.setExpiration(nil, forKey: bytes("c"))
        #expect(persisted)
        #expect(keyspace.expiringCount == 1)

        let removed = keyspace.removeValue(forKey: bytes("b"))
        #expect(removed?.expiresAt == 2000)
        #expect(keyspace.expiringCount == 0)
    }

    @Test("sampling returns distinct keys that have an expiry, with their deadlines")
    func sampling() {
        var keyspace = Keyspace()
        for i in 0..<100 { keyspace.setValue(stringValue(""), forKey: bytes("e\(i)"), expiresAt: Int64(i)) }
        for i in 0..<100 { keyspace.setValue(stringValue(""), forKey: bytes("p\(i)")) }
        for _ in 0..<20 {
            let sample = keyspace.sampleExpiring(upTo: 20)
            #expect(sample.count == 20)
            #expect(Set(sample.map(\.key)).count == 20)
            for (key, deadline) in sample {
                #expect(keyspace.expiration(forKey: key) == deadline)
            }
        }
        let all = keyspace.sampleExpiring(upTo: 500)
        #expect(all.count == 100)
        var empty = Keyspace()
        #expect(empty.sampleExpiring(upTo: 5).isEmpty)
    }

    @Test("active expiry rounds remove exactly the expired keys")
    func activeExpiry() {
        var keyspace = Keyspace()
        let expired = Set((0..<300).map { bytes("old\($0)") })
        let alive = Set((0..<300).map { bytes("new\($0)") })
        let persistent = Set((0..<300).map { bytes("forever\($0)") })
        for key in expired { keyspace.setValue(stringValue(""), forKey: key, expiresAt: 1000) }
        for key in alive { keyspace.setValue(stringValue(""), forKey: key, expiresAt: 5000) }
        for key in persistent { keyspace.setValue(stringValue(""), forKey: key) }
        var removed: [[UInt8]] = []
        var rounds = 0
        while keyspace.expiringCount > alive.count && rounds < 10_000 {
            let round = keyspace.removeExpired(sampling: 20, now: 1000) { removed.append(Array($0)) }
            #expect(round.sampled <= 20)
            #expect(round.expired <= round.sampled)
            rounds += 1
        }
        #expect(Set(removed) == expired)
        #expect(removed.count == expired.count)
        #expect(keyspace.count == alive.count + persistent.count)
        #expect(keyspace.expiringCount == alive.count)
        let none = keyspace.removeExpired(sampling: 1000, now: 4999)
        // Each of the 1000 samples (the 300 live keys, visited again after wrapping) has 1 ms left.
        #expect(none == .init(sampled: 1000, expired: 0, ttlSum: 1000, ttlSamples: 1000))
        let all = keyspace.removeExpired(sampling: 1000, now: 5000)
        #expect(all.expired == alive.count)
        #expect(keyspace.count == persistent.count)
        #expect(keyspace.expiringCount == 0)
    }

    @Test("time left as late as Int64.max wraps the sum instead of trapping, as Redis's sum does")
    func farDeadlines() {
        var keyspace = Keyspace()
        // `SET k v PXAT 9223372036854775807` is accepted by Redis and by the broker.
        keyspace.setValue(stringValue(""), forKey: bytes("a"), expiresAt: .max)
        keyspace.setValue(stringValue(""), forKey: bytes("b"), expiresAt: .max)
        let round = keyspace.removeExpired(sampling: 20, now: 1)
        let wrapped = (0..<20).reduce(Int64(0)) { sum, _ in sum &+ (.max - 1) }
        #expect(round == .init(sampled: 20, expired: 0, ttlSum: wrapped, ttlSamples: 20))
    }
}
