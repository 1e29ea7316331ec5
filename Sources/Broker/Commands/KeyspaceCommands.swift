import BrokerStorage
import RESP

/// `KEYS`, `SCAN`, `RANDOMKEY`, `RENAME`, `RENAMENX`, `COPY`, `MOVE`, `SWAPDB`, `TOUCH` (Redis
/// 7.0's `db.c`).
enum KeyspaceCommands {
    static let handlers: [String: CommandHandler] = [
        "keys": keys, "scan": scan, "randomkey": randomkey, "rename": { rename(&$0, nx: false) },
        "renamenx": { rename(&$0, nx: true) }, "copy": copy, "move": move, "swapdb": swapdb, "touch": touch,
    ]

    /// Redis's `keysCommand`: every key matching the pattern, skipping (not deleting) expired ones.
    static func keys(_ c: inout CommandContext) {
        let now = BrokerCore.milliseconds()
        let keyspace = c.core.databases[c.client.database]
        var matched: [[UInt8]] = []
        c.command.withBytes(1) { pattern in
            let all = pattern.count == 1 && pattern[0] == UInt8(ascii: "*")
            keyspace.forEachKey { key, expiresAt in
                if let expiresAt, now > expiresAt { return }
                if all || GlobPattern.matches(pattern: pattern, string: key) { matched.append(Array(key)) }
            }
        }
        c.array(matched.count)
        for key in matched { c.bulk(bytes: key) }
    }

    /// Redis's `parseScanCursorOrReply`: `strtoul` over the C string (a sign is accepted and a
    /// minus wraps, as `strtoul` does), nothing after the digits, no leading space, no overflow.
    static func parseCursor(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        let text = bytes.prefix { $0 != 0 }
        var i = text.startIndex
        if i == text.endIndex { return 0 }
        let first = text[i]
        if first == 0x20 || (first >= 0x09 && first <= 0x0D) { return nil }
        var negative = false
        if first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            negative = first == UInt8(ascii: "-")
            i += 1
        }
        guard i < text.endIndex else { return nil }
        var value: UInt64 = 0
        while i < text.endIndex {
            let d = text[i]
            guard d >= UInt8(ascii: "0") && d <= UInt8(ascii: "9") else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(d - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = a
            i += 1
        }
        return negative ? 0 &- value : value
    }

    /// Redis 7.0's `scanGenericCommand` for the keyspace: MATCH, COUNT and TYPE filter the keys
    /// of the buckets visited; expired keys are deleted and left out.
    static func scan(_ c: inout CommandContext) {
        guard let cursor = c.command.withBytes(1, parseCursor) else {
            c.error("invalid cursor")
            return
        }
        var count = 10
        var pattern: [UInt8]?
        var typeName: [UInt8]?
        var i = 2
        while i < c.argumentCount {
            let more = c.argumentCount - i
            let word = KeyCommands.optionWord(c.command, i)
            if word == Array("count".utf8) && more >= 2 {
                guard let n = c.command.int64(i + 1) else {
                    c.notIntegerError()
                    return
                }
                if n < 1 {
                    c.syntaxError()
                    return
                }
                count = Int(clamping: n)
                i += 2
            } else if word == Array("match".utf8) && more >= 2 {
                let p = c.command.bytes(i + 1)
                pattern = p == [UInt8(ascii: "*")] ? nil : p
                i += 2
            } else if word == Array("type".utf8) && more >= 2 {
                typeName = KeyCommands.optionWord(c.command, i + 1)
                i += 2
            } else {
                c.syntaxError()
                return
            }
        }
        let core = c.core
        let database = c.client.database
        let page = core.databases[database].scan(cursor: cursor, count: count)
        var keys: [[UInt8]] = []
        for key in page.keys {
            if let pattern, !GlobPattern.matches(pattern: pattern, string: key) { continue }
            let live: Bool = key.withUnsafeBytes { bytes in
                if let typeName {
                    // Redis looks the key up (counted as a hit or a miss) and compares type names
                    // without case; an expired key reads as `none`.
                    let name = core.lookUpForRead(database, bytes, touch: false)?.typeName ?? "none"
                    if Array(name.utf8) != typeName { return false }
                }
                return !core.expireIfNeeded(database, bytes)
            }
            if live { keys.append(key) }
        }
        c.array(2)
        c.bulk(String(page.cursor))
        c.array(keys.count)
        for key in keys { c.bulk(bytes: key) }
    }

    /// Redis's `randomkeyCommand` and `dbRandomKey`: an expired key drawn is deleted and another
    /// drawn.
    static func randomkey(_ c: inout CommandContext) {
        let core = c.core
        let database = c.client.database
        while let key = core.databases[database].randomKey() {
            if key.withUnsafeBytes({ core.expireIfNeeded(database, $0) }) { continue }
            c.bulk(bytes: key)
            return
        }
        c.null()
    }

