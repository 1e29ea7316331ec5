/// One logical database: binary-safe keys, their values and their expiry times.
///
/// A chained hash table of our own rather than a `Dictionary`, because Redis's commands need
/// what a `Dictionary` cannot give: `SCAN`'s cursor guarantee across resizes, `RANDOMKEY` in
/// O(1) expected time, and random samples of the keys that have an expiry (active expiry).
/// The shape is Redis's `dict.c`:
///
/// - Power-of-two bucket tables, grown to the next power of two once there are as many keys as
///   buckets (load factor 1) and shrunk once fewer than 10% of buckets would be used. A resize
///   allocates the new table and then moves one bucket per write (`rehash(steps:)` lets a timer
///   help, like Redis's `activerehashing`), so a huge table never pauses the event loop; while
///   both tables exist, lookups look in both and new keys go to the new one.
/// - `scan(cursor:count:)` walks buckets in reverse-binary cursor order (Redis's `dictScan`),
///   which is what makes every key present for the whole scan come back at least once.
/// - Keys are hashed with SipHash-1-3 under a random per-process key, so clients cannot choose
///   colliding keys.
///
/// Memory. Redis spends a 24-byte `dictEntry`, a key `sds`, a 16-byte `robj` with an embedded
/// string and an 8-byte bucket pointer on a key with a 16-byte value — three allocations.
/// Here a key costs one 64-byte entry in an arena (stride 64: the 4-byte access stamp took the
/// fields past the earlier 56) plus a 4-byte bucket index (between 1 and 2 of them per key),
/// with no heap object at all when the key and the value are at most 22 bytes each: keys and
/// `StringValue`s keep short bytes in place (24 bytes each, `CompactKey`, `InlineBytes`), and
/// entries live in fixed 1024-entry chunks addressed by `Int32` indices, chained through an
/// `Int32` `next`, so there are no per-key pointers or object headers, a growing arena never
/// copies what it holds, and its slack is under one chunk.
/// Bucket tables are paged (`BucketTable`), so starting a resize allocates nothing big at once.
/// Longer keys or values take one array each. Removed entries go on a free list and are reused;
/// the arena does not give chunks back until `removeAll()`.
///
/// Measured with a throwaway program (release, `swiftc -O -wmo`, this 2-core shared machine),
/// 1,000,000 keys `key:%012d` with 16-byte values, before the access stamp: RSS grew 60 bytes
/// per key (`Entry` stride 56, 2^20 buckets); insert ~0.7 µs, lookup ~0.26 µs, remove ~0.33 µs,
/// `randomKey` ~0.6 µs, a full SCAN (COUNT 100) 0.45 s; a `[[UInt8]: [UInt8]]` on the same keys:
/// insert ~1.0 µs, lookup ~0.33 µs. No insert stalled at a resize (the few >0.2 ms outliers were
/// at arbitrary keys, i.e. scheduling). redis-server 7.0.15 after `DEBUG POPULATE 1000000
/// key:00000 16` (16-byte keys and values): `used_memory` 121 MB (~120 bytes per key), RSS 135 MB.
/// With the access stamp (stride 64), the whole broker loaded with the same 1,000,000 keys over
/// the wire (`tools/bench-broker`'s memory measurement): `used_memory` and RSS both grew ~68–70
/// bytes per key (64 + 4 × 2^20 / 10^6 bucket bytes), against ~120–130 for redis-server.
///
/// The structure is a value type (copy-on-write through its arrays) and is not thread-safe on
/// its own: the broker's one event loop owns every database, as in Redis. At most
/// `Int32.max` keys.
public struct Keyspace: Sendable {
    static let chunkShift = 10
    static let chunkSize = 1 << chunkShift
    static let chunkMask = chunkSize - 1
    static let initialSize = 4
    static let minimumFillPercent = 10

    /// One key's slot in the arena.
    struct Entry: Sendable {
        var key: CompactKey
        var value: KeyspaceValue
        /// The next entry of the bucket's chain, or of the free list; -1 ends either.
        var next: Int32
        /// The entry's position in `expiring`, -1 without an expiry.
        var expirySlot: Int32
        /// The LRU or LFU stamp of the last access (`AccessClock`).
        var access: UInt32

        static func vacant(next: Int32) -> Entry {
            Entry(key: .empty, value: .string(StringValue()), next: next, expirySlot: -1, access: 0)
        }
    }

    /// A key with an expiry, for sampling: the entry and its deadline.
    struct ExpiringSlot: Sendable {
        var entry: Int32
        var deadline: Int64
    }

