import Testing

@testable import BrokerStorage

@Suite("Keyspace basics")
struct KeyspaceTests {
    @Test("an empty keyspace has no keys")
    func empty() {
        var keyspace = Keyspace()
        #expect(keyspace.count == 0)
        #expect(keyspace.isEmpty)
        #expect(keyspace.expiringCount == 0)
        #expect(keyspace.value(forKey: bytes("a")) == nil)
        #expect(!keyspace.contains(bytes("a")))
        let result1 = keyspace.removeValue(forKey: bytes("a"))
        #expect(result1 == nil)
        let result2 = keyspace.randomKey()
        #expect(result2 == nil)
        #expect(keyspace.scan(cursor: 0).cursor == 0)
        #expect(keyspace.scan(cursor: 0).keys.isEmpty)
    }

    @Test("insert, look up, replace and remove")
    func crud() {
        var keyspace = Keyspace()
        let result3 = keyspace.setValue(stringValue("v1"), forKey: bytes("k"))
        #expect(result3)
        #expect(keyspace.count == 1)
        #expect(stringBytes(keyspace.value(forKey: bytes("k"))) == bytes("v1"))
        let result4 = keyspace.setValue(stringValue("v2"), forKey: bytes("k"))
        #expect(!result4, "a second set replaces")
        #expect(keyspace.count == 1)
        #expect(stringBytes(keyspace.value(forKey: bytes("k"))) == bytes("v2"))
        let result5 = keyspace.replaceValue(stringValue("v3"), forKey: bytes("k"))
        #expect(result5)
        let result6 = keyspace.replaceValue(stringValue("x"), forKey: bytes("missing"))
        #expect(!result6, "replace never inserts")
        #expect(!keyspace.contains(bytes("missing")))
        let removed = keyspace.removeValue(forKey: bytes("k"))
        #expect(stringBytes(removed?.value) == bytes("v3"))
        #expect(removed?.expiresAt == nil)
        #expect(keyspace.count == 0)
        #expect(keyspace.value(forKey: bytes("k")) == nil)
    }

    @Test("touchKey: absent, present without and with an expiry, and the access recorded as touchValue records it")
    func touchKey() {
        var keyspace = Keyspace()
        #expect(keyspace.touchKey(forKey: bytes("k")) == nil)
        keyspace.setValue(stringValue("v"), forKey: bytes("k"))
        keyspace.setValue(stringValue("w"), forKey: bytes("e"), expiresAt: 1_700_000_000_000)
        keyspace.clock = AccessClock(mode: .lru, unixMilliseconds: 5_000_000)
        let plain = keyspace.touchKey(forKey: bytes("k"))
        #expect(plain != nil && plain! == nil, "present, no expiry")
        #expect(keyspace.touchKey(forKey: bytes("e")) == .some(1_700_000_000_000))
        let touched = keyspace.touchValue(forKey: bytes("e"))
        #expect(touched?.expiresAt == 1_700_000_000_000)
        #expect(keyspace.accessStamp(forKey: bytes("k")) == keyspace.accessStamp(forKey: bytes("e")))
        #expect(keyspace.accessStamp(forKey: bytes("k")) == keyspace.clock.lruClock)
        #expect(stringBytes(keyspace.value(forKey: bytes("k"))) == bytes("v"), "the value stays")
    }

