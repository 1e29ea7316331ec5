import BrokerStorage
import RESP

/// `DUMP` and `RESTORE` (Redis 7.0's `dumpCommand` and `restoreCommand` in `cluster.c`).
enum DumpCommands {
    static let handlers: [String: CommandHandler] = ["dump": dump, "restore": restore]

    /// The serialized value at argument 1, or null when the key is absent.
    static func dump(_ c: inout CommandContext) {
        let core = c.core
        let database = c.client.database
        guard let value = c.command.withBytes(1, { core.lookUpForRead(database, $0) }) else {
            c.null()
            return
        }
        // The broker has no `rdbcompression` option yet: compression stays on, Redis's default.
        c.bulk(bytes: DumpPayload.encode(value, compression: true))
    }

    /// `RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]`,
    /// checked in Redis's order: options, an existing key, the TTL, the payload's footer, its data.
    static func restore(_ c: inout CommandContext) {
        var replace = false
        var absoluteTTL = false
        var idleSeconds: Int64?
        var frequency: Int64?
        var j = 4
        while j < c.argumentCount {
            let word = KeyCommands.optionWord(c.command, j)
            let more = c.argumentCount - j - 1
            if word == Array("replace".utf8) {
                replace = true
            } else if word == Array("absttl".utf8) {
                absoluteTTL = true
            } else if word == Array("idletime".utf8) && more >= 1 && frequency == nil {
                guard let n = c.command.int64(j + 1) else {
                    c.notIntegerError()
                    return
                }
                if n < 0 {
                    c.error("Invalid IDLETIME value, must be >= 0")
                    return
                }
                idleSeconds = n
                j += 1
            } else if word == Array("freq".utf8) && more >= 1 && idleSeconds == nil {
                guard let n = c.command.int64(j + 1) else {
                    c.notIntegerError()
                    return
                }
                if n < 0 || n > 255 {
                    c.error("Invalid FREQ value, must be >= 0 and <= 255")
                    return
                }
                frequency = n
                j += 1
            } else {
                c.syntaxError()
                return
            }
            j += 1
        }

        let core = c.core
        let database = c.client.database
        let command = c.command
        if !replace && command.withBytes(1, { core.lookUpForWrite(database, $0) }) != nil {
            c.error("-BUSYKEY Target key name already exists.")
            return
        }
        guard var ttl = command.int64(2) else {
            c.notIntegerError()
            return
        }
        if ttl < 0 {
            c.error("Invalid TTL value, must be >= 0")
            return
        }
        let value: KeyspaceValue
        switch command.withBytes(3, { DumpPayload.decode($0) }) {
        case .success(let v):
            value = v
        case .failure(let failure) where failure.code == .badFooter:
            c.error("DUMP payload version or checksum are wrong")
            return
        case .failure:
            // Also a valid payload of a type the broker does not store yet (lists, hashes …).
            c.error("Bad data format")
            return
        }

        command.withBytes(1) { key in
            let deleted = replace && core.databases[database].removeValue(forKey: key) != nil
            // Redis adds the clock in wrapping arithmetic: a relative TTL that overflows lands in the
            // past, and the key is not created.
            if ttl != 0 && !absoluteTTL { ttl = ttl &+ BrokerCore.milliseconds() }
            if ttl != 0 && ttl <= BrokerCore.milliseconds() {
                // Already expired: nothing is created; a replaced key counts as deleted.
                if deleted {
                    core.notifyKeyspaceEvent(KeyspaceEventFlags.generic, event: "del", key: key, database: database)
                }
                return
            }
            core.databases[database].setValue(value, forKey: key, expiresAt: ttl == 0 ? nil : ttl)
            // Redis's dbAdd (`new`, even after REPLACE deleted the old key), then restoreCommand's own.
            core.notifyKeyspaceEvent(KeyspaceEventFlags.new, event: "new", key: key, database: database)
            applyRestoredAccessInfo(
                idleSeconds: idleSeconds, frequency: frequency, key: key, database: database, core: core)
            core.notifyKeyspaceEvent(KeyspaceEventFlags.generic, event: "restore", key: key, database: database)
        }
        c.ok()
    }

    /// Where `RESTORE`'s validated `IDLETIME` and `FREQ` take effect (Redis's `objectSetLRUOrLFU`):
    /// with an LFU `maxmemory-policy` a given `frequency` becomes the key's LFU counter; otherwise a
    /// given `idleSeconds` sets its last access that many seconds back. At most one of the two is
    /// given (`RESTORE` refuses both together). Called right after the key is stored.
    static func applyRestoredAccessInfo(
        idleSeconds: Int64?, frequency: Int64?, key: UnsafeRawBufferPointer, database: Int, core: BrokerCore
    ) {
        guard let stamp = core.databases[database].clock.restoredStamp(idleSeconds: idleSeconds, frequency: frequency)
        else { return }
        core.databases[database].setAccessStamp(stamp, forKey: key)
    }
}
