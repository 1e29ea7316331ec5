import Foundation
import Histogram

/// The outcome of one run, and its printed forms: a summary, a `RESULT key=value …` line and JSON.
struct BenchReport {
    var scenario: String
    var nodes: [String]
    var protocolName: String
    var mode: SendMode
    var groupSize: Int
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
    /// How late hub-bench's event loops ran a task due every 10 ms, in µs, during the window.
    var loopLag: Histogram<UInt64>
    /// Receiving event-loop threads, and whether the senders had one more of their own.
    var threads: Int
    var senderLoop: Bool
    /// How the receiving loops read, and how many connections the raw receivers read.
    var receive: ReceivePath
    var rawConnections: Int
    var cpusAllowed: Int
    /// hub-bench's own CPU (user + system) during the measurement window.
    var benchCPUSeconds: Double
    var watchedPIDs: [Int32]
    var beforeConnect: ProcessSample
    var afterConnect: ProcessSample
    var windowStart: ProcessSample
    var windowEnd: ProcessSample
    /// Marked messages received while the window was open, whenever they were sent: what the
    /// server delivered in that time, even when it accepts sends faster than it delivers them.
    var receivedInWindow: UInt64 = 0

    /// Each measured message should reach each of its recipients once.
    var expected: UInt64 { sender.expectedInWindow }
    var lost: UInt64 { expected > counters.delivered ? expected - counters.delivered : 0 }
    /// Measured deliveries beyond what was expected (duplicates).
    var extra: UInt64 { counters.delivered > expected ? counters.delivered - expected : 0 }
    var exactlyOnce: Bool { lost == 0 && extra == 0 && counters.duplicates == 0 }
    var deliveredPerSecond: Double { Double(counters.delivered) / duration }
    var sentPerSecond: Double { Double(sender.sentInWindow) / duration }
    var receivedPerSecond: Double { Double(receivedInWindow) / duration }
    var connectionsPerSecond: Double { connectSeconds > 0 ? Double(connected) / connectSeconds : 0 }
    /// hub-bench's CPU during the window as a percentage of one core.
    var benchCPUPercent: Double { benchCPUSeconds * 100 / duration }

    /// Growth of the watched processes' resident memory from before connecting to after, per connection.
    var residentBytesPerConnection: Double? {
        guard connected > 0, let before = beforeConnect.totalResident, let after = afterConnect.totalResident else {
            return nil
        }
        return (Double(after) - Double(before)) / Double(connected)
    }

    /// CPU the watched processes used during the window.
    var watchedCPUSeconds: Double? {
        guard let start = windowStart.totalCPU, let end = windowEnd.totalCPU else { return nil }
        return end - start
    }

    /// The watched processes' write system calls in the window per measured delivery.
    var watchedWritesPerDelivery: Double? {
        guard counters.delivered > 0, let start = windowStart.totalWrites, let end = windowEnd.totalWrites else {
            return nil
        }
        return Double(end - start) / Double(counters.delivered)
    }

    /// hub-bench's read system calls in the window per measured delivery.
    var benchReadsPerDelivery: Double? {
        guard counters.delivered > 0, let start = windowStart.ownSyscalls, let end = windowEnd.ownSyscalls else {
            return nil
        }
        return Double(end.reads - start.reads) / Double(counters.delivered)
    }

    /// Set-up failures, disconnects, unreadable messages, server Close errors, failed Completions
    /// and lost sender connections.
    var errors: UInt64 {
        UInt64(connectErrors.total) + counters.disconnects + counters.malformed + counters.serverCloseErrors
            + sender.failed + UInt64(sender.connectionsLost)
    }

    private func percentile(_ histogram: Histogram<UInt64>, _ p: Double) -> UInt64 {
        histogram.totalCount == 0 ? 0 : histogram.valueAtPercentile(p)
    }

    private func maximum(_ histogram: Histogram<UInt64>) -> UInt64 {
        histogram.totalCount == 0 ? 0 : histogram.max
    }

    private var modeText: String {
        switch mode {
        case .closedLoop(let window): "closed loop, window \(window) per sender"
        case .openLoop(let rate, let maxOutstanding):
            "open loop, \(format(rate, 1)) invocations/s in all, max outstanding \(maxOutstanding) per sender"
        }
    }

    private func megabytes(_ bytes: UInt64?) -> String {
        bytes.map { format(Double($0) / 1_048_576, 1) } ?? "?"
    }

