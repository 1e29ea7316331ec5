import RESP

/// One option as `CONFIG GET`/`CONFIG SET` and the configuration file name it.
///
/// `get` prints the value as Redis does (memory sizes in bytes, booleans as yes/no); `set` parses a
/// value and returns Redis's error text when it is refused.
public struct ConfigParameter: Sendable {
    /// The canonical, lowercase name.
    public var name: String
    /// Other names accepted for it.
    public var aliases: [String] = []
    /// Whether `CONFIG SET` may change it while running.
    public var isMutable: Bool = true
    /// Whether its value must be hidden from logs and MONITOR.
    public var isSensitive: Bool = false
    /// Prints the current value.
    public var get: @Sendable (BrokerConfiguration) -> String
    /// Applies a value, or returns Redis's reason for refusing it.
    public var set: @Sendable (inout BrokerConfiguration, [String]) -> String?
    /// How many words the value takes in a configuration file (`nil` = any number, at least one).
    public var fileArity: Int? = 1

    /// The table of every option the broker knows.
    public static let all: [ConfigParameter] = [
        .init(
            name: "bind", isMutable: true, get: { $0.bind.joined(separator: " ") },
            set: { c, v in
                let words = v.count == 1 ? v[0].split(separator: " ").map(String.init) : v
                guard !words.isEmpty else { return "Too many bind addresses specified." }
                c.bind = words
                return nil
            }, fileArity: nil),
        integer("port", \.port, 0...65535),
        .init(
            name: "requirepass", isSensitive: true, get: { $0.requirePass ?? "" },
            set: { c, v in
                c.requirePass = v[0].isEmpty ? nil : v[0]
                return nil
            }),
        boolean("protected-mode", \.protectedMode),
        integer("maxclients", \.maxClients, 1...Int(UInt32.max)),
        integer("timeout", \.timeout, 0...Int(Int32.max)),
        integer("databases", \.databases, 1...Int(Int32.max), mutable: false),
        .init(
            name: "client-output-buffer-limit", get: { OutputBufferLimitsText.print($0.outputBufferLimits) },
            set: { c, v in
                let words = v.count == 1 ? v[0].split(separator: " ").map(String.init) : v
                switch OutputBufferLimitsText.parse(words, onto: c.outputBufferLimits) {
                case .success(let limits): c.outputBufferLimits = limits
                case .failure(let reason): return reason.message
                }
                return nil
            }, fileArity: nil),
        memory("proto-max-bulk-len", \.protoMaxBulkLength, 1024 * 1024...Int.max),
        memory("client-query-buffer-limit", \.clientQueryBufferLimit, 1024 * 1024...Int.max),
        .init(
            name: "notify-keyspace-events", get: { KeyspaceEventFlags.canonical($0.notifyKeyspaceEvents) },
            set: { c, v in
                guard KeyspaceEventFlags.isValid(v[0]) else {
                    return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
                }
                c.notifyKeyspaceEvents = v[0]
                return nil
            }),
        enumeration("loglevel", \.logLevel, ["debug", "verbose", "notice", "warning"]),  // `nothing` came in 7.2
        string("logfile", \.logFile, mutable: false),
        string("dir", \.dir),
        string("dbfilename", \.dbFilename),
        .init(
            name: "save", get: { $0.save },
            set: { c, v in
                let words = v.count == 1 ? v[0].split(separator: " ").map(String.init) : v
                if words.count % 2 != 0 || words.contains(where: { Int($0) == nil }) {
                    return "Invalid save parameters"
                }
                c.save = words.joined(separator: " ")
                return nil
            }, fileArity: nil),
        boolean("appendonly", \.appendOnly),
        integer("hz", \.hz, 0...Int(Int32.max)),
        integer("tcp-keepalive", \.tcpKeepAlive, 0...Int(Int32.max)),
        integer("tcp-backlog", \.tcpBacklog, 0...Int(Int32.max), mutable: false),
        memory("maxmemory", \.maxMemory, 0...Int.max),
        enumeration(
            "maxmemory-policy", \.maxMemoryPolicy,
            [
                "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu",
                "allkeys-random", "noeviction",
            ]),
        integer("lfu-log-factor", \.lfuLogFactor, 0...Int(Int32.max)),
        integer("lfu-decay-time", \.lfuDecayTime, 0...Int(Int32.max)),
        integer("io-threads", \.ioThreads, 1...128, mutable: false),
        boolean("busy-poll", \.busyPoll),
        boolean("daemonize", \.daemonize, mutable: false),
        string("pidfile", \.pidFile, mutable: false),
        integer("slowlog-log-slower-than", \.slowlogLogSlowerThan, -1...Int.max),
        integer("slowlog-max-len", \.slowlogMaxLength, 0...Int.max),
        enumeration("enable-debug-command", \.enableDebugCommand, ["no", "yes", "local"], mutable: false),
    ]

