import BrokerStorage
import CBrokerSupport
import RESP

/// `OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT|HELP` (Redis 7.0's `object.c`) and the `MEMORY`
/// subcommands redis-cli uses (`USAGE`, plus `PURGE`, `MALLOC-STATS` and `HELP`).
enum ObjectCommand {
    static let handlers: [String: CommandHandler] = [
        "object|encoding": { c in
            guard let value = lookUp(&c) else { return }
            switch value {
            case .string(let string):
                switch string.encoding {
                case .int: c.bulk("int")
                case .embstr: c.bulk("embstr")
                case .raw: c.bulk("raw")
                }
            }
        },
        "object|refcount": { c in
            guard let value = lookUp(&c) else { return }
            c.integer(isSharedInteger(value, c.core.configuration) ? Int(Int32.max) : 1)
        },
        "object|idletime": { c in
            guard lookUp(&c) != nil else { return }
            let database = c.core.databases[c.client.database]
            if database.clock.mode == .lfu {
                c.error(
                    "An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
                )
                return
            }
            let stamp = c.command.withBytes(2) { database.accessStamp(forKey: $0) } ?? 0
            c.integer(database.clock.idleMilliseconds(stamp) / 1000)
        },
        "object|freq": { c in
            guard lookUp(&c) != nil else { return }
            let database = c.core.databases[c.client.database]
            if database.clock.mode != .lfu {
                c.error(
                    "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
                )
                return
            }
            let stamp = c.command.withBytes(2) { database.accessStamp(forKey: $0) } ?? 0
            c.integer(Int(database.clock.frequency(stamp)))
        },
        "object|help": { c in
            c.help([
                "ENCODING <key>",
                "    Return the kind of internal representation used in order to store the value",
                "    associated with a <key>.",
                "FREQ <key>",
                "    Return the access frequency index of the <key>. The returned integer is",
                "    proportional to the logarithm of the recent access frequency of the key.",
                "IDLETIME <key>",
                "    Return the idle time of the <key>, that is the approximated number of",
                "    seconds elapsed since the last access to the key.",
                "REFCOUNT <key>",
                "    Return the number of references of the value associated with the specified",
                "    <key>.",
            ])
        },
        "memory|usage": memoryUsage,
        "memory|purge": { c in
            _ = switchboard_heap_trim()
            c.ok()
        },
        "memory|malloc-stats": { c in
            // What redis-server built with libc malloc answers; the broker runs on the C library's.
            c.verbatim("Stats not supported for the current allocator")
        },
        "memory|help": { c in
            c.help([
                "MALLOC-STATS",
                "    Return internal statistics report from the memory allocator.",
                "PURGE",
                "    Attempt to purge dirty pages for reclamation by the allocator.",
                "USAGE <key> [SAMPLES <count>]",
                "    Return memory in bytes used by <key> and its value. Nested values are",
                "    sampled up to <count> times (default: 5, 0 means sample all).",
            ])
        },
    ]

    /// Redis's `objectCommandLookupOrReply`: the key's value without touching its access stamp
    /// and without a `keymiss` event (still counted as a hit or miss), or a null reply.
    static func lookUp(_ c: inout CommandContext) -> KeyspaceValue? {
        let core = c.core
        let database = c.client.database
        let value = c.command.withBytes(2) { key -> KeyspaceValue? in
            let value = core.lookUp(database, key, touch: false)
            if value == nil { core.stats.keyspaceMisses += 1 } else { core.stats.keyspaceHits += 1 }
            return value
        }
        if value == nil { c.null() }
        return value
    }

    /// Whether Redis would hold this value as one of its shared integer objects (0–9999, unless a
    /// `maxmemory` with an LRU or LFU policy forbids sharing), whose `OBJECT REFCOUNT` is
    /// `INT_MAX`.
    static func isSharedInteger(_ value: KeyspaceValue, _ configuration: BrokerConfiguration) -> Bool {
        switch value {
        case .string(let string):
            guard let n = string.integerValue, n >= 0, n < 10_000 else { return false }
            let policy = configuration.maxMemoryPolicy
            return configuration.maxMemory == 0 || !(policy.hasSuffix("-lru") || policy.hasSuffix("-lfu"))
        }
    }

    /// Redis's `MEMORY USAGE` options and reply; the size is the broker's own accounting of the
    /// key (`Keyspace.memoryUsage(forKey:)`). Like Redis, an expired key not yet removed counts.
    static func memoryUsage(_ c: inout CommandContext) {
        var j = 3
        while j < c.argumentCount {
            if KeyCommands.optionWord(c.command, j) == Array("samples".utf8) && j + 1 < c.argumentCount {
                guard let samples = c.command.int64(j + 1) else {
                    c.notIntegerError()
                    return
                }
                if samples < 0 {
                    c.syntaxError()
                    return
                }
                j += 2
            } else {
                c.syntaxError()
                return
            }
        }
        let database = c.core.databases[c.client.database]
        if let usage = c.command.withBytes(2, { database.memoryUsage(forKey: $0) }) {
            c.integer(usage)
        } else {
            c.null()
        }
    }
}
