extension Keyspace {
    /// What one round of active expiry saw.
    public struct ExpirySample: Sendable, Equatable {
        /// Keys with an expiry that were looked at.
        public var sampled: Int
        /// Those of them that had expired and were removed.
        public var expired: Int
        /// The sum of the time left (milliseconds) of those that had not expired. It wraps on
        /// overflow, as Redis's `long long` sum does: deadlines may be as late as `Int64.max`.
        public var ttlSum: Int64 = 0
        /// How many keys `ttlSum` adds up.
        public var ttlSamples: Int = 0

        public init(sampled: Int, expired: Int, ttlSum: Int64 = 0, ttlSamples: Int = 0) {
            self.sampled = sampled
            self.expired = expired
            self.ttlSum = ttlSum
            self.ttlSamples = ttlSamples
        }
    }

    /// Up to `limit` distinct keys that have an expiry, chosen at random, with their deadlines
    /// (absolute Unix milliseconds). O(`limit`).
    public mutating func sampleExpiring(upTo limit: Int) -> [(key: [UInt8], expiresAt: Int64)] {
        let n = Swift.min(limit, expiring.count)
        if n <= 0 { return [] }
        var position = Int(nextRandom() % UInt64(expiring.count))
        var sample: [(key: [UInt8], expiresAt: Int64)] = []
        sample.reserveCapacity(n)
        for _ in 0..<n {
            let slot = expiring[position]
            let (c, s) = Self.split(slot.entry)
            sample.append((chunks[c][s].key.bytes, slot.deadline))
            position += 1
            if position == expiring.count { position = 0 }
        }
        return sample
    }

    /// One sampling round of active expiry (the body of Redis's `activeExpireCycle` loop): looks
    /// at up to `limit` keys with an expiry from a random position and removes those whose
    /// deadline is at or before `now` (Unix milliseconds), calling `onExpired` with each key
    /// before it goes (for `expired` notifications). `onExpired` must not touch this keyspace.
    /// The caller repeats while the expired share stays high and its time budget allows.
    @discardableResult
    public mutating func removeExpired(
        sampling limit: Int, now: Int64, onExpired: (UnsafeRawBufferPointer) -> Void = { _ in }
    ) -> ExpirySample {
        var result = ExpirySample(sampled: 0, expired: 0)
        if expiring.isEmpty || limit <= 0 { return result }
        var position = Int(nextRandom() % UInt64(expiring.count))
        while result.sampled < limit && !expiring.isEmpty {
            if position >= expiring.count { position = 0 }
            result.sampled += 1
            let slot = expiring[position]
            if slot.deadline <= now {
                // The last slot moves into `position`, so the position is looked at again.
                removeEntry(slot.entry, onRemove: onExpired)
                result.expired += 1
            } else {
                result.ttlSum &+= slot.deadline - now
                result.ttlSamples += 1
                position += 1
            }
        }
        return result
    }

    /// Removes the entry at index `i` (its key is re-hashed to find its chain).
    mutating func removeEntry(_ i: Int32, onRemove: (UnsafeRawBufferPointer) -> Void) {
        let (c, s) = Self.split(i)
        let key = chunks[c][s].key
        key.withUnsafeBytes { bytes in
            onRemove(bytes)
            _ = remove(bytes)
        }
    }

    /// Sets or clears an entry's expiry, keeping `expiring` dense.
    mutating func setExpiration(ofEntry i: Int32, _ expiresAt: Int64?) {
        let (c, s) = Self.split(i)
        let slot = chunks[c][s].expirySlot
        if let expiresAt {
            if slot >= 0 {
                expiring[Int(slot)].deadline = expiresAt
            } else {
                chunks[c][s].expirySlot = Int32(expiring.count)
                expiring.append(ExpiringSlot(entry: i, deadline: expiresAt))
            }
        } else if slot >= 0 {
            removeExpirySlot(Int(slot))
            chunks[c][s].expirySlot = -1
        }
    }

    /// Removes `expiring[slot]` by moving the last slot into its place.
    mutating func removeExpirySlot(_ slot: Int) {
        let last = expiring.count - 1
        if slot != last {
            let moved = expiring[last]
            expiring[slot] = moved
            let (c, s) = Self.split(moved.entry)
            chunks[c][s].expirySlot = Int32(slot)
        }
        expiring.removeLast()
    }
}
