/// The counters `INFO stats`, `INFO commandstats` and `INFO errorstats` report.
struct BrokerStats {
    struct CommandStats {
        var calls = 0
        /// Time spent running it, in `CommandTimer` ticks.
        var ticks = 0
        var rejectedCalls = 0
        var failedCalls = 0
    }

    var totalConnectionsReceived = 0
    var totalCommandsProcessed = 0
    var rejectedConnections = 0
    var totalNetInputBytes = 0
    var totalNetOutputBytes = 0
    var totalErrorReplies = 0
    var totalReadsProcessed = 0
    var totalWritesProcessed = 0
    var outputBufferLimitDisconnections = 0
    var queryBufferLimitDisconnections = 0
    /// Keys removed because their expiry passed, lazily or actively (`expired_keys`).
    var expiredKeys = 0
    /// The most heap seen in use (`used_memory_peak`), sampled by the cron and by `INFO`.
    var peakMemory = 0
    /// Key lookups by reading commands that found / did not find the key (`keyspace_hits`/`_misses`).
    var keyspaceHits = 0
    var keyspaceMisses = 0
    /// Per command, indexed by `CommandSpec.statsIndex`.
    var commands: [CommandStats]
    var errors: [String: Int] = [:]

    /// Samples for the `instantaneous_*` fields, taken by the cron.
    var opsSamples = InstantaneousMetric()
    var inputSamples = InstantaneousMetric()
    var outputSamples = InstantaneousMetric()

    init(commandCount: Int) {
        commands = Array(repeating: CommandStats(), count: commandCount)
    }
}

/// A rolling average over the last 16 samples, as Redis keeps for `instantaneous_ops_per_sec`.
struct InstantaneousMetric {
    private var samples = [Double](repeating: 0, count: 16)
    private var index = 0
    private var lastTime: Double = 0
    private var lastValue = 0

    mutating func record(value: Int, now: Double) {
        if lastTime > 0, now > lastTime {
            samples[index] = Double(value - lastValue) / (now - lastTime)
            index = (index + 1) % samples.count
        }
        lastTime = now
        lastValue = value
    }

    var average: Double { samples.reduce(0, +) / Double(samples.count) }
}
