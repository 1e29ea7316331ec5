/// Everything the broker can be told at start or through `CONFIG SET`, with Redis 7's defaults.
///
/// Built from the same command line and configuration file that `redis-server` reads
/// (``BrokerConfiguration/parse(arguments:)``); ``ConfigParameter`` maps each option to its
/// Redis name for `CONFIG GET`/`CONFIG SET`.
public struct BrokerConfiguration: Sendable, Equatable {
    /// Addresses to listen on; a leading `-` makes one optional, as in Redis (`* -::*`).
    public var bind: [String] = ["*", "-::*"]
    /// TCP port; 0 picks a free port (reported once bound).
    public var port: Int = 6379
    /// The `default` user's password; `nil` means no password (`nopass`).
    public var requirePass: String? = nil
    /// Refuse non-loopback clients while no password is set.
    public var protectedMode: Bool = true
    /// Most simultaneous clients.
    public var maxClients: Int = 10000
    /// Seconds of idleness after which a normal client is closed (0 = never).
    public var timeout: Int = 0
    /// Number of logical databases.
    public var databases: Int = 16
    /// Output buffer limits per client class.
    public var outputBufferLimits = OutputBufferLimits()
    /// Largest bulk string a client may send.
    public var protoMaxBulkLength: Int = 512 * 1024 * 1024
    /// Most unprocessed bytes one client may queue.
    public var clientQueryBufferLimit: Int = 1024 * 1024 * 1024
    /// Keyspace event classes, in Redis's flag letters.
    public var notifyKeyspaceEvents: String = "" {
        // Parsed here, once per change, so publishing an event costs one mask test.
        didSet { keyspaceEventMask = KeyspaceEventFlags.mask(notifyKeyspaceEvents) }
    }
    /// `notifyKeyspaceEvents` as a ``KeyspaceEventFlags`` bit set, kept in step with it.
    public private(set) var keyspaceEventMask: Int = 0
    /// Log verbosity: debug, verbose, notice, warning, nothing.
    public var logLevel: String = "notice"
    /// Log file; empty means standard output.
    public var logFile: String = ""
    /// Working directory for persistence files.
    public var dir: String = "."
    /// Snapshot file name.
    public var dbFilename: String = "dump.rdb"
    /// Snapshot rules (`save`), as Redis prints them.
    public var save: String = "3600 1 300 100 60 10000"
    /// Append-only file on or off.
    public var appendOnly: Bool = false
    /// Background task frequency.
    public var hz: Int = 10
    /// TCP keep-alive seconds.
    public var tcpKeepAlive: Int = 300
    /// Listen backlog.
    public var tcpBacklog: Int = 511
    /// Memory limit in bytes (0 = none).
    public var maxMemory: Int = 0
    /// Eviction policy name.
    public var maxMemoryPolicy: String = "noeviction"
    /// How slowly LFU access counters grow (`lfu-log-factor`).
    public var lfuLogFactor: Int = 10
    /// Minutes per decrement of an idle key's LFU counter (`lfu-decay-time`).
    public var lfuDecayTime: Int = 1
    /// I/O threads (accepted for compatibility; the broker runs Redis's single-loop model).
    public var ioThreads: Int = 1
    /// Whether the event loop, once at least half busy (until under a quarter), polls its sockets
    /// instead of sleeping between bursts (`busy-poll`; the broker's own option, see
    /// `BusyPollPolicy`).
    public var busyPoll: Bool = true
    /// Whether to run in the background (accepted, must be `no`).
    public var daemonize: Bool = false
    /// PID file path (written when set).
    public var pidFile: String = ""
    /// Milliseconds above which a command is logged as slow.
    public var slowlogLogSlowerThan: Int = 10000
    /// Entries the slow log keeps.
    public var slowlogMaxLength: Int = 128
    /// Who may run `DEBUG`: `no` (Redis's default), `yes`, or `local` (loopback and Unix-socket clients).
    public var enableDebugCommand: String = "no"
    /// Name reported by `INFO`.
    public var configFile: String = ""

    /// Makes the default configuration.
    public init() {}

    /// Per-class output buffer limits (`client-output-buffer-limit`).
    public struct OutputBufferLimits: Sendable, Equatable {
        /// Normal clients: no limit by default.
        public var normal = OutputBufferLimit(hard: 0, soft: 0, softSeconds: 0)
        /// Replicas (named `slave` in the option's text).
        public var replica = OutputBufferLimit(hard: 256 << 20, soft: 64 << 20, softSeconds: 60)
        /// Pub/sub subscribers.
        public var pubsub = OutputBufferLimit(hard: 32 << 20, soft: 8 << 20, softSeconds: 60)

        /// Makes Redis's defaults.
        public init() {}
    }
}

/// One class's output buffer limit: past `hard` bytes at once, or past `soft` for `softSeconds`, the
/// client is disconnected. Zero disables a bound.
public struct OutputBufferLimit: Sendable, Equatable {
    /// Bytes that disconnect at once.
    public var hard: Int
    /// Bytes that disconnect when held for `softSeconds`.
    public var soft: Int
    /// Seconds the soft limit may be exceeded.
    public var softSeconds: Int

    /// Makes a limit.
    public init(hard: Int, soft: Int, softSeconds: Int) {
        self.hard = hard
        self.soft = soft
        self.softSeconds = softSeconds
    }
}
