import TestSupport
import Testing

@testable import BrokerStorage

@Suite("Keyspace against a Dictionary model")
struct KeyspaceModelTests {
    struct Model {
        var values: [[UInt8]: [UInt8]] = [:]
        var expiries: [[UInt8]: Int64] = [:]
    }

    @Test("random operations agree with the model", arguments: [1 as UInt64, 2, 3, 4])
    func randomized(seed: UInt64) {
        var generator = SeededRandomNumberGenerator(seed: seed)
        func random(_ n: Int) -> Int { Int(generator.next() % UInt64(n)) }
        // A universe of keys: short and long, with NULs and non-UTF-8 bytes, and some shared prefixes.
        let universe: [[UInt8]] = (0..<1500).map { i in
            let length = [0, 1, 3, 8, 16, 22, 23, 40][i % 8]
            var key = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            key.append(contentsOf: bytes("\(i)"))
            return key
        }
        var keyspace = Keyspace(seed: KeyspaceHashSeed(k0: seed, k1: ~seed))
        var model = Model()

        func check(full: Bool) {
            #expect(keyspace.count == model.values.count)
            #expect(keyspace.expiringCount == model.expiries.count)
            guard full else { return }
            for key in universe {
                #expect(stringBytes(keyspace.value(forKey: key)) == model.values[key])
                #expect(keyspace.expiration(forKey: key) == model.expiries[key])
            }
            var walked: [[UInt8]] = []
            keyspace.forEachKey { key, expiresAt in
                walked.append(Array(key))
                #expect(expiresAt == model.expiries[Array(key)])
            }
            #expect(walked.count == model.values.count)
            #expect(Set(walked) == Set(model.values.keys))
            let scanned = keyspace.scanAll(count: 1 + random(20))
            #expect(Set(scanned) == Set(model.values.keys))
        }

        for step in 0..<30_000 {
            let key = universe[random(universe.count)]
            switch random(100) {
            case 0..<40:
                let value = (0..<[0, 5, 16, 30, 60][random(5)]).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                let expiry: Int64? = random(3) == 0 ? Int64(random(1000)) : nil
                let isNew = keyspace.setValue(.string(StringValue(value)), forKey: key, expiresAt: expiry)
                #expect(isNew == (model.values[key] == nil))
                model.values[key] = value
                model.expiries[key] = expiry
            case 40..<50:
                let value = bytes("r\(step)")
                let replaced = keyspace.replaceValue(.string(StringValue(rawBytes: value)), forKey: key)
                #expect(replaced == (model.values[key] != nil))
                if replaced { model.values[key] = value }
            case 50..<75:
                let removed = keyspace.removeValue(forKey: key)
                #expect(stringBytes(removed?.value) == model.values[key])
                #expect(removed?.expiresAt == model.expiries[key])
                model.values[key] = nil
                model.expiries[key] = nil
            case 75..<85:
                let expiry: Int64? = random(2) == 0 ? Int64(random(1000)) : nil
                let result1 = keyspace.setExpiration(expiry, forKey: key)
                #expect(result1 == (model.values[key] != nil))
                if model.values[key] != nil { model.expiries[key] = expiry }
            case 85..<90:
                let destination = universe[random(universe.count)]
                let renamed = keyspace.renameKey(key, to: destination)
                #expect(renamed == (model.values[key] != nil))
                if renamed && key != destination {
                    model.values[destination] = model.values.removeValue(forKey: key)
                    model.expiries[destination] = model.expiries.removeValue(forKey: key)
                }
            case 90..<95:
                let now = Int64(random(1000))
                var expiredKeys: [[UInt8]] = []
                keyspace.removeExpired(sampling: 20, now: now) { expiredKeys.append(Array($0)) }
                for expiredKey in expiredKeys {
                    #expect(model.expiries[expiredKey].map { $0 <= now } == true)
                    model.values[expiredKey] = nil
                    model.expiries[expiredKey] = nil
                }
            case 95..<99:
                if let randomKey = keyspace.randomKey() {
                    #expect(model.values[randomKey] != nil)
                } else {
                    #expect(model.values.isEmpty)
                }
            default:
                if random(20) == 0 {
                    keyspace.removeAll()
                    model = Model()
                } else {
                    // A burst of removals, to drive the table down to a shrink.
                    for key in model.values.keys.shuffled(using: &generator).prefix(model.values.count * 9 / 10) {
                        keyspace.removeValue(forKey: key)
                        model.values[key] = nil
                        model.expiries[key] = nil
                    }
                }
            }
            check(full: step % 1500 == 0)
        }
        check(full: true)
    }
}