    var summary: String {
        var lines: [String] = []
        lines.append("hub-bench \(scenario): \(nodes.joined(separator: " "))")
        if scenario == "idle" {
            lines.append("  protocol \(protocolName), connections held \(format(duration, 1)) s")
        } else {
            lines.append(
                "  protocol \(protocolName), \(modeText), \(sender.senders) senders"
                    + (groupSize > 0 ? ", groups of \(groupSize)" : "")
                    + ", warm-up \(format(warmup, 1)) s, measured \(format(duration, 1)) s")
        }
        lines.append(
            "  connections: \(connected)/\(connectionsRequested) ready in \(format(connectSeconds, 2)) s "
                + "(\(format(connectionsPerSecond, 0))/s)"
                + (connectErrors.total > 0 ? "; failed: \(connectErrors.summary)" : "")
                + "; open at end \(openAtEnd)")
        for (kind, example) in connectErrors.examples.sorted(by: { $0.key < $1.key }) {
            lines.append("    \(kind): \(example)")
        }
        if scenario != "idle" {
            lines.append(
                "  sent (measured): \(sender.sentInWindow) invocations, \(format(sentPerSecond, 1))/s; all sent \(sender.sent), "
                    + "completed \(sender.completed), failed \(sender.failed), outstanding at end \(sender.outstanding)"
                    + (sender.skipped > 0 ? ", skipped (max outstanding) \(sender.skipped)" : ""))
            let lossPercent = expected == 0 ? 0 : Double(lost) * 100 / Double(expected)
            lines.append(
                "  delivered: \(counters.delivered) of \(expected) expected, lost \(lost) "
                    + "(\(format(lossPercent, 3)) %), duplicates \(counters.duplicates), "
                    + "\(format(deliveredPerSecond, 1)) messages/s; drain \(format(drainSeconds, 2)) s; "
                    + "received while measuring \(format(receivedPerSecond, 1))/s"
                    + (exactlyOnce ? "; every message reached every receiver exactly once" : ""))
            lines.append(
                "  receive latency µs (\(latency.totalCount) samples): p50 \(percentile(latency, 50)) "
                    + "p90 \(percentile(latency, 90)) p99 \(percentile(latency, 99)) p99.9 \(percentile(latency, 99.9)) "
                    + "max \(maximum(latency))")
            let completion = sender.completionLatency
            lines.append(
                "  invocation round trip µs (\(completion.totalCount) samples): p50 \(percentile(completion, 50)) "
                    + "p99 \(percentile(completion, 99)) max \(maximum(completion))")
            if sender.sendLateness.totalCount > 0 {
                let late = sender.sendLateness
                lines.append(
                    "  open loop: sent after the scheduled time by µs (\(late.totalCount) samples): p50 "
                        + "\(percentile(late, 50)) p99 \(percentile(late, 99)) max \(maximum(late))")
            }
            lines.append(
                "  other: warm-up/late deliveries \(counters.deliveredOutsideWindow), unmarked ReceiveMessage \(counters.unmarked), "
                    + "other messages \(counters.otherMessages), server pings \(counters.serverPings)")
        }
        lines.append(
            "  hub-bench: CPU \(format(benchCPUSeconds, 2)) s in the window (\(format(benchCPUPercent, 0)) % of one core; "
                + "\(threads) receiving threads\(senderLoop ? " and one for the senders" : "") on \(cpusAllowed) CPUs, "
                + (receive == .raw ? "\(rawConnections) connections read raw); " : "reading through SwiftNIO); ")
                + "receiving event-loop lag µs p50 \(percentile(loopLag, 50)) "
                + "p99 \(percentile(loopLag, 99)) max \(maximum(loopLag))"
                + (benchReadsPerDelivery.map { "; \(format($0, 3)) read calls per delivery" } ?? ""))
        if !watchedPIDs.isEmpty {
            var line =
                "  watched processes \(watchedPIDs.map(String.init).joined(separator: ",")): RSS "
                + "\(megabytes(beforeConnect.totalResident)) MB before connecting, \(megabytes(afterConnect.totalResident)) MB after"
            if let perConnection = residentBytesPerConnection {
                line += " (\(format(perConnection / 1024, 2)) KB per connection)"
            }
            if let cpu = watchedCPUSeconds {
                line += "; CPU \(format(cpu, 2)) s in the window"
                if counters.delivered > 0 {
                    line += " (\(format(cpu * 1e6 / Double(counters.delivered), 2)) µs per delivery)"
                }
            }
            if let writes = watchedWritesPerDelivery {
                line += "; \(format(writes, 3)) write calls per delivery"
            }
            lines.append(line)
        }
        lines.append(
            "  errors: \(errors) (set-up \(connectErrors.total), disconnects \(counters.disconnects), "
                + "malformed \(counters.malformed), server close errors \(counters.serverCloseErrors), "
                + "failed completions \(sender.failed), sender connections lost \(sender.connectionsLost))")
        return lines.joined(separator: "\n")
    }