    /// Redis's `renameGenericCommand`: the value keeps its expiry and access stamp; events
    /// `rename_from` and `rename_to` (after `new` for the destination).
    static func rename(_ c: inout CommandContext, nx: Bool) {
        let core = c.core
        let database = c.client.database
        let source = c.command.bytes(1)
        let destination = c.command.bytes(2)
        guard source.withUnsafeBytes({ core.lookUpForWrite(database, $0) }) != nil else {
            c.error("no such key")
            return
        }
        if source == destination {
            if nx { c.integer(0) } else { c.ok() }
            return
        }
        if destination.withUnsafeBytes({ core.lookUpForWrite(database, $0) }) != nil {
            if nx {
                c.integer(0)
                return
            }
            core.databases[database].removeValue(forKey: destination)
        }
        core.databases[database].renameKey(source, to: destination)
        source.withUnsafeBytes { s in
            destination.withUnsafeBytes { d in
                core.notifyKeyspaceEvent(KeyspaceEventFlags.new, event: "new", key: d, database: database)
                core.notifyKeyspaceEvent(KeyspaceEventFlags.generic, event: "rename_from", key: s, database: database)
                core.notifyKeyspaceEvent(KeyspaceEventFlags.generic, event: "rename_to", key: d, database: database)
            }
        }
        if nx { c.integer(1) } else { c.ok() }
    }

    /// Redis's `copyCommand`: the copy keeps the encoding and the expiry; it gets a fresh access
    /// stamp (a new object). Events `new` and `copy_to` in the destination database.
    static func copy(_ c: inout CommandContext) {
        let core = c.core
        let source = c.client.database
        var destinationDatabase = source
        var replace = false
        var j = 3
        while j < c.argumentCount {
            let word = KeyCommands.optionWord(c.command, j)
            if word == Array("replace".utf8) {
                replace = true
            } else if word == Array("db".utf8) && c.argumentCount - j - 1 >= 1 {
                guard let id = c.databaseArgument(j + 1) else { return }
                destinationDatabase = id
                j += 1
            } else {
                c.syntaxError()
                return
            }
            j += 1
        }
        let key = c.command.bytes(1)
        let newKey = c.command.bytes(2)
        if source == destinationDatabase && key == newKey {
            c.error("source and destination objects are the same")
            return
        }
        guard let value = key.withUnsafeBytes({ core.lookUpForRead(source, $0) }) else {
            c.integer(0)
            return
        }
        let expiresAt = core.databases[source].expiration(forKey: key)
        let exists = newKey.withUnsafeBytes { core.lookUpForWrite(destinationDatabase, $0) } != nil
        if exists && !replace {
            c.integer(0)
            return
        }
        if exists { core.databases[destinationDatabase].removeValue(forKey: newKey) }
        core.databases[destinationDatabase].setValue(value, forKey: newKey, expiresAt: expiresAt)
        newKey.withUnsafeBytes { k in
            core.notifyKeyspaceEvent(KeyspaceEventFlags.new, event: "new", key: k, database: destinationDatabase)
            core.notifyKeyspaceEvent(
                KeyspaceEventFlags.generic, event: "copy_to", key: k, database: destinationDatabase)
        }
        c.integer(1)
    }

    /// Redis's `moveCommand`: the value keeps its expiry and access stamp; events `new` (in the
    /// destination), `move_from` and `move_to`.
    static func move(_ c: inout CommandContext) {
        let core = c.core
        let source = c.client.database
        guard let destination = c.databaseArgument(2) else { return }
        if source == destination {
            c.error("source and destination objects are the same")
            return
        }
        let key = c.command.bytes(1)
        guard key.withUnsafeBytes({ core.lookUpForWrite(source, $0) }) != nil else {
            c.integer(0)
            return
        }
        if key.withUnsafeBytes({ core.lookUpForWrite(destination, $0) }) != nil {
            c.integer(0)
            return
        }
        let stamp = core.databases[source].accessStamp(forKey: key)
        guard let (value, expiresAt) = core.databases[source].removeValue(forKey: key) else { return }
        core.databases[destination].setValue(value, forKey: key, expiresAt: expiresAt)
        if let stamp { core.databases[destination].setAccessStamp(stamp, forKey: key) }
        key.withUnsafeBytes { k in
            core.notifyKeyspaceEvent(KeyspaceEventFlags.new, event: "new", key: k, database: destination)
            core.notifyKeyspaceEvent(KeyspaceEventFlags.generic, event: "move_from", key: k, database: source)
            core.notifyKeyspaceEvent(KeyspaceEventFlags.generic, event: "move_to", key: k, database: destination)
        }
        c.integer(1)
    }

    /// Redis's `swapdbCommand`: every connection sees the other database's keys from now on.
    static func swapdb(_ c: inout CommandContext) {
        guard let first = c.int32Argument(1, message: "invalid first DB index"),
            let second = c.int32Argument(2, message: "invalid second DB index")
        else { return }
        let databases = c.core.databases.indices
        guard databases.contains(first) && databases.contains(second) else {
            c.error("DB index is out of range")
            return
        }
        c.core.databases.swapAt(first, second)
        c.ok()
    }

    /// Redis's `touchCommand`: a read of each key (updating its access stamp).
    static func touch(_ c: inout CommandContext) {
        let core = c.core
        let database = c.client.database
        var touched = 0
        for i in 1..<c.argumentCount where c.command.withBytes(i, { core.lookUpForRead(database, $0) }) != nil {
            touched += 1
        }
        c.integer(touched)
    }
}
