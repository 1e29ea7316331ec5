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
        integer("maxclients", \.maxClients, 1...Int(Int32.max)),
        integer("timeout", \.timeout, 0...Int(Int32.max)),
        integer("databases", \.databases, 1...Int(Int32.max), mutable: false),
        .init(
            name: "client-output-buffer-limit", get: { OutputBufferLimitsText.print($0.outputBufferLimits) },
            set: { c, v in
                let words = v.count == 1 ? v[0].split(separator: " ").map(String.init) : v
                guard let parsed = OutputBufferLimitsText.parse(words, onto: c.outputBufferLimits) else {
                    return "Wrong number of arguments in buffer limit configuration."
                }
                c.outputBufferLimits = parsed
                return nil
            }, fileArity: nil),
        memory("proto-max-bulk-len", \.protoMaxBulkLength, 1024...Int.max),
        memory("client-query-buffer-limit", \.clientQueryBufferLimit, 1024 * 1024...Int.max),
        .init(
            name: "notify-keyspace-events", get: { KeyspaceEventFlags.canonical($0.notifyKeyspaceEvents) },
            set: { c, v in
                guard KeyspaceEventFlags.isValid(v[0]) else { return "Invalid event class character. Use 'Ag$lshzxeKEtmd'." }
                c.notifyKeyspaceEvents = v[0]
                return nil
            }),
        enumeration("loglevel", \.logLevel, ["debug", "verbose", "notice", "warning", "nothing"]),
        string("logfile", \.logFile, mutable: false),
        string("dir", \.dir),
        string("dbfilename", \.dbFilename),
        .init(
            name: "save", get: { $0.save },
            set: { c, v in
                let words = v.count == 1 ? v[0].split(separator: " ").map(String.init) : v
                if words.count % 2 != 0 || words.contains(where: { Int($0) == nil }) { return "Invalid save parameters" }
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
        integer("io-threads", \.ioThreads, 1...128, mutable: false),
        boolean("daemonize", \.daemonize, mutable: false),
        string("pidfile", \.pidFile, mutable: false),
        integer("slowlog-log-slower-than", \.slowlogLogSlowerThan, -1...Int.max),
        integer("slowlog-max-len", \.slowlogMaxLength, 0...Int(Int32.max)),
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
                guard let n = Int(v[0]) else { return "argument couldn't be parsed into an integer" }
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
        _ name: String, _ path: WritableKeyPath<BrokerConfiguration, String> & Sendable, _ values: [String]
    ) -> ConfigParameter {
        .init(
            name: name, get: { $0[keyPath: path] },
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

/// Redis's memory-size notation: a number with an optional `b`, `k`, `kb`, `m`, `mb`, `g`, `gb` unit
/// (`k` = 1000, `kb` = 1024), case-insensitive.
public enum MemorySize {
    /// Parses `text`, or `nil` if Redis would refuse it.
    public static func parse(_ text: String) -> Int? {
        let lower = text.lowercased()
        let units: [(String, Int)] = [
            ("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10), ("g", 1_000_000_000), ("m", 1_000_000), ("k", 1000),
            ("b", 1),
        ]
        for (suffix, multiplier) in units where lower.hasSuffix(suffix) {
            guard let n = Int(lower.dropLast(suffix.count)), n >= 0 else { return nil }
            let (r, o) = n.multipliedReportingOverflow(by: multiplier)
            return o ? nil : r
        }
        guard let n = Int(lower), n >= 0 else { return nil }
        return n
    }
}

/// The text form of `client-output-buffer-limit`: `<class> <hard> <soft> <seconds>` repeated.
enum OutputBufferLimitsText {
    static func print(_ l: BrokerConfiguration.OutputBufferLimits) -> String {
        func one(_ name: String, _ x: OutputBufferLimit) -> String { "\(name) \(x.hard) \(x.soft) \(x.softSeconds)" }
        return [one("normal", l.normal), one("slave", l.replica), one("pubsub", l.pubsub)].joined(separator: " ")
    }

    static func parse(_ words: [String], onto base: BrokerConfiguration.OutputBufferLimits)
        -> BrokerConfiguration.OutputBufferLimits?
    {
        guard !words.isEmpty, words.count % 4 == 0 else { return nil }
        var result = base
        var i = 0
        while i < words.count {
            guard let hard = MemorySize.parse(words[i + 1]), let soft = MemorySize.parse(words[i + 2]),
                let seconds = Int(words[i + 3]), seconds >= 0
            else { return nil }
            let limit = OutputBufferLimit(hard: hard, soft: soft, softSeconds: seconds)
            switch words[i].lowercased() {
            case "normal": result.normal = limit
            case "slave", "replica": result.replica = limit
            case "pubsub": result.pubsub = limit
            default: return nil
            }
            i += 4
        }
        return result
    }
}

/// `notify-keyspace-events` flag letters, validated and printed as Redis does.
enum KeyspaceEventFlags {
    static let letters = Set("Ag$lshzxeKEtmdn")

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
