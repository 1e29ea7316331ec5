import BrokerStorage
import RESP

/// `DEL`, `UNLINK`, `EXISTS`, `TYPE`, `TTL`, `PTTL`, `EXPIRETIME`, `PEXPIRETIME`, `EXPIRE`,
/// `PEXPIRE`, `EXPIREAT`, `PEXPIREAT`, `PERSIST` (Redis 7.0's `db.c` and `expire.c`). `UNLINK`
/// is `DEL`: a value is freed in place either way (no background thread to hand it to).
enum KeyCommands {
    static let handlers: [String: CommandHandler] = [
        "del": del, "unlink": del, "exists": exists, "type": type,
        "ttl": { ttl(&$0, milliseconds: false, absolute: false) },
        "pttl": { ttl(&$0, milliseconds: true, absolute: false) },
        "expiretime": { ttl(&$0, milliseconds: false, absolute: true) },
        "pexpiretime": { ttl(&$0, milliseconds: true, absolute: true) },
        "expire": { expire(&$0, base: .now, seconds: true) },
        "pexpire": { expire(&$0, base: .now, seconds: false) },
        "expireat": { expire(&$0, base: .epoch, seconds: true) },
        "pexpireat": { expire(&$0, base: .epoch, seconds: false) },
        "persist": persist,
    ]

    /// Argument `index` as Redis compares option words: lowercased and cut at the first NUL
    /// (Redis compares C strings, so `"nx\0junk"` reads as `nx`).
    static func optionWord(_ command: RESPCommand, _ index: Int) -> [UInt8] {
        command.withBytes(index) { bytes in
            var word: [UInt8] = []
            word.reserveCapacity(bytes.count)
            for byte in bytes {
                if byte == 0 { break }
                word.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte)
            }
            return word
        }
    }

    static func del(_ c: inout CommandContext) {
        let core = c.core
        let database = c.client.database
        var deleted = 0
        for i in 1..<c.argumentCount {
            c.command.withBytes(i) { key in
                core.expireIfNeeded(database, key)
                if core.databases[database].removeValue(forKey: key) != nil {
                    deleted += 1
                    core.notifyKeyspaceEvent(KeyspaceEventFlags.generic, event: "del", key: key, database: database)
                }
            }
        }
        c.integer(deleted)
    }

    static func exists(_ c: inout CommandContext) {
        let core = c.core
        let database = c.client.database
        var count = 0
        for i in 1..<c.argumentCount
        where c.command.withBytes(i, { core.lookUpForRead(database, $0, touch: false) }) != nil {
            count += 1
        }
        c.integer(count)
    }

    static func type(_ c: inout CommandContext) {
        let core = c.core
        let database = c.client.database
        if let value = c.command.withBytes(1, { core.lookUpForRead(database, $0, touch: false) }) {
            c.status(text: value.typeName)
        } else {
            c.status("none")
        }
    }

    /// Redis's `ttlGenericCommand`: `TTL`, `PTTL`, `EXPIRETIME` and `PEXPIRETIME`.
    static func ttl(_ c: inout CommandContext, milliseconds: Bool, absolute: Bool) {
        let core = c.core
        let database = c.client.database
        let deadline: Int64?? = c.command.withBytes(1) { key in
            core.lookUpForRead(database, key, touch: false) == nil
                ? nil : .some(core.databases[database].expiration(forKey: key))
        }
        guard let deadline else {
            c.integer(-2)
            return
        }
        guard let deadline else {
            c.integer(-1)
            return
        }
        let left = max(0, absolute ? deadline : deadline - BrokerCore.milliseconds())
        c.integer(milliseconds ? left : (left + 500) / 1000)
    }

    enum ExpiryBase { case now, epoch }

    /// Redis's `expireGenericCommand`.
    static func expire(_ c: inout CommandContext, base: ExpiryBase, seconds: Bool) {
        var nx = false
        var xx = false
        var gt = false
        var lt = false
        for j in 3..<max(3, c.argumentCount) {
            switch optionWord(c.command, j) {
            case Array("nx".utf8): nx = true
            case Array("xx".utf8): xx = true
            case Array("gt".utf8): gt = true
            case Array("lt".utf8): lt = true
            default:
                // addReplyErrorFormat prints the C string and turns newlines into spaces.
                let option = c.command.withBytes(j) { bytes in
                    String(
                        decoding: bytes.prefix { $0 != 0 }.map { $0 == 0x0D || $0 == 0x0A ? 0x20 : $0 }, as: UTF8.self)
                }
                c.error("Unsupported option \(option)")
                return
            }
        }
        if nx && (xx || gt || lt) {
            c.error("NX and XX, GT or LT options at the same time are not compatible")
            return
        }
        if gt && lt {
            c.error("GT and LT options at the same time are not compatible")
            return
        }
        guard var when = c.command.int64(2) else {
            c.notIntegerError()
            return
        }
        let invalid = "invalid expire time in '\(c.spec.fullName)' command"
        if seconds {
            if when > Int64.max / 1000 || when < Int64.min / 1000 {
                c.error(invalid)
                return
            }
            when *= 1000
        }
        let baseTime = base == .now ? BrokerCore.milliseconds() : 0
        if when > Int64.max - baseTime {
            c.error(invalid)
            return
        }
        when += baseTime

        let core = c.core
        let database = c.client.database
        let deadline = when
        let reply: Int = c.command.withBytes(1) { key in
            guard core.lookUpForWrite(database, key) != nil else { return 0 }
            let current = core.databases[database].expiration(forKey: key)
            if nx && current != nil { return 0 }
            if xx && current == nil { return 0 }
            // No expiry counts as an infinite one: GT never beats it, LT always does.
            if gt, current == nil || deadline <= current! { return 0 }
            if lt, let current, deadline >= current { return 0 }
            if deadline <= BrokerCore.milliseconds() {
                // Already past: Redis deletes the key (a `del`, not an expiry).
                core.databases[database].removeValue(forKey: key)
                core.notifyKeyspaceEvent(KeyspaceEventFlags.generic, event: "del", key: key, database: database)
            } else {
                core.databases[database].setExpiration(deadline, forKey: key)
                core.notifyKeyspaceEvent(KeyspaceEventFlags.generic, event: "expire", key: key, database: database)
            }
            return 1
        }
        c.integer(reply)
    }

    static func persist(_ c: inout CommandContext) {
        let core = c.core
        let database = c.client.database
        let removed: Bool = c.command.withBytes(1) { key in
            guard core.lookUpForWrite(database, key) != nil,
                core.databases[database].expiration(forKey: key) != nil
            else { return false }
            core.databases[database].setExpiration(nil, forKey: key)
            core.notifyKeyspaceEvent(KeyspaceEventFlags.generic, event: "persist", key: key, database: database)
            return true
        }
        c.integer(removed ? 1 : 0)
    }
}
