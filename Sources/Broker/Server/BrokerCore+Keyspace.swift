import BrokerStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Key lookups with Redis's expiry and statistics rules (`db.c`), and the cron's share of
/// keyspace upkeep: active expiry (`expire.c`) and incremental rehashing.
extension BrokerCore {
    /// Wall-clock Unix milliseconds (Redis's `mstime()`).
    static func milliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// Redis's `expireIfNeeded`: deletes `key` if its deadline has passed (strictly before now, as
    /// `keyIsExpired` decides) and counts it in `expired_keys`. Returns whether it was deleted.
    @discardableResult
    func expireIfNeeded(_ database: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        guard let deadline = databases[database].expiration(forKey: key) else { return false }
        return expire(database, key, ifPast: deadline)
    }

    private func expire(_ database: Int, _ key: UnsafeRawBufferPointer, ifPast deadline: Int64) -> Bool {
        guard Self.milliseconds() > deadline else { return false }
        databases[database].removeValue(forKey: key)
        stats.expiredKeys += 1
        notifyKeyspaceEvent(KeyspaceEventFlags.expired, event: "expired", key: key, database: database)
        return true
    }

    /// Redis's `lookupKey`: the live value at `key` after lazy expiry. Unless `touch` is false
    /// (`LOOKUP_NOTOUCH`: `TYPE`, `TTL`, `EXISTS`, `OBJECT`), the access is recorded in the key's
    /// LRU/LFU stamp. One hash lookup for a key without an expiry.
    func lookUp(_ database: Int, _ key: UnsafeRawBufferPointer, touch: Bool = true) -> KeyspaceValue? {
        if !touch {
            expireIfNeeded(database, key)
            return databases[database].value(forKey: key)
        }
        guard let (value, deadline) = databases[database].touchValue(forKey: key) else { return nil }
        if let deadline, expire(database, key, ifPast: deadline) { return nil }
        return value
    }

    /// Redis's `lookupKeyRead`: the live value at `key`, counted in `keyspace_hits`/`_misses`.
    func lookUpForRead(_ database: Int, _ key: UnsafeRawBufferPointer, touch: Bool = true) -> KeyspaceValue? {
        let value = lookUp(database, key, touch: touch)
        if value == nil {
            stats.keyspaceMisses += 1
            notifyKeyspaceEvent(KeyspaceEventFlags.keyMiss, event: "keymiss", key: key, database: database)
        } else {
            stats.keyspaceHits += 1
        }
        return value
    }

    /// Redis's `lookupKeyWrite`: the live value at `key`; writes are not counted as hits or misses.
    func lookUpForWrite(_ database: Int, _ key: UnsafeRawBufferPointer) -> KeyspaceValue? {
        lookUp(database, key)
    }

    /// `lookUpForWrite(database, key) != nil` (the same expiry and access stamp) without copying
    /// the value out and destroying it again: the existence check of `SET`, `SETNX` and `MSET`.
    func existsForWrite(_ database: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        guard let deadline = databases[database].touchKey(forKey: key) else { return false }
        if let deadline, expire(database, key, ifPast: deadline) { return false }
        return true
    }

    /// Brings every database's access clock to now and to the configured policy (cron and
    /// `CONFIG SET`), like Redis's cached `server.lruclock`.
    func refreshAccessClock() {
        let policy = configuration.maxMemoryPolicy
        let clock = AccessClock(
            mode: policy.hasSuffix("-lfu") ? .lfu : .lru, unixMilliseconds: Self.milliseconds(),
            lfuLogFactor: configuration.lfuLogFactor, lfuDecayTime: configuration.lfuDecayTime)
        for index in databases.indices where databases[index].clock != clock {
            databases[index].clock = clock
        }
    }

    /// Redis 7.0's slow `activeExpireCycle`: per database, rounds of 20 sampled keys with an expiry
    /// while more than 10% of a round had expired, within 25% of a cron period in all. The time
    /// left on the sampled keys feeds each database's `avg_ttl` (a running average, weight 2%).
    func activeExpireCycle() {
        let keysPerRound = 20
        let acceptableStalePercent = 10
        let budget = 0.25 / Double(max(1, min(configuration.hz, 500)))
        let start = Self.now()
        var expired = 0
        for index in databases.indices {
            if databases[index].expiringCount == 0 {
                databases[index].averageTTL = 0
                continue
            }
            var rounds = 0
            var ttlSum: Int64 = 0
            var ttlSamples = 0
            while true {
                // Redis expires a key once now > deadline; the keyspace removes at deadline <= now.
                let round = databases[index].removeExpired(sampling: keysPerRound, now: Self.milliseconds() - 1) {
                    notifyKeyspaceEvent(KeyspaceEventFlags.expired, event: "expired", key: $0, database: index)
                }
                expired += round.expired
                ttlSum &+= round.ttlSum  // wraps, as in Redis: `SET k v PXAT 9223372036854775807` is valid
                ttlSamples += round.ttlSamples
                rounds += 1
                if round.sampled == 0 || round.expired * 100 / round.sampled <= acceptableStalePercent { break }
                if rounds % 16 == 0 && Self.now() - start > budget { break }
            }
            if ttlSamples > 0 {
                let average = ttlSum / Int64(ttlSamples)
                var estimate = databases[index].averageTTL
                if estimate == 0 { estimate = average }
                databases[index].averageTTL = (estimate / 50) * 49 + average / 50
            }
            if Self.now() - start > budget { break }
        }
        stats.expiredKeys += expired
    }

    /// Redis's `tryResizeHashTables` and `incrementallyRehash` (`activerehashing yes`): starts a
    /// shrink where one is due and rehashes for up to about 1 ms per database that is resizing.
    func rehashDatabases() {
        for index in databases.indices where databases[index].isRehashing || !databases[index].isEmpty {
            let start = Self.now()
            while databases[index].rehash(steps: 100) {
                if Self.now() - start > 0.001 { break }
            }
        }
    }
}