    /// One `key=value` line for scripts; the first keys are the ones issue 6 names.
    var resultLine: String {
        var fields: [(String, String)] = [
            ("scenario", scenario), ("connections", "\(connectionsRequested)"), ("duration", format(duration, 3)),
            ("sent", "\(sender.sentInWindow)"), ("delivered", "\(counters.delivered)"),
            ("delivered_per_s", format(deliveredPerSecond, 1)), ("p50_us", "\(percentile(latency, 50))"),
            ("p99_us", "\(percentile(latency, 99))"), ("errors", "\(errors)"),
            ("expected", "\(expected)"), ("lost", "\(lost)"), ("duplicates", "\(counters.duplicates)"),
            ("connected", "\(connected)"), ("nodes", "\(nodes.count)"), ("protocol", protocolName),
            ("p999_us", "\(percentile(latency, 99.9))"), ("max_us", "\(maximum(latency))"),
            ("latency_samples", "\(latency.totalCount)"),
            ("rtt_p50_us", "\(percentile(sender.completionLatency, 50))"),
            ("rtt_p99_us", "\(percentile(sender.completionLatency, 99))"),
            ("sent_per_s", format(sentPerSecond, 1)), ("failed_completions", "\(sender.failed)"),
            ("skipped", "\(sender.skipped)"), ("disconnects", "\(counters.disconnects)"),
            ("connect_errors", "\(connectErrors.total)"), ("connect_per_s", format(connectionsPerSecond, 1)),
            ("bench_cpu_percent", format(benchCPUPercent, 1)), ("loop_lag_p99_us", "\(percentile(loopLag, 99))"),
        ]
        switch mode {
        case .closedLoop(let window): fields.append(("window", "\(window)"))
        case .openLoop(let rate, _): fields.append(("rate", format(rate, 1)))
        }
        if let perConnection = residentBytesPerConnection {
            fields.append(("rss_bytes_per_connection", format(perConnection, 0)))
        }
        return "RESULT " + fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
    }

    /// The report as one JSON object (keys sorted), for `--json`.
    var json: String {
        func n(_ value: UInt64) -> Int { Int(clamping: value) }
        func jsonBytes(_ value: UInt64?) -> Any {
            if let value { return Int(clamping: value) }
            return NSNull()
        }
        func histogram(_ h: Histogram<UInt64>) -> [String: Any] {
            [
                "p50": n(percentile(h, 50)), "p90": n(percentile(h, 90)), "p99": n(percentile(h, 99)),
                "p999": n(percentile(h, 99.9)), "max": n(maximum(h)), "samples": n(h.totalCount),
            ]
        }
        var object: [String: Any] = [
            "scenario": scenario, "nodes": nodes, "protocol": protocolName,
            "connections": connectionsRequested, "connected": connected, "openAtEnd": openAtEnd,
            "warmupSeconds": warmup, "durationSeconds": duration,
            "connectSeconds": connectSeconds, "connectionsPerSecond": connectionsPerSecond,
            "connectErrors": connectErrors.counts,
            "senders": sender.senders, "groupSize": groupSize,
            "sent": n(sender.sentInWindow), "sentPerSecond": sentPerSecond, "sentAll": n(sender.sent),
            "completed": n(sender.completed), "failedCompletions": n(sender.failed), "skipped": n(sender.skipped),
            "delivered": n(counters.delivered), "deliveredPerSecond": deliveredPerSecond,
            "receivedPerSecond": receivedPerSecond, "expected": n(expected),
            "lost": n(lost), "extra": n(extra), "duplicates": n(counters.duplicates), "exactlyOnce": exactlyOnce,
            "deliveredOutsideWindow": n(counters.deliveredOutsideWindow), "unmarked": n(counters.unmarked),
            "latencyMicroseconds": histogram(latency),
            "roundTripMicroseconds": histogram(sender.completionLatency),
            "sendLatenessMicroseconds": histogram(sender.sendLateness),
            "drainSeconds": drainSeconds, "errors": n(errors), "disconnects": n(counters.disconnects),
            "malformed": n(counters.malformed), "serverCloseErrors": n(counters.serverCloseErrors),
            "bench": [
                "threads": threads, "senderLoop": senderLoop, "cpusAllowed": cpusAllowed, "cpuSeconds": benchCPUSeconds,
                "receive": receive.rawValue, "rawConnections": rawConnections,
                "cpuPercentOfOneCore": benchCPUPercent, "loopLagMicroseconds": histogram(loopLag),
                "readCallsPerDelivery": benchReadsPerDelivery ?? NSNull(),
            ] as [String: Any],
        ]
        switch mode {
        case .closedLoop(let window): object["window"] = window
        case .openLoop(let rate, _): object["rate"] = rate
        }
        if !watchedPIDs.isEmpty {
            var watched: [String: Any] = [
                "pids": watchedPIDs.map(Int.init),
                "residentBytesBefore": beforeConnect.resident.map(jsonBytes),
                "residentBytesAfter": afterConnect.resident.map(jsonBytes),
            ]
            if let perConnection = residentBytesPerConnection { watched["residentBytesPerConnection"] = perConnection }
            if let writes = watchedWritesPerDelivery { watched["writeCallsPerDelivery"] = writes }
            if let cpu = watchedCPUSeconds {
                watched["cpuSecondsInWindow"] = cpu
                if counters.delivered > 0 {
                    watched["cpuMicrosecondsPerDelivery"] = cpu * 1e6 / Double(counters.delivered)
                }
            }
            object["watched"] = watched
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
