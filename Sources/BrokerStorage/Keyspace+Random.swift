extension Keyspace {
    /// A random key (`RANDOMKEY`), or `nil` when empty; O(1) expected.
    ///
    /// Redis's `dictGetRandomKey`: a random non-empty bucket, then a random entry of its chain.
    /// Every key can come back; keys in longer chains come back a little less often. Expired
    /// keys are returned like any other — skipping them is the caller's.
    public mutating func randomKey() -> [UInt8]? {
        var generator = InternalGenerator(state: randomState)
        defer { randomState = generator.state }
        return randomKey(using: &generator)
    }

    /// `randomKey()` with the caller's generator.
    public func randomKey<G: RandomNumberGenerator>(using generator: inout G) -> [UInt8]? {
        if count == 0 { return nil }
        var head: Int32
        if rehashIndex >= 0 {
            // Buckets of table0 below rehashIndex are empty; draw from the rest of both tables.
            let size0 = table0.count
            let span = UInt64(size0 + table1.count - rehashIndex)
            repeat {
                let h = rehashIndex + Int(generator.next() % span)
                head = h >= size0 ? table1[h - size0] : table0[h]
            } while head < 0
        } else {
            let mask = UInt64(table0.count - 1)
            repeat { head = table0[Int(generator.next() & mask)] } while head < 0
        }
        var length: UInt64 = 0
        var i = head
        while i >= 0 {
            length += 1
            i = next(of: i)
        }
        var pick = generator.next() % length
        i = head
        while pick > 0 {
            i = next(of: i)
            pick -= 1
        }
        return entry(i).key.bytes
    }

    /// The keyspace's own wyrand state as a `RandomNumberGenerator`.
    struct InternalGenerator: RandomNumberGenerator {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0xa076_1d64_78bd_642f
            let product = state.multipliedFullWidth(by: state ^ 0xe703_7ed1_a0b4_28db)
            return product.high ^ product.low
        }
    }
}
