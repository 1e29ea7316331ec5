import Histogram
import HubBenchCore
import NIOCore

/// How the sender paces its invocations.
enum SendMode: Sendable {
    /// Keep `window` blocking invocations outstanding: send the next one when a Completion arrives.
    case closedLoop(window: Int)
    /// Send `rate` invocations per second on a schedule, whatever the completions do; at most
    /// `maxOutstanding` may wait for their Completion (a due send past that is skipped and counted).
    case openLoop(rate: Double, maxOutstanding: Int)
}

/// What the sender did, copied off its loop.
struct SenderSnapshot: Sendable {
    /// Invocations written, in all.
    var sent: UInt64 = 0
    /// Invocations whose marker time lies in the measurement window.
    var sentInWindow: UInt64 = 0
    /// Deliveries those measured invocations should make: each one's recipients, summed.
    var expectedInWindow: UInt64 = 0
    var completed: UInt64 = 0
    /// Completions that carried an error.
    var failed: UInt64 = 0
    /// Open loop only: due sends skipped because `maxOutstanding` invocations were waiting.
    var skipped: UInt64 = 0
    var outstanding = 0
    /// Invocation round trips (send to Completion) of invocations sent in the window, in µs.
    var completionLatency = makeLatencyHistogram()
    /// Open loop: how late each measured invocation left, after its scheduled time, in µs:
    /// hub-bench's own share of the receive latency (a busy loop sends late).
    var sendLateness = makeLatencyHistogram()
    /// `--trace-file` only, in the final snapshot: each measured message's send.
    var traced: [MessageKey: MessageSend] = [:]
    /// Senders whose connection was lost.
    var connectionsLost = 0
    var senders = 0

    /// Adds `other`'s counts, and its latency histogram when `latency` is set (that is the costly part).
    mutating func add(_ other: SenderSnapshot, latency: Bool = true) {
        sent += other.sent
        sentInWindow += other.sentInWindow
        expectedInWindow += other.expectedInWindow
        completed += other.completed
        failed += other.failed
        skipped += other.skipped
        outstanding += other.outstanding
        if latency {
            completionLatency.add(other.completionLatency)
            sendLateness.add(other.sendLateness)
            traced.merge(other.traced) { first, _ in first }
        }
        connectionsLost += other.connectionsLost
        senders += other.senders
    }
}

/// Where one sender's invocations go: the arguments before the timed text, and how many
/// connections each such message should reach.
struct SendTarget: Sendable {
    var leading: [String]
    var recipients: UInt64
}

/// Where a sender's messages go: a hub connection (invocations), or an HTTP publisher (POSTs
/// to nchan). Used on its event loop only.
protocol BenchMessageSink: AnyObject {
    /// The connection's index: the sender number in the marker.
    var index: Int { get }
    var loop: any EventLoop { get }
    var state: LoopState { get }
    /// The sender writing through this sink (for its completions).
    var sender: InvocationSender? { get set }
    /// Writes one message (unflushed).
    func send(invocationID: UInt64, target: String, leading: [String], text: String)
    func flush()
}

/// Invokes the hub method on one sending connection with `hb:<send time>:<sender>:<sequence>` in
/// its last argument, cycling through `targets`. Runs on that connection's event loop only.
final class InvocationSender {
    let connection: any BenchMessageSink
    let target: String
    let targets: [SendTarget]
    let messageSize: Int
    let mode: SendMode
    let window: MeasurementWindow
    /// Open loop: the first send is this many nanoseconds after the start, so that many senders
    /// do not all send at the same instants.
    let startOffset: UInt64
    private var nextID: UInt64 = 1
    private var nextTarget = 0
    /// Send time of each outstanding invocation, by id.
    private var sendTimes: [UInt64: UInt64] = [:]
    private var stats = SenderSnapshot()
    private var stopped = false
    private var ticker: Scheduled<Void>?
    /// `--trace-file`: each measured send, by invocation id (its sequence number).
    var tracing = false
    private var traced: [UInt64: MessageSend] = [:]
    private var openLoopStart: UInt64 = 0
    private var scheduled: UInt64 = 0

