extension Keyspace {
    /// One `SCAN` call: keys from the buckets at `cursor` onwards, and the cursor to pass next
    /// (0 when the scan is complete; cursor 0 also starts one).
    ///
    /// Redis's guarantee holds: a key present from the first call to the last is returned at
    /// least once, even if the table grows, shrinks or is mid-resize between calls; a key may be
    /// returned more than once. Like `scanGenericCommand`, whole buckets are emitted until at
    /// least `count` keys are collected or `count × 10` buckets were visited, so a call may
    /// return more or fewer than `count` keys. MATCH and TYPE filtering is the caller's, on the
    /// returned keys, as in Redis 7.0.
    public func scan(cursor: UInt64, count: Int = 10) -> (cursor: UInt64, keys: [[UInt8]]) {
        if self.count == 0 { return (0, []) }
        var keys: [[UInt8]] = []
        var cursor = cursor
        var iterations = Swift.max(count, 1) * 10
        repeat {
            cursor = scanStep(cursor) { keys.append($0.bytes) }
            iterations -= 1
        } while cursor != 0 && iterations > 0 && keys.count < count
        return (cursor, keys)
    }

    /// Redis's `dictScan`: emits the bucket(s) at cursor `v` and returns the next cursor.
    ///
    /// The cursor's high bits are incremented (bits reversed, plus one, reversed back), so the
    /// buckets a cursor has covered in a table of size 2^n stay covered in tables of size 2^(n±k).
    /// While rehashing, the smaller table's bucket is emitted, then every bucket of the larger
    /// table that expands it.
    func scanStep(_ cursor: UInt64, emit: (CompactKey) -> Void) -> UInt64 {
        var v = cursor
        func emitChain(_ head: Int32) {
            var i = head
            while i >= 0 {
                let (c, s) = Self.split(i)
                emit(chunks[c][s].key)
                i = chunks[c][s].next
            }
        }
        if rehashIndex < 0 {
            let m0 = UInt64(table0.count - 1)
            emitChain(table0[Int(v & m0)])
            v |= ~m0
            v = (v.bitReversed &+ 1).bitReversed
        } else {
            let (small, large) = table0.count <= table1.count ? (table0, table1) : (table1, table0)
            let m0 = UInt64(small.count - 1)
            let m1 = UInt64(large.count - 1)
            emitChain(small[Int(v & m0)])
            repeat {
                emitChain(large[Int(v & m1)])
                v |= ~m1
                v = (v.bitReversed &+ 1).bitReversed
            } while v & (m0 ^ m1) != 0
        }
        return v
    }
}

extension UInt64 {
    /// The bits in reverse order.
    var bitReversed: UInt64 {
        var v = self
        v = ((v &>> 1) & 0x5555_5555_5555_5555) | ((v & 0x5555_5555_5555_5555) &<< 1)
        v = ((v &>> 2) & 0x3333_3333_3333_3333) | ((v & 0x3333_3333_3333_3333) &<< 2)
        v = ((v &>> 4) & 0x0f0f_0f0f_0f0f_0f0f) | ((v & 0x0f0f_0f0f_0f0f_0f0f) &<< 4)
        return v.byteSwapped
    }
}
