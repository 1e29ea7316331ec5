extension Keyspace {
    /// Calls `body` with `key`'s bytes without copying when they are contiguous (arrays, slices,
    /// NIO's `ByteBufferView`, raw buffers).
    @inlinable @inline(__always)
    static func withKeyBytes<Key: Collection, R>(
        _ key: Key, _ body: (UnsafeRawBufferPointer) throws -> R
    ) rethrows -> R where Key.Element == UInt8 {
        if let raw = key as? UnsafeRawBufferPointer { return try body(raw) }
        if let result = try key.withContiguousStorageIfAvailable({ try body(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return try Array(key).withUnsafeBytes(body)
    }

    /// The value stored at `key`, or `nil`. Expiry is not checked: deciding that a key has
    /// expired (and notifying) is the caller's, using `expiration(forKey:)`.
    @inlinable
    public func value<Key: Collection>(forKey key: Key) -> KeyspaceValue? where Key.Element == UInt8 {
        Self.withKeyBytes(key) { lookUp($0) }
    }

    /// Whether `key` exists (expired or not).
    @inlinable
    public func contains<Key: Collection>(_ key: Key) -> Bool where Key.Element == UInt8 {
        Self.withKeyBytes(key) { find($0, hash: hash($0)) >= 0 }
    }

    /// `key`'s expiry time in absolute Unix milliseconds, or `nil` if it has none or is absent.
    @inlinable
    public func expiration<Key: Collection>(forKey key: Key) -> Int64? where Key.Element == UInt8 {
        Self.withKeyBytes(key) { lookUpExpiration($0) }
    }

    /// Stores `value` at `key`, replacing any value, with the expiry `expiresAt` (absolute Unix
    /// milliseconds; `nil` removes any expiry, as `SET` without `KEEPTTL` does).
    /// Returns whether the key is new.
    @inlinable @discardableResult
    public mutating func setValue<Key: Collection>(
        _ value: KeyspaceValue, forKey key: Key, expiresAt: Int64? = nil
    ) -> Bool where Key.Element == UInt8 {
        Self.withKeyBytes(key) { store(value, $0, expiresAt: expiresAt, keepExpiry: false, insert: true) }
    }

    /// Replaces the value of an existing `key`, keeping its expiry (Redis's `dbOverwrite`, `SET
    /// KEEPTTL`, `APPEND`, `INCR`). Returns `false`, storing nothing, if the key is absent.
    @inlinable @discardableResult
    public mutating func replaceValue<Key: Collection>(_ value: KeyspaceValue, forKey key: Key) -> Bool
    where Key.Element == UInt8 {
        Self.withKeyBytes(key) { store(value, $0, expiresAt: nil, keepExpiry: true, insert: false) }
    }

    /// Removes `key`; returns what it held (value and expiry), or `nil` if it was absent.
    @inlinable @discardableResult
    public mutating func removeValue<Key: Collection>(
        forKey key: Key
    ) -> (value: KeyspaceValue, expiresAt: Int64?)? where Key.Element == UInt8 {
        Self.withKeyBytes(key) { remove($0) }
    }

    /// Sets (`expiresAt` non-nil) or removes (`nil`, `PERSIST`) `key`'s expiry in absolute Unix
    /// milliseconds. Returns `false` if the key is absent.
    @inlinable @discardableResult
    public mutating func setExpiration<Key: Collection>(_ expiresAt: Int64?, forKey key: Key) -> Bool
    where Key.Element == UInt8 {
        Self.withKeyBytes(key) { updateExpiration($0, expiresAt) }
    }

    /// Moves `source`'s value and expiry to `destination`, replacing whatever was there
    /// (`RENAME`). Returns `false`, changing nothing, if `source` is absent. Renaming a key to
    /// itself leaves it as it is.
    @inlinable @discardableResult
    public mutating func renameKey<Source: Collection, Destination: Collection>(
        _ source: Source, to destination: Destination
    ) -> Bool where Source.Element == UInt8, Destination.Element == UInt8 {
        Self.withKeyBytes(source) { s in Self.withKeyBytes(destination) { d in rename(s, d) } }
    }

    /// Calls `body` with the bytes of the string stored at `key` to modify them in place, keeping
    /// the key's expiry; the string is left `raw`-encoded (`StringValue.withMutableRawBytes`).
    /// Returns `nil`, calling nothing, if `key` is absent or holds another type. Amortised O(1)
    /// for appends and single-byte changes to long strings: their array is not copied.
    @inlinable
    public mutating func modifyString<Key: Collection, R>(
        forKey key: Key, _ body: (inout [UInt8]) throws -> R
    ) rethrows -> R? where Key.Element == UInt8 {
        try Self.withKeyBytes(key) { try modifyString($0, body) }
    }

    /// The value and expiry at `key`, recording an access in its stamp as `clock` says (Redis's
    /// `lookupKey` without `LOOKUP_NOTOUCH`); one hash lookup. `nil` if absent.
    @inlinable
    public mutating func touchValue<Key: Collection>(
        forKey key: Key
    ) -> (value: KeyspaceValue, expiresAt: Int64?)? where Key.Element == UInt8 {
        Self.withKeyBytes(key) { touch($0) }
    }

    /// Whether `key` is present, recording an access in its stamp as ``touchValue(forKey:)``
    /// does, without copying its value out: `nil` if absent, else its expiry (absolute Unix
    /// milliseconds, or `nil` for none). One hash lookup; what `SET` and `MSET` ask first.
    @inlinable
    public mutating func touchKey<Key: Collection>(forKey key: Key) -> Int64?? where Key.Element == UInt8 {
        Self.withKeyBytes(key) { touchEntry($0) }
    }

    /// `key`'s access stamp (`AccessClock`), or `nil` if absent; not an access itself.
    public func accessStamp<Key: Collection>(forKey key: Key) -> UInt32? where Key.Element == UInt8 {
        Self.withKeyBytes(key) { k in
            let i = find(k, hash: hash(k))
            return i < 0 ? nil : entry(i).access
        }
    }

    /// Sets `key`'s access stamp (`RESTORE ... IDLETIME/FREQ`); `false` if the key is absent.
    @discardableResult
    public mutating func setAccessStamp<Key: Collection>(_ stamp: UInt32, forKey key: Key) -> Bool
    where Key.Element == UInt8 {
        Self.withKeyBytes(key) { k in
            let i = find(k, hash: hash(k))
            if i < 0 { return false }
            let (c, s) = Self.split(i)
            chunks[c][s].access = stamp
            return true
        }
    }

    /// The bytes `key` costs, or `nil` if absent (`MEMORY USAGE`): its arena entry, its share of
    /// the bucket tables, its expiry slot if any, and the heap arrays of a long key or value.
    public func memoryUsage<Key: Collection>(forKey key: Key) -> Int? where Key.Element == UInt8 {
        Self.withKeyBytes(key) { k in
            let i = find(k, hash: hash(k))
            if i < 0 { return nil }
            let e = entry(i)
            var total = MemoryLayout<Entry>.stride + (bucketCount * MemoryLayout<Int32>.size + count - 1) / count
            if e.expirySlot >= 0 { total += MemoryLayout<ExpiringSlot>.stride }
            total += e.key.heapByteCount
            switch e.value {
            case .string(let string): total += string.heapByteCount
            }
            return total
        }
    }

    /// Calls `body` with every key and its expiry (`KEYS`); the bytes are valid only during the
    /// call, and `body` must not touch this keyspace.
    public func forEachKey(_ body: (_ key: UnsafeRawBufferPointer, _ expiresAt: Int64?) throws -> Void) rethrows {
        for table in [table0, table1] {
            for bucket in 0..<table.count {
                var i = table[bucket]
                while i >= 0 {
                    let (c, s) = Self.split(i)
                    let slot = chunks[c][s].expirySlot
                    let deadline = slot < 0 ? nil : expiring[Int(slot)].deadline
                    try chunks[c][s].key.withUnsafeBytes { try body($0, deadline) }
                    i = chunks[c][s].next
                }
            }
        }
    }

    // MARK: - Cores (raw bytes)

    @usableFromInline
    func lookUp(_ key: UnsafeRawBufferPointer) -> KeyspaceValue? {
        let i = find(key, hash: hash(key))
        if i < 0 { return nil }
        let (c, s) = Self.split(i)
        return chunks[c][s].value
    }

    @usableFromInline
    func lookUpExpiration(_ key: UnsafeRawBufferPointer) -> Int64? {
        let i = find(key, hash: hash(key))
        if i < 0 { return nil }
        let slot = entry(i).expirySlot
        return slot < 0 ? nil : expiring[Int(slot)].deadline
    }

    @usableFromInline
    mutating func store(
        _ value: KeyspaceValue, _ key: UnsafeRawBufferPointer, expiresAt: Int64?, keepExpiry: Bool, insert: Bool
    ) -> Bool {
        _ = rehashStep(1)
        let h = hash(key)
        var i = find(key, hash: h)
        let isNew = i < 0
        if isNew {
            guard insert else { return false }
            i = insertNew(key, hash: h, value: value)
        } else {
            let (c, s) = Self.split(i)
            chunks[c][s].value = value
        }
        if !keepExpiry { setExpiration(ofEntry: i, expiresAt) }
        return insert ? isNew : true
    }

    @usableFromInline
    mutating func modifyString<R>(_ key: UnsafeRawBufferPointer, _ body: (inout [UInt8]) throws -> R) rethrows -> R? {
        let i = find(key, hash: hash(key))
        if i < 0 { return nil }
        let (c, s) = Self.split(i)
        guard case .string(var string) = chunks[c][s].value else { return nil }
        // Take the value out of the entry so its array is referenced only by `string`.
        chunks[c][s].value = .string(StringValue())
        defer { chunks[c][s].value = .string(string) }
        return try string.withMutableRawBytes(body)
    }

    @usableFromInline
    mutating func touch(_ key: UnsafeRawBufferPointer) -> (value: KeyspaceValue, expiresAt: Int64?)? {
        guard let (c, s, expiresAt) = touched(key) else { return nil }
        return (chunks[c][s].value, expiresAt)
    }

    @usableFromInline
    mutating func touchEntry(_ key: UnsafeRawBufferPointer) -> Int64?? {
        guard let (_, _, expiresAt) = touched(key) else { return nil }
        return .some(expiresAt)
    }

    /// Finds `key` and records an access in its LRU or LFU stamp: its chunk, its slot and its
    /// expiry, or `nil` if absent.
    @usableFromInline @inline(__always)
    mutating func touched(_ key: UnsafeRawBufferPointer) -> (chunk: Int, slot: Int, expiresAt: Int64?)? {
        let i = find(key, hash: hash(key))
        if i < 0 { return nil }
        let (c, s) = Self.split(i)
        let old = chunks[c][s].access
        chunks[c][s].access =
            clock.mode == .lru ? clock.lruClock : clock.touched(old, random: Double(nextRandom() >> 11) * 0x1p-53)
        let expirySlot = chunks[c][s].expirySlot
        return (c, s, expirySlot < 0 ? nil : expiring[Int(expirySlot)].deadline)
    }

    @usableFromInline
    mutating func remove(_ key: UnsafeRawBufferPointer) -> (value: KeyspaceValue, expiresAt: Int64?)? {
        _ = rehashStep(1)
        let i = unlink(key, hash: hash(key))
        if i < 0 { return nil }
        let slot = entry(i).expirySlot
        let deadline = slot < 0 ? nil : expiring[Int(slot)].deadline
        let old = release(i)
        shrinkIfNeeded()
        return (old.value, deadline)
    }

    @usableFromInline
    mutating func updateExpiration(_ key: UnsafeRawBufferPointer, _ expiresAt: Int64?) -> Bool {
        let i = find(key, hash: hash(key))
        if i < 0 { return false }
        setExpiration(ofEntry: i, expiresAt)
        return true
    }

    @usableFromInline
    mutating func rename(_ source: UnsafeRawBufferPointer, _ destination: UnsafeRawBufferPointer) -> Bool {
        if bytesEqual(source, destination) { return find(source, hash: hash(source)) >= 0 }
        let s = find(source, hash: hash(source))
        if s < 0 { return false }
        let stamp = entry(s).access
        guard let (value, expiresAt) = remove(source) else { return false }
        _ = store(value, destination, expiresAt: expiresAt, keepExpiry: false, insert: true)
        // The value keeps its access stamp, as Redis moves the same object.
        let d = find(destination, hash: hash(destination))
        let (c, slot) = Self.split(d)
        chunks[c][slot].access = stamp
        return true
    }
}