    var chunks: [ContiguousArray<Entry>] = []
    /// Arena slots handed out so far, live or free.
    var slotCount: Int32 = 0
    var freeHead: Int32 = -1
    /// Bucket heads (entry indices, -1 empty). `table1` is non-empty only while rehashing.
    var table0 = BucketTable()
    var table1 = BucketTable()
    var used0 = 0
    var used1 = 0
    /// The next `table0` bucket to move, or -1 when not rehashing.
    var rehashIndex = -1
    var expiring: [ExpiringSlot] = []
    /// How accesses are stamped; the owner keeps its time current (the broker does in its cron).
    public var clock = AccessClock()
    let seed: KeyspaceHashSeed
    var randomState: UInt64

    /// Makes an empty database.
    public init() {
        self.init(seed: .process)
    }

    init(seed: KeyspaceHashSeed) {
        self.seed = seed
        var generator = SystemRandomNumberGenerator()
        self.randomState = generator.next()
    }

    /// The number of keys (`DBSIZE`).
    public var count: Int { used0 + used1 }

    /// Whether there are no keys.
    public var isEmpty: Bool { count == 0 }

    /// The number of keys with an expiry (`INFO keyspace`'s `expires`).
    public var expiringCount: Int { expiring.count }

    /// Whether a resize is in progress (two bucket tables exist).
    public var isRehashing: Bool { rehashIndex >= 0 }

    /// The running estimate of the time left on keys with an expiry, in milliseconds, that the
    /// owner's active expiry keeps (`INFO keyspace`'s `avg_ttl`); 0 when none is known.
    public var averageTTL: Int64 = 0

    /// The number of buckets, both tables together while rehashing (for `DEBUG HTSTATS`-like reports).
    public var bucketCount: Int { table0.count + table1.count }

    /// Removes every key (`FLUSHDB`) and frees the memory they held.
    public mutating func removeAll() {
        averageTTL = 0
        chunks = []
        slotCount = 0
        freeHead = -1
        table0 = BucketTable()
        table1 = BucketTable()
        used0 = 0
        used1 = 0
        rehashIndex = -1
        expiring = []
    }

    /// Table upkeep for a timer (Redis's `tryResizeHashTables` + `incrementallyRehash` in
    /// `databasesCron`): starts a shrink if under 10% of buckets are used, then moves up to
    /// `steps` buckets if a resize is in progress. Returns whether one still is.
    ///
    /// Writes already do one step each and check for shrinking after removals; this finishes a
    /// resize on a database nobody writes to, and gives back buckets after a resize ends.
    @discardableResult
    public mutating func rehash(steps: Int) -> Bool {
        shrinkIfNeeded()
        if rehashStep(steps) { return true }
        shrinkIfNeeded()
        return isRehashing
    }

    // MARK: - Arena

    @inline(__always)
    static func split(_ i: Int32) -> (Int, Int) {
        (Int(i) &>> chunkShift, Int(i) & chunkMask)
    }

    @inline(__always)
    func next(of i: Int32) -> Int32 {
        let (c, s) = Self.split(i)
        return chunks[c][s].next
    }

    @inline(__always)
    mutating func setNext(of i: Int32, to next: Int32) {
        let (c, s) = Self.split(i)
        chunks[c][s].next = next
    }

    @inline(__always)
    func keyMatches(_ i: Int32, _ key: UnsafeRawBufferPointer) -> Bool {
        let (c, s) = Self.split(i)
        return chunks[c][s].key.equals(key)
    }

    func entry(_ i: Int32) -> Entry {
        let (c, s) = Self.split(i)
        return chunks[c][s]
    }

    mutating func allocate(_ entry: Entry) -> Int32 {
        if freeHead >= 0 {
            let i = freeHead
            let (c, s) = Self.split(i)
            freeHead = chunks[c][s].next
            chunks[c][s] = entry
            return i
        }
        precondition(slotCount < Int32.max, "Keyspace: more than Int32.max keys")
        let i = slotCount
        let (c, _) = Self.split(i)
        if c == chunks.count {
            var chunk = ContiguousArray<Entry>()
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[c].append(entry)
        slotCount += 1
        return i
    }

    /// Returns the entry's contents and puts its slot on the free list (the entry must be unlinked).
    mutating func release(_ i: Int32) -> Entry {
        let (c, s) = Self.split(i)
        let slot = chunks[c][s].expirySlot
        if slot >= 0 { removeExpirySlot(Int(slot)) }
        var old = Entry.vacant(next: freeHead)
        swap(&old, &chunks[c][s])
        freeHead = i
        old.expirySlot = -1
        return old
    }

    // MARK: - Hashing and tables

    @usableFromInline
    func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        SipHash.hash(key, k0: seed.k0, k1: seed.k1)
    }

    func hash(ofEntry i: Int32) -> UInt64 {
        let (c, s) = Self.split(i)
        return chunks[c][s].key.withUnsafeBytes { hash($0) }
    }

