import Histogram

/// The outcome of one run, and its two printed forms.
struct BenchReport {
    var scenario: String
    var nodes: [String]
    var protocolName: String
    var mode: SendMode
    var connectionsRequested: Int
    var connected: Int
    var connectErrors: ErrorTally
    var openAtEnd: Int
    var warmup: Double
    var duration: Double
    var connectSeconds: Double
    var drainSeconds: Double
    var sender: SenderSnapshot
    var counters: ReceiveCounters
    /// Receive latency in µs of measured messages on the timing connections.
    var latency: Histogram<UInt64>

    /// Every measured message should reach every connection that was set up.
    var expected: UInt64 { sender.sentInWindow * UInt64(connected) }
    var lost: UInt64 { expected > counters.delivered ? expected - counters.delivered : 0 }
    var deliveredPerSecond: Double { Double(counters.delivered) / duration }
    var sentPerSecond: Double { Double(sender.sentInWindow) / duration }

    /// Set-up failures, disconnects, unreadable messages, server Close errors and failed Completions.
    var errors: UInt64 {
        UInt64(connectErrors.total) + counters.disconnects + counters.malformed + counters.serverCloseErrors
            + sender.failed + (sender.connectionLost ? 1 : 0)
    }

    private func percentile(_ histogram: Histogram<UInt64>, _ p: Double) -> UInt64 {
        histogram.totalCount == 0 ? 0 : histogram.valueAtPercentile(p)
    }

    private var modeText: String {
        switch mode {
        case .closedLoop(let window): "closed loop, window \(window)"
        case .openLoop(let rate, let maxOutstanding):
            "open loop, \(format(rate, 1)) invocations/s, max outstanding \(maxOutstanding)"
        }
    }

    var summary: String {
        var lines: [String] = []
        lines.append("hub-bench \(scenario): \(nodes.joined(separator: " "))")
        lines.append(
            "  protocol \(protocolName), \(modeText), warm-up \(format(warmup, 1)) s, measured \(format(duration, 1)) s"
        )
        lines.append(
            "  connections: \(connected)/\(connectionsRequested) ready in \(format(connectSeconds, 2)) s"
                + (connectErrors.total > 0 ? "; failed: \(connectErrors.summary)" : "")
                + "; open at end \(openAtEnd)")
        for (kind, example) in connectErrors.examples.sorted(by: { $0.key < $1.key }) {
            lines.append("    \(kind): \(example)")
        }
        lines.append(
            "  sent (measured): \(sender.sentInWindow) invocations, \(format(sentPerSecond, 1))/s; all sent \(sender.sent), "
                + "completed \(sender.completed), failed \(sender.failed), outstanding at end \(sender.outstanding)"
                + (sender.skipped > 0 ? ", skipped (max outstanding) \(sender.skipped)" : ""))
        let lossPercent = expected == 0 ? 0 : Double(lost) * 100 / Double(expected)
        lines.append(
            "  delivered: \(counters.delivered) of \(expected) expected (\(connected) receivers), lost \(lost) "
                + "(\(format(lossPercent, 3)) %), \(format(deliveredPerSecond, 1)) messages/s; drain \(format(drainSeconds, 2)) s"
        )
        lines.append(
            "  receive latency µs (\(latency.totalCount) samples): p50 \(percentile(latency, 50)) "
                + "p90 \(percentile(latency, 90)) p99 \(percentile(latency, 99)) p99.9 \(percentile(latency, 99.9)) "
                + "max \(latency.totalCount == 0 ? 0 : latency.max)")
        let completion = sender.completionLatency
        lines.append(
            "  invocation round trip µs (\(completion.totalCount) samples): p50 \(percentile(completion, 50)) "
                + "p99 \(percentile(completion, 99)) max \(completion.totalCount == 0 ? 0 : completion.max)")
        lines.append(
            "  other: warm-up/late deliveries \(counters.deliveredOutsideWindow), unmarked ReceiveMessage \(counters.unmarked), "
                + "other messages \(counters.otherMessages), server pings \(counters.serverPings)")
        lines.append(
            "  errors: \(errors) (set-up \(connectErrors.total), disconnects \(counters.disconnects), "
                + "malformed \(counters.malformed), server close errors \(counters.serverCloseErrors), "
                + "failed completions \(sender.failed)\(sender.connectionLost ? ", sender connection lost" : ""))")
        return lines.joined(separator: "\n")
    }

    /// One `key=value` line for scripts; the first keys are the ones issue 6 names.
    var resultLine: String {
        var fields: [(String, String)] = [
            ("scenario", scenario), ("connections", "\(connectionsRequested)"), ("duration", format(duration, 3)),
            ("sent", "\(sender.sentInWindow)"), ("delivered", "\(counters.delivered)"),
            ("delivered_per_s", format(deliveredPerSecond, 1)), ("p50_us", "\(percentile(latency, 50))"),
            ("p99_us", "\(percentile(latency, 99))"), ("errors", "\(errors)"),
            ("expected", "\(expected)"), ("lost", "\(lost)"), ("connected", "\(connected)"),
            ("nodes", "\(nodes.count)"), ("protocol", protocolName),
            ("p999_us", "\(percentile(latency, 99.9))"), ("max_us", "\(latency.totalCount == 0 ? 0 : latency.max)"),
            ("latency_samples", "\(latency.totalCount)"),
            ("rtt_p50_us", "\(percentile(sender.completionLatency, 50))"),
            ("rtt_p99_us", "\(percentile(sender.completionLatency, 99))"),
            ("sent_per_s", format(sentPerSecond, 1)), ("failed_completions", "\(sender.failed)"),
            ("skipped", "\(sender.skipped)"), ("disconnects", "\(counters.disconnects)"),
            ("connect_errors", "\(connectErrors.total)"),
        ]
        switch mode {
        case .closedLoop(let window): fields.append(("window", "\(window)"))
        case .openLoop(let rate, _): fields.append(("rate", format(rate, 1)))
        }
        return "RESULT " + fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
    }
}
