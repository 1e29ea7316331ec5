import CBrokerSupport
import NIOCore
import RESP

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension ServerCommands {
    static let defaultInfoSections = [
        "server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats",
        "cluster", "keyspace",
    ]
    static let allInfoSections = defaultInfoSections + ["commandstats"]

    static func info(_ c: inout CommandContext) {
        var wanted: [String] = []
        if c.argumentCount == 1 {
            wanted = defaultInfoSections
        } else {
            for i in 1..<c.argumentCount {
                switch c.command.lowercasedString(i) {
                case "default": wanted += defaultInfoSections
                case "all", "everything": wanted += allInfoSections
                case let name: wanted.append(name)
                }
            }
        }
        var seen = Set<String>()
        var text = ""
        for section in (defaultInfoSections + ["commandstats"])
        where wanted.contains(section) && seen.insert(section).inserted {
            if !text.isEmpty { text += "\r\n" }
            text += InfoReport(core: c.core).section(section)
        }
        c.verbatim(text)
    }
}

/// Builds `INFO`'s sections with Redis's field names.
struct InfoReport {
    let core: BrokerCore

    func section(_ name: String) -> String {
        let fields: [(String, String)]
        let title: String
        switch name {
        case "server": (title, fields) = ("Server", server())
        case "clients": (title, fields) = ("Clients", clients())
        case "memory": (title, fields) = ("Memory", memory())
        case "persistence": (title, fields) = ("Persistence", persistence())
        case "stats": (title, fields) = ("Stats", stats())
        case "replication": (title, fields) = ("Replication", replication())
        case "cpu": (title, fields) = ("CPU", cpu())
        case "modules": (title, fields) = ("Modules", [])
        case "errorstats":
            (title, fields) = (
                "Errorstats",
                core.stats.errors.sorted { $0.key < $1.key }.map { ("errorstat_\($0.key)", "count=\($0.value)") }
            )
        case "cluster": (title, fields) = ("Cluster", [("cluster_enabled", "0")])
        case "keyspace": (title, fields) = ("Keyspace", keyspace())
        case "commandstats": (title, fields) = ("Commandstats", commandStats())
        default: return ""
        }
        return "# \(title)\r\n" + fields.map { "\($0.0):\($0.1)\r\n" }.joined()
    }

    func server() -> [(String, String)] {
        var u = utsname()
        uname(&u)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        let now = BrokerCore.now()
        let uptime = Int(now - core.startTime)
        return [
            ("redis_version", BrokerInfo.redisVersion),
            ("redis_git_sha1", "00000000"),
            ("redis_git_dirty", "0"),
            ("redis_build_id", "0"),
            ("redis_mode", "standalone"),
            ("os", "\(field(u.sysname)) \(field(u.release)) \(field(u.machine))"),
            ("arch_bits", "64"),
            ("monotonic_clock", "POSIX clock_gettime"),
            ("multiplexing_api", "epoll"),
            ("atomicvar_api", "c11-builtin"),
            ("gcc_version", "0.0.0"),
            ("process_id", String(getpid())),
            ("process_supervised", "no"),
            ("run_id", core.runID),
            ("tcp_port", String(core.boundPort)),
            ("server_time_usec", String(Int(now * 1_000_000))),
            ("uptime_in_seconds", String(uptime)),
            ("uptime_in_days", String(uptime / 86400)),
            ("hz", String(core.configuration.hz)),
            ("configured_hz", String(core.configuration.hz)),
            ("lru_clock", String(Int(now) & ((1 << 24) - 1))),
            ("executable", CommandLine.arguments.first ?? ""),
            ("config_file", core.configuration.configFile),
            ("io_threads_active", "0"),
            ("switchboard_version", BrokerInfo.version),
        ]
    }

    func clients() -> [(String, String)] {
        let pubsubClients = core.clients.values.filter(\.isSubscriber).count
        return [
            ("connected_clients", String(core.clients.count)),
            ("cluster_connections", "0"),
            ("maxclients", String(core.configuration.maxClients)),
            ("client_recent_max_input_buffer", String(core.clients.values.map(\.queryBufferBytes).max() ?? 0)),
            ("client_recent_max_output_buffer", String(core.clients.values.map { $0.output.readableBytes }.max() ?? 0)),
            ("blocked_clients", "0"),
            ("tracking_clients", "0"),
            ("pubsub_clients", String(pubsubClients)),
            ("clients_in_timeout_table", "0"),
        ]
    }

    /// Heap bytes in use (glibc's own accounting) and the process's resident set.
    static func memoryUsage() -> (used: Int, rss: Int) {
        let used = Int(switchboard_heap_bytes_in_use())
        var rss = 0
        if let f = fopen("/proc/self/statm", "r") {
            var size = 0
            var resident = 0
            _ = withUnsafeMutablePointer(to: &size) { s in
                withUnsafeMutablePointer(to: &resident) { r in
                    withVaList([s, r]) { vfscanf(f, "%ld %ld", $0) }
                }
            }
            fclose(f)
            rss = resident * Int(sysconf(Int32(_SC_PAGESIZE)))
        }
        return (used, rss)
    }

    static func human(_ bytes: Int) -> String {
        let d = Double(bytes)
        if d < 1024 { return "\(bytes)B" }
        let units = ["K", "M", "G", "T", "P"]
        var value = d / 1024
        var i = 0
        while value >= 1024 && i < units.count - 1 {
            value /= 1024
            i += 1
        }
        return String(format2: value) + units[i]
    }