    /// The entry holding `key`, or -1.
    @usableFromInline
    func find(_ key: UnsafeRawBufferPointer, hash h: UInt64) -> Int32 {
        if table0.isEmpty { return -1 }
        var i = table0[Int(h & UInt64(table0.count &- 1))]
        while i >= 0 {
            if keyMatches(i, key) { return i }
            i = next(of: i)
        }
        if rehashIndex >= 0 {
            i = table1[Int(h & UInt64(table1.count &- 1))]
            while i >= 0 {
                if keyMatches(i, key) { return i }
                i = next(of: i)
            }
        }
        return -1
    }

    /// Adds an entry for `key`, which must be absent; returns its index.
    mutating func insertNew(_ key: UnsafeRawBufferPointer, hash h: UInt64, value: KeyspaceValue) -> Int32 {
        expandIfNeeded()
        let i = allocate(
            Entry(key: CompactKey(key), value: value, next: -1, expirySlot: -1, access: clock.creationStamp))
        if rehashIndex >= 0 {
            let b = Int(h & UInt64(table1.count &- 1))
            setNext(of: i, to: table1[b])
            table1[b] = i
            used1 += 1
        } else {
            let b = Int(h & UInt64(table0.count &- 1))
            setNext(of: i, to: table0[b])
            table0[b] = i
            used0 += 1
        }
        return i
    }

    /// Takes `key`'s entry out of its chain; returns its index (still holding its data), or -1.
    mutating func unlink(_ key: UnsafeRawBufferPointer, hash h: UInt64) -> Int32 {
        if table0.isEmpty { return -1 }
        let b0 = Int(h & UInt64(table0.count &- 1))
        var previous: Int32 = -1
        var i = table0[b0]
        while i >= 0 {
            if keyMatches(i, key) {
                if previous < 0 { table0[b0] = next(of: i) } else { setNext(of: previous, to: next(of: i)) }
                used0 -= 1
                return i
            }
            previous = i
            i = next(of: i)
        }
        if rehashIndex >= 0 {
            let b1 = Int(h & UInt64(table1.count &- 1))
            previous = -1
            i = table1[b1]
            while i >= 0 {
                if keyMatches(i, key) {
                    if previous < 0 { table1[b1] = next(of: i) } else { setNext(of: previous, to: next(of: i)) }
                    used1 -= 1
                    return i
                }
                previous = i
                i = next(of: i)
            }
        }
        return -1
    }

    /// Redis's `_dictExpandIfNeeded`: a first table of 4 buckets, then double at load factor 1.
    mutating func expandIfNeeded() {
        if rehashIndex >= 0 { return }
        if table0.isEmpty {
            resize(toFit: Self.initialSize)
        } else if used0 >= table0.count {
            resize(toFit: used0 + 1)
        }
    }

    /// Redis's `htNeedsResize` + `dictResize`: shrink to fit once under 10% of buckets are used.
    mutating func shrinkIfNeeded() {
        if rehashIndex >= 0 { return }
        let size = table0.count
        if size > Self.initialSize && used0 * 100 / size < Self.minimumFillPercent {
            resize(toFit: Swift.max(used0, Self.initialSize))
        }
    }

    /// Starts moving to a table of the next power of two ≥ `minimum` buckets.
    mutating func resize(toFit minimum: Int) {
        var size = Self.initialSize
        while size < minimum { size <<= 1 }
        guard rehashIndex < 0, size != table0.count else { return }
        let table = BucketTable(count: size)
        if table0.isEmpty {
            table0 = table
        } else {
            table1 = table
            rehashIndex = 0
        }
    }

    /// Redis's `_dictRehash`: moves up to `steps` buckets, visiting at most 10× as many empty ones.
    mutating func rehashStep(_ steps: Int) -> Bool {
        guard rehashIndex >= 0 else { return false }
        var steps = steps
        var emptyVisits = steps * 10
        let mask1 = UInt64(table1.count &- 1)
        while steps > 0 && used0 != 0 {
            while table0[rehashIndex] < 0 {
                rehashIndex += 1
                emptyVisits -= 1
                if emptyVisits == 0 { return true }
            }
            var i = table0[rehashIndex]
            while i >= 0 {
                let following = next(of: i)
                let b = Int(hash(ofEntry: i) & mask1)
                setNext(of: i, to: table1[b])
                table1[b] = i
                used0 -= 1
                used1 += 1
                i = following
            }
            table0[rehashIndex] = -1
            rehashIndex += 1
            steps -= 1
        }
        if used0 == 0 {
            swap(&table0, &table1)
            table1 = BucketTable()
            used0 = used1
            used1 = 0
            rehashIndex = -1
            return false
        }
        return true
    }

    // MARK: - Random numbers

    /// wyrand: fast, and good enough to pick buckets and samples.
    mutating func nextRandom() -> UInt64 {
        randomState &+= 0xa076_1d64_78bd_642f
        let product = randomState.multipliedFullWidth(by: randomState ^ 0xe703_7ed1_a0b4_28db)
        return product.high ^ product.low
    }
}