    init(
        connection: any BenchMessageSink, target: String, targets: [SendTarget], messageSize: Int, mode: SendMode,
        window: MeasurementWindow, startOffset: UInt64 = 0
    ) {
        precondition(!targets.isEmpty)
        self.connection = connection
        self.target = target
        self.targets = targets
        self.messageSize = messageSize
        self.mode = mode
        self.window = window
        self.startOffset = startOffset
        stats.senders = 1
    }

    func start() {
        let now = NIODeadline.now().uptimeNanoseconds
        switch mode {
        case .closedLoop(let window):
            for _ in 0..<window {
                guard send(sentAt: now, now: now) else { break }
            }
            connection.flush()
        case .openLoop:
            openLoopStart = now + startOffset
            tick()
        }
    }

    /// Stops sending; outstanding invocations may still complete.
    func stop() {
        stopped = true
        ticker?.cancel()
        ticker = nil
    }

    func connectionLost() {
        stats.connectionsLost = 1
        stop()
    }

    func flush() {
        connection.flush()
    }

    func snapshot(traces: Bool = false) -> SenderSnapshot {
        var snapshot = stats
        snapshot.outstanding = sendTimes.count
        if traces {
            for (id, send) in traced { snapshot.traced[MessageKey(sender: connection.index, sequence: id)] = send }
        }
        return snapshot
    }

    /// Writes one invocation (unflushed); false once the window has ended or the sender stopped.
    @discardableResult
    private func send(sentAt: UInt64, now: UInt64) -> Bool {
        guard !stopped, sentAt < window.end else {
            stop()
            return false
        }
        let id = nextID
        nextID += 1
        let destination = targets[nextTarget]
        nextTarget = nextTarget + 1 == targets.count ? 0 : nextTarget + 1
        connection.send(
            invocationID: id, target: target, leading: destination.leading,
            text: HubMessageWriter.messageText(
                sentAt: sentAt, sender: connection.index, sequence: id, minimumLength: messageSize))
        sendTimes[id] = sentAt
        stats.sent += 1
        if window.contains(sentAt) {
            let late = now > sentAt ? now - sentAt : 0
            if case .openLoop = mode { stats.sendLateness.recordNanoseconds(late) }
            if tracing { traced[id] = MessageSend(dueAfterStart: sentAt - window.start, lateness: late / 1000) }
            stats.sentInWindow += 1
            stats.expectedInWindow += destination.recipients
        }
        return true
    }

    /// Called by the connection for each Completion; the connection flushes after the frame.
    func completed(invocationID: UInt64, failed: Bool, now: UInt64) {
        guard let sentAt = sendTimes.removeValue(forKey: invocationID) else { return }
        stats.completed += 1
        if failed { stats.failed += 1 }
        if window.contains(sentAt), now > sentAt {
            stats.completionLatency.recordNanoseconds(now - sentAt)
            if tracing { traced[invocationID]?.roundTrip = (now - sentAt) / 1000 }
        }
        if case .closedLoop = mode, !stopped {
            send(sentAt: now, now: now)
        }
    }

    /// Open loop: sends every invocation that is due by now, each stamped with its scheduled time
    /// (not the time it actually left), so a stalled sender or server shows up as latency instead
    /// of being hidden (coordinated omission).
    private func tick() {
        guard case .openLoop(let rate, let maxOutstanding) = mode, !stopped else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        let due = now < openLoopStart ? 0 : UInt64(Double(now - openLoopStart) * rate / 1e9) + 1
        while scheduled < due, !stopped {
            let sentAt = openLoopStart + UInt64(Double(scheduled) * 1e9 / rate)
            scheduled += 1
            if sendTimes.count >= maxOutstanding {
                if sentAt >= window.end { stop() } else { stats.skipped += 1 }
                continue
            }
            send(sentAt: sentAt, now: now)
        }
        connection.flush()
        guard !stopped else { return }
        let next = openLoopStart + UInt64(Double(scheduled) * 1e9 / rate)
        let delay = next > now ? Int64(next - now) : 0
        ticker = connection.loop.assumeIsolated().scheduleTask(in: .nanoseconds(max(delay, 1_000_000))) {
            self.tick()
        }
    }
}
