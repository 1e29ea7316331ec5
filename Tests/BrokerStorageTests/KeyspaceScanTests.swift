import TestSupport
import Testing

@testable import BrokerStorage

@Suite("SCAN")
struct KeyspaceScanTests {
    @Test("a scan without writes returns every key exactly once", arguments: [0, 1, 3, 4, 5, 100, 1000, 4097])
    func stable(size: Int) {
        var keyspace = Keyspace()
        for i in 0..<size { keyspace.setValue(stringValue("v"), forKey: bytes("k\(i)")) }
        while keyspace.rehash(steps: 1000) {}
        let keys = keyspace.scanAll(count: 7)
        #expect(keys.count == size)
        #expect(Set(keys) == Set((0..<size).map { bytes("k\($0)") }))
    }

    @Test("a scan started mid-rehash returns every key", arguments: [5, 17, 1025, 3000])
    func midRehash(size: Int) {
        var keyspace = Keyspace()
        for i in 0..<size { keyspace.setValue(stringValue("v"), forKey: bytes("k\(i)")) }
        #expect(keyspace.isRehashing || size < 8)
        #expect(Set(keyspace.scanAll(count: 3)) == Set((0..<size).map { bytes("k\($0)") }))
    }

    /// A plan for the writes between scan calls.
    struct Churn: CustomTestStringConvertible, Sendable {
        var name: String
        var initial: Int
        /// Keys added before call `n` (may be negative: keys removed).
        var delta: @Sendable (Int) -> Int
        var count: Int
        /// Transient keys are never more than this, so the scan can finish (a table that grows
        /// without end outruns any cursor, in Redis too).
        var cap = 20_000
        var testDescription: String { name }
    }

    static let churns: [Churn] = [
        Churn(name: "grow fast", initial: 100, delta: { _ in 500 }, count: 10),
        Churn(name: "grow slowly", initial: 10, delta: { _ in 7 }, count: 3, cap: 5000),
        Churn(name: "shrink fast", initial: 40_000, delta: { _ in -3000 }, count: 10),
        Churn(name: "shrink slowly", initial: 5000, delta: { _ in -40 }, count: 5),
        Churn(name: "grow then shrink", initial: 200, delta: { $0 < 40 ? 600 : -900 }, count: 20),
        Churn(name: "oscillate", initial: 1000, delta: { $0 % 6 < 3 ? 2000 : -2000 }, count: 10),
    ]

    @Test("every key present throughout is returned, while the table grows or shrinks", arguments: churns)
    func churn(plan: Churn) {
        var keyspace = Keyspace()
        var generator = SeededRandomNumberGenerator(seed: 42)
        // Keys that stay for the whole scan, and keys added and removed around them.
        let persistent = (0..<300).map { bytes("persistent:\($0)") }
        for key in persistent { keyspace.setValue(stringValue("p"), forKey: key) }
        var transient: [[UInt8]] = []
        var nextTransient = 0
        func add(_ n: Int) {
            for _ in 0..<n {
                let key = bytes("transient:\(nextTransient)")
                nextTransient += 1
                keyspace.setValue(stringValue("t"), forKey: key)
                transient.append(key)
            }
        }
        func remove(_ n: Int) {
            for _ in 0..<min(n, transient.count) {
                let i = Int(generator.next() % UInt64(transient.count))
                transient.swapAt(i, transient.count - 1)
                keyspace.removeValue(forKey: transient.removeLast())
            }
        }
        add(plan.initial)
        var seen = Set<[UInt8]>()
        var cursor: UInt64 = 0
        var calls = 0
        var sawRehash = false
        repeat {
            let page = keyspace.scan(cursor: cursor, count: plan.count)
            seen.formUnion(page.keys)
            cursor = page.cursor
            let delta = plan.delta(calls)
            if delta > 0 { add(min(delta, plan.cap - transient.count)) } else { remove(-delta) }
            sawRehash = sawRehash || keyspace.isRehashing
            calls += 1
        } while cursor != 0 && calls < 200_000
        #expect(cursor == 0, "the scan terminates")
        #expect(sawRehash, "the plan resized the table during the scan")
        let missing = persistent.filter { !seen.contains($0) }
        #expect(missing.isEmpty, "\(missing.count) persistent keys never returned")
    }

    @Test("a cursor survives a complete resize between two calls")
    func cursorAcrossResize() {
        for grow in [true, false] {
            var keyspace = Keyspace()
            let stay = (0..<64).map { bytes("stay\($0)") }
            for key in stay { keyspace.setValue(stringValue(""), forKey: key) }
            if !grow { for i in 0..<5000 { keyspace.setValue(stringValue(""), forKey: bytes("x\(i)")) } }
            while keyspace.rehash(steps: 1000) {}
            let first = keyspace.scan(cursor: 0, count: 5)
            var seen = Set(first.keys)
            if grow {
                for i in 0..<5000 { keyspace.setValue(stringValue(""), forKey: bytes("x\(i)")) }
            } else {
                for i in 0..<5000 { keyspace.removeValue(forKey: bytes("x\(i)")) }
            }
            while keyspace.rehash(steps: 1000) {}
            var cursor = first.cursor
            while cursor != 0 {
                let page = keyspace.scan(cursor: cursor, count: 5)
                seen.formUnion(page.keys)
                cursor = page.cursor
            }
            #expect(stay.allSatisfy { seen.contains($0) }, "grow: \(grow)")
        }
    }

    @Test("bit reversal")
    func bitReversal() {
        #expect(UInt64(1).bitReversed == 1 << 63)
        #expect(UInt64(0b1011).bitReversed == 0b1101 << 60)
        #expect(UInt64.max.bitReversed == .max)
        #expect(UInt64(0x0123_4567_89ab_cdef).bitReversed.bitReversed == 0x0123_4567_89ab_cdef)
    }
}