    /// Looks an option up by name or alias, ignoring case.
    public static func named(_ name: String) -> ConfigParameter? {
        let lower = name.lowercased()
        return all.first { $0.name == lower || $0.aliases.contains(lower) }
    }

    static func integer(
        _ name: String, _ path: WritableKeyPath<BrokerConfiguration, Int> & Sendable, _ range: ClosedRange<Int>,
        mutable: Bool = true
    ) -> ConfigParameter {
        .init(
            name: name, isMutable: mutable, get: { String($0[keyPath: path]) },
            set: { c, v in
                guard let n = RedisNumberParsing.parseInt64(v[0].utf8).map(Int.init) else {
                    return "argument couldn't be parsed into an integer"
                }
                guard range.contains(n) else {
                    return "argument must be between \(range.lowerBound) and \(range.upperBound) inclusive"
                }
                c[keyPath: path] = n
                return nil
            })
    }

    static func memory(
        _ name: String, _ path: WritableKeyPath<BrokerConfiguration, Int> & Sendable, _ range: ClosedRange<Int>
    ) -> ConfigParameter {
        .init(
            name: name, get: { String($0[keyPath: path]) },
            set: { c, v in
                guard let n = MemorySize.parse(v[0]) else { return "argument must be a memory value" }
                guard range.contains(n) else {
                    return "argument must be between \(range.lowerBound) and \(range.upperBound) inclusive"
                }
                c[keyPath: path] = n
                return nil
            })
    }

    static func boolean(
        _ name: String, _ path: WritableKeyPath<BrokerConfiguration, Bool> & Sendable, mutable: Bool = true
    ) -> ConfigParameter {
        .init(
            name: name, isMutable: mutable, get: { $0[keyPath: path] ? "yes" : "no" },
            set: { c, v in
                switch v[0].lowercased() {
                case "yes": c[keyPath: path] = true
                case "no": c[keyPath: path] = false
                default: return "argument must be 'yes' or 'no'"
                }
                return nil
            })
    }

    static func string(
        _ name: String, _ path: WritableKeyPath<BrokerConfiguration, String> & Sendable, mutable: Bool = true
    ) -> ConfigParameter {
        .init(
            name: name, isMutable: mutable, get: { $0[keyPath: path] },
            set: { c, v in
                c[keyPath: path] = v[0]
                return nil
            })
    }

    static func enumeration(
        _ name: String, _ path: WritableKeyPath<BrokerConfiguration, String> & Sendable, _ values: [String],
        mutable: Bool = true
    ) -> ConfigParameter {
        .init(
            name: name, isMutable: mutable, get: { $0[keyPath: path] },
            set: { c, v in
                let lower = v[0].lowercased()
                guard values.contains(lower) else {
                    return "argument(s) must be one of the following: " + values.joined(separator: ", ")
                }
                c[keyPath: path] = lower
                return nil
            })
    }
}

/// Redis's memory-size notation (`memtoull`): digits with an optional `b`, `k`, `kb`, `m`, `mb`, `g`, `gb`
/// unit (`k` = 1000, `kb` = 1024), case-insensitive. No sign or space is accepted, and a bare unit is 0.
public enum MemorySize {
    /// Parses `text`, or `nil` if Redis would refuse it.
    public static func parse(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        let digitCount = bytes.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }.count
        let units: [String: Int] = [
            "": 1, "b": 1, "k": 1000, "kb": 1 << 10, "m": 1_000_000, "mb": 1 << 20, "g": 1_000_000_000, "gb": 1 << 30,
        ]
        let unit = String(decoding: bytes[digitCount...], as: UTF8.self).lowercased()
        guard digitCount < 128, let multiplier = units[unit] else { return nil }
        var n = 0
        for d in bytes[..<digitCount] {
            let (m, o1) = n.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int(d - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            n = a
        }
        let (r, o) = n.multipliedReportingOverflow(by: multiplier)
        return o ? nil : r
    }
}