    @Test("keys and values of every length class: empty, inline, heap")
    func lengths() {
        var keyspace = Keyspace()
        let lengths = [0, 1, 21, 22, 23, 44, 45, 200, 5000]
        for n in lengths {
            let key = [UInt8](repeating: UInt8(n & 0xff), count: n)
            let value = [UInt8]((0..<n).map { UInt8(truncatingIfNeeded: $0 &* 7) })
            keyspace.setValue(.string(StringValue(value)), forKey: key)
        }
        #expect(keyspace.count == lengths.count)
        for n in lengths {
            let key = [UInt8](repeating: UInt8(n & 0xff), count: n)
            #expect(stringBytes(keyspace.value(forKey: key)) == (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        }
    }

    @Test("binary keys: normalisation variants, NUL bytes and non-UTF-8 stay distinct")
    func binaryKeys() {
        var keyspace = Keyspace()
        let composed = bytes("caf\u{e9}")  // é as one scalar
        let decomposed = bytes("cafe\u{301}")  // e + combining acute
        #expect("caf\u{e9}" == "cafe\u{301}", "Swift's String would merge them")
        keyspace.setValue(stringValue("composed"), forKey: composed)
        keyspace.setValue(stringValue("decomposed"), forKey: decomposed)
        let nulKeys: [[UInt8]] = [[0], [0, 0], [0x61, 0], [0x61], [0, 0x61], [0xff, 0xfe, 0x80]]
        for (i, key) in nulKeys.enumerated() { keyspace.setValue(stringValue("nul\(i)"), forKey: key) }
        #expect(keyspace.count == 2 + nulKeys.count)
        #expect(stringBytes(keyspace.value(forKey: composed)) == bytes("composed"))
        #expect(stringBytes(keyspace.value(forKey: decomposed)) == bytes("decomposed"))
        for (i, key) in nulKeys.enumerated() {
            #expect(stringBytes(keyspace.value(forKey: key)) == bytes("nul\(i)"))
        }
        #expect(Set(keyspace.scanAll()) == Set([composed, decomposed] + nulKeys))
    }

    @Test("keys can be given as slices and raw buffers")
    func keyForms() {
        var keyspace = Keyspace()
        let buffer = bytes("xxkeyxx")
        keyspace.setValue(stringValue("v"), forKey: buffer[2..<5])
        #expect(keyspace.contains(bytes("key")))
        bytes("key").withUnsafeBytes { raw in
            #expect(keyspace.contains(raw))
        }
        #expect(keyspace.contains(bytes("key").lazy.map { $0 }))
    }

    @Test("removeAll empties the keyspace and it works afterwards")
    func removeAll() {
        var keyspace = Keyspace()
        for i in 0..<5000 {
            keyspace.setValue(
                stringValue("v\(i)"), forKey: bytes("key:\(i)"), expiresAt: i.isMultiple(of: 2) ? 10 : nil)
        }
        keyspace.removeAll()
        #expect(keyspace.count == 0)
        #expect(keyspace.expiringCount == 0)
        #expect(keyspace.value(forKey: bytes("key:1")) == nil)
        #expect(keyspace.scanAll().isEmpty)
        keyspace.setValue(stringValue("again"), forKey: bytes("key:1"))
        #expect(stringBytes(keyspace.value(forKey: bytes("key:1"))) == bytes("again"))
        #expect(keyspace.count == 1)
    }

    @Test("a copy is independent (databases are values)")
    func copyOnWrite() {
        var a = Keyspace()
        a.setValue(stringValue("1"), forKey: bytes("k"))
        var b = a
        b.setValue(stringValue("2"), forKey: bytes("k"))
        b.setValue(stringValue("3"), forKey: bytes("other"))
        #expect(stringBytes(a.value(forKey: bytes("k"))) == bytes("1"))
        #expect(a.count == 1)
        #expect(b.count == 2)
    }

    @Test("rename moves value and expiry and replaces the destination")
    func rename() {
        var keyspace = Keyspace()
        keyspace.setValue(stringValue("src"), forKey: bytes("a"), expiresAt: 1234)
        keyspace.setValue(stringValue("dst"), forKey: bytes("b"), expiresAt: 99)
        let result7 = keyspace.renameKey(bytes("a"), to: bytes("b"))
        #expect(result7)
        #expect(keyspace.count == 1)
        #expect(!keyspace.contains(bytes("a")))
        #expect(stringBytes(keyspace.value(forKey: bytes("b"))) == bytes("src"))
        #expect(keyspace.expiration(forKey: bytes("b")) == 1234)
        #expect(keyspace.expiringCount == 1)
        let result8 = keyspace.renameKey(bytes("missing"), to: bytes("c"))
        #expect(!result8)
        let result9 = keyspace.renameKey(bytes("b"), to: bytes("b"))
        #expect(result9, "renaming to itself keeps the key")
        #expect(keyspace.expiration(forKey: bytes("b")) == 1234)
        let result10 = keyspace.renameKey(bytes("b"), to: bytes("no-ttl"))
        #expect(result10)
        keyspace.setExpiration(nil, forKey: bytes("no-ttl"))
        #expect(keyspace.expiringCount == 0)
    }

    @Test("the table grows at load factor 1 and shrinks under 10% without losing keys")
    func resize() {
        var keyspace = Keyspace()
        for i in 0..<10_000 { keyspace.setValue(stringValue("\(i)"), forKey: bytes("k\(i)")) }
        while keyspace.rehash(steps: 100) {}
        #expect(keyspace.bucketCount == 16384)
        for i in 0..<10_000 where i >= 50 { keyspace.removeValue(forKey: bytes("k\(i)")) }
        while keyspace.rehash(steps: 100) {}
        #expect(keyspace.bucketCount < 1024)
        #expect(keyspace.count == 50)
        for i in 0..<50 { #expect(stringBytes(keyspace.value(forKey: bytes("k\(i)"))) == bytes("\(i)")) }
    }
}

@Suite("Keyspace in-place string changes")
struct KeyspaceModifyStringTests {
    @Test("modifyString changes the bytes, keeps the expiry and leaves the string raw")
    func modifies() {
        var keyspace = Keyspace()
        keyspace.setValue(stringValue("12"), forKey: bytes("k"), expiresAt: 5_000)
        let count = keyspace.modifyString(forKey: bytes("k")) { bytes -> Int in
            bytes.append(UInt8(ascii: "3"))
            return bytes.count
        }
        #expect(count == 3)
        #expect(stringBytes(keyspace.value(forKey: bytes("k"))) == bytes("123"))
        #expect(keyspace.expiration(forKey: bytes("k")) == 5_000)
        guard case .string(let s) = keyspace.value(forKey: bytes("k")) else { return }
        #expect(s.encoding == .raw, "a modified string is raw even when it looks like an integer")
        let absent = keyspace.modifyString(forKey: bytes("missing")) { _ in 1 }
        #expect(absent == nil)
        #expect(!keyspace.contains(bytes("missing")))
    }

    @Test("a long raw string is changed in its own buffer, not copied")
    func noCopy() {
        var keyspace = Keyspace()
        var initial = [UInt8](repeating: 0x61, count: 1000)
        initial.reserveCapacity(4096)
        keyspace.setValue(.string(StringValue(rawBytes: initial)), forKey: bytes("big"))
        initial = []
        var addresses: [UInt] = []
        for _ in 0..<3 {
            keyspace.modifyString(forKey: bytes("big")) { bytes in
                bytes.append(0x62)
                addresses.append(bytes.withUnsafeBytes { UInt(bitPattern: $0.baseAddress) })
            }
        }
        #expect(Set(addresses).count == 1, "the same buffer every time")
        #expect(stringBytes(keyspace.value(forKey: bytes("big")))?.count == 1003)
    }
}