    func memory() -> [(String, String)] {
        let (used, rss) = Self.memoryUsage()
        core.stats.peakMemory = max(core.stats.peakMemory, used)
        let peak = core.stats.peakMemory
        let total = Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
        let maxMemory = core.configuration.maxMemory
        return [
            ("used_memory", String(used)),
            ("used_memory_human", Self.human(used)),
            ("used_memory_rss", String(rss)),
            ("used_memory_rss_human", Self.human(rss)),
            ("used_memory_peak", String(peak)),
            ("used_memory_peak_human", Self.human(peak)),
            ("total_system_memory", String(total)),
            ("total_system_memory_human", Self.human(total)),
            ("maxmemory", String(maxMemory)),
            ("maxmemory_human", Self.human(maxMemory)),
            ("maxmemory_policy", core.configuration.maxMemoryPolicy),
            ("mem_fragmentation_ratio", used > 0 ? String(format2: Double(rss) / Double(used)) : "0.00"),
            ("mem_allocator", "libc"),
        ]
    }

    func persistence() -> [(String, String)] {
        [
            ("loading", "0"), ("async_loading", "0"), ("rdb_changes_since_last_save", "0"),
            ("rdb_bgsave_in_progress", "0"), ("rdb_last_save_time", String(Int(core.startTime))),
            ("aof_enabled", core.configuration.appendOnly ? "1" : "0"), ("aof_rewrite_in_progress", "0"),
        ]
    }

    func stats() -> [(String, String)] {
        let s = core.stats
        let pubsubChannels = core.pubsub.channelNames(shard: false).count
        return [
            ("total_connections_received", String(s.totalConnectionsReceived)),
            ("total_commands_processed", String(s.totalCommandsProcessed)),
            ("instantaneous_ops_per_sec", String(Int(s.opsSamples.average))),
            ("total_net_input_bytes", String(s.totalNetInputBytes)),
            ("total_net_output_bytes", String(s.totalNetOutputBytes)),
            ("instantaneous_input_kbps", String(format2: s.inputSamples.average / 1024)),
            ("instantaneous_output_kbps", String(format2: s.outputSamples.average / 1024)),
            ("rejected_connections", String(s.rejectedConnections)),
            ("expired_keys", String(s.expiredKeys)),
            ("evicted_keys", "0"),
            ("keyspace_hits", String(s.keyspaceHits)),
            ("keyspace_misses", String(s.keyspaceMisses)),
            ("pubsub_channels", String(pubsubChannels)),
            ("pubsub_patterns", String(core.pubsub.patternCount)),
            ("pubsubshard_channels", String(core.pubsub.channelNames(shard: true).count)),
            ("total_error_replies", String(s.totalErrorReplies)),
            ("total_reads_processed", String(s.totalReadsProcessed)),
            ("total_writes_processed", String(s.totalWritesProcessed)),
            ("client_query_buffer_limit_disconnections", String(s.queryBufferLimitDisconnections)),
            ("client_output_buffer_limit_disconnections", String(s.outputBufferLimitDisconnections)),
        ]
    }

    func replication() -> [(String, String)] {
        [
            ("role", "master"), ("connected_slaves", "0"), ("master_failover_state", "no-failover"),
            ("master_replid", core.runID), ("master_repl_offset", "0"),
        ]
    }

    func cpu() -> [(String, String)] {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> String { String(format6: Double(t.tv_sec) + Double(t.tv_usec) / 1e6) }
        return [("used_cpu_sys", seconds(usage.ru_stime)), ("used_cpu_user", seconds(usage.ru_utime))]
    }

    func keyspace() -> [(String, String)] {
        core.databases.enumerated().compactMap { index, db in
            db.count > 0 ? ("db\(index)", "keys=\(db.count),expires=\(db.expiringCount),avg_ttl=\(db.averageTTL)") : nil
        }
    }

    func commandStats() -> [(String, String)] {
        // Like Redis, only commands that were called or refused appear.
        core.commands.all.filter {
            core.stats.commands[$0.statsIndex].calls + core.stats.commands[$0.statsIndex].rejectedCalls > 0
        }
        .sorted { $0.fullName < $1.fullName }.map { spec in
            let name = spec.fullName
            let s = core.stats.commands[spec.statsIndex]
            let microseconds = core.commandTimer.microseconds(s.ticks)
            let perCall = s.calls > 0 ? Double(microseconds) / Double(s.calls) : 0
            return (
                "cmdstat_\(name)",
                "calls=\(s.calls),usec=\(microseconds),usec_per_call=\(String(format2: perCall)),rejected_calls=\(s.rejectedCalls),failed_calls=\(s.failedCalls)"
            )
        }
    }
}

extension String {
    /// `%.2f` without Foundation.
    init(format2 value: Double) {
        self = Self.fixed(value, 2)
    }

    /// `%.6f` without Foundation.
    init(format6 value: Double) {
        self = Self.fixed(value, 6)
    }

    static func fixed(_ value: Double, _ digits: Int32) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            let n = withVaList([digits, value]) { vsnprintf(buffer.baseAddress!, 64, "%.*f", $0) }
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress!, count: Int(n)), as: UTF8.self)
        }
    }
}