/// The text form of `client-output-buffer-limit`: `<class> <hard> <soft> <seconds>` repeated.
enum OutputBufferLimitsText {
    static func print(_ l: BrokerConfiguration.OutputBufferLimits) -> String {
        func one(_ name: String, _ x: OutputBufferLimit) -> String { "\(name) \(x.hard) \(x.soft) \(x.softSeconds)" }
        return [one("normal", l.normal), one("slave", l.replica), one("pubsub", l.pubsub)].joined(separator: " ")
    }

    /// Why `CONFIG SET client-output-buffer-limit` refused a value (Redis's words).
    struct Refusal: Error {
        var message: String
    }

    /// Applies `<class> <hard> <soft> <seconds>` groups onto `base`; no words at all change nothing.
    static func parse(
        _ words: [String], onto base: BrokerConfiguration.OutputBufferLimits
    )
        -> Result<BrokerConfiguration.OutputBufferLimits, Refusal>
    {
        guard words.count % 4 == 0 else {
            return .failure(Refusal(message: "Wrong number of arguments in buffer limit configuration."))
        }
        var result = base
        var i = 0
        while i < words.count {
            guard ["normal", "slave", "replica", "pubsub"].contains(words[i].lowercased()) else {
                return .failure(Refusal(message: "Invalid client class specified in buffer limit configuration."))
            }
            // Redis reads the seconds with strtoll, so "" is 0 and a leading + or 0 is fine.
            guard let hard = MemorySize.parse(words[i + 1]), let soft = MemorySize.parse(words[i + 2]),
                let seconds = words[i + 3].isEmpty ? 0 : Int(words[i + 3]), seconds >= 0
            else {
                return .failure(
                    Refusal(message: "Error in hard, soft or soft_seconds setting in buffer limit configuration."))
            }
            let limit = OutputBufferLimit(hard: hard, soft: soft, softSeconds: seconds)
            switch words[i].lowercased() {
            case "normal": result.normal = limit
            case "pubsub": result.pubsub = limit
            default: result.replica = limit
            }
            i += 4
        }
        return .success(result)
    }
}

/// `notify-keyspace-events` flag letters, validated and printed as Redis does.
enum KeyspaceEventFlags {
    static let letters = Set("Ag$lshzxeKEtmdn")

    // Redis's NOTIFY_* bits (`server.h`).
    static let keyspace = 1 << 0
    static let keyevent = 1 << 1
    static let generic = 1 << 2
    static let string = 1 << 3
    static let list = 1 << 4
    static let set = 1 << 5
    static let hash = 1 << 6
    static let zset = 1 << 7
    static let expired = 1 << 8
    static let evicted = 1 << 9
    static let stream = 1 << 10
    static let keyMiss = 1 << 11
    static let module = 1 << 12
    static let new = 1 << 13
    /// `A`: every class but key misses and new keys.
    static let all = generic | string | list | set | hash | zset | expired | evicted | stream | module

    /// Redis's `keyspaceEventsStringToFlags` for text that ``isValid(_:)`` accepted.
    static func mask(_ text: String) -> Int {
        var flags = 0
        for c in text {
            switch c {
            case "A": flags |= all
            case "g": flags |= generic
            case "$": flags |= string
            case "l": flags |= list
            case "s": flags |= set
            case "h": flags |= hash
            case "z": flags |= zset
            case "x": flags |= expired
            case "e": flags |= evicted
            case "K": flags |= keyspace
            case "E": flags |= keyevent
            case "t": flags |= stream
            case "m": flags |= keyMiss
            case "d": flags |= module
            case "n": flags |= new
            default: break
            }
        }
        return flags
    }

    static func isValid(_ text: String) -> Bool {
        text.allSatisfy { letters.contains($0) }
    }

    /// Redis prints the flags back in a canonical order (`keyspaceEventsFlagsToString`), with `A`
    /// standing for every class `g$lshzxetd`.
    static func canonical(_ text: String) -> String {
        var set = Set(text)
        let classes: [Character] = ["g", "$", "l", "s", "h", "z", "x", "e", "t", "d"]
        if set.contains("A") { set.formUnion(classes) }
        var out = ""
        if classes.allSatisfy({ set.contains($0) }) {
            out.append("A")
        } else {
            for c in classes + ["n"] where set.contains(c) { out.append(c) }
        }
        for c in ["K", "E", "m"] as [Character] where set.contains(c) { out.append(c) }
        return out
    }
}
