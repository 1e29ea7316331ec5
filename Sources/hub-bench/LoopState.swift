import Histogram
import NIOCore

/// The send times whose messages are measured: [start, end) in monotonic nanoseconds.
struct MeasurementWindow: Sendable {
    var start: UInt64
    var end: UInt64

    func contains(_ time: UInt64) -> Bool { time >= start && time < end }
}

/// What the connections of one event loop counted.
struct ReceiveCounters: Sendable {
    /// ReceiveMessage invocations whose marker was sent inside the measurement window.
    var delivered: UInt64 = 0
    /// ReceiveMessage invocations with a marker sent before the window (warm-up) or after it.
    var deliveredOutsideWindow: UInt64 = 0
    /// ReceiveMessage invocations without an `hb:` marker (someone else's messages).
    var unmarked: UInt64 = 0
    /// Other messages (other targets, stream items …); server Pings are counted apart.
    var otherMessages: UInt64 = 0
    var serverPings: UInt64 = 0
    /// Close messages from the server that carried an error.
    var serverCloseErrors: UInt64 = 0
    /// Messages whose type could not be found, or byte streams that could not be split.
    var malformed: UInt64 = 0
    /// Connections lost after their handshake while the bench had not asked them to close.
    var disconnects: UInt64 = 0
    /// Marked messages that arrived at a connection with a sequence number not above the last one
    /// it had from the same sender: a duplicate, or out of order.
    var duplicates: UInt64 = 0

    /// Marked messages received so far, measured or not.
    var received: UInt64 { delivered + deliveredOutsideWindow }

    mutating func add(_ other: ReceiveCounters) {
        delivered += other.delivered
        deliveredOutsideWindow += other.deliveredOutsideWindow
        unmarked += other.unmarked
        otherMessages += other.otherMessages
        serverPings += other.serverPings
        serverCloseErrors += other.serverCloseErrors
        malformed += other.malformed
        disconnects += other.disconnects
        duplicates += other.duplicates
    }
}

/// Microseconds from 1 µs to 60 s with 3 significant digits.
func makeLatencyHistogram() -> Histogram<UInt64> {
    Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
}

extension Histogram<UInt64> {
    /// Records a latency in nanoseconds as microseconds, clamped to the trackable range.
    mutating func recordNanoseconds(_ nanoseconds: UInt64) {
        _ = record(Swift.min(Swift.max(nanoseconds / 1000, 1), 60_000_000))
    }
}

/// A copy of one loop's state, taken on the loop and handed out. The histograms are copied only
/// for the final report (`full`).
struct LoopSnapshot: Sendable {
    var counters: ReceiveCounters
    var latency: Histogram<UInt64>?
    var loopLag: Histogram<UInt64>?
    /// `--trace-file` only, in the final snapshot: each measured message's timed receipts.
    var receipts: [MessageKey: MessageReceipts] = [:]
    var openConnections: Int
    var sender: SenderSnapshot
}

/// What the connections of one event loop share. Confined to that loop (reached through
/// `NIOLoopBound`), so the receive path counts without locks or atomics; the main task reads it
/// with `snapshot()` submitted to the loop.
final class LoopState {
    let loop: any EventLoop
    /// Unset until the sender starts; messages received before that count as outside the window.
    var window: MeasurementWindow?
    var counters = ReceiveCounters()
    var latency = makeLatencyHistogram()
    /// `--trace-file`: the timed connections also note each measured message's receipts.
    var tracing = false
    var receipts: [MessageKey: MessageReceipts] = [:]
    /// Connections past their handshake, by index: the ping timer and the final close visit them.
    var connections: [Int: HubConnectionHandler] = [:]
    var senders: [InvocationSender] = []
    /// How late this loop ran a task due every `lagInterval`, in µs, while the window was open:
    /// how long a socket with data ready could wait before the loop read it.
    var loopLag = makeLatencyHistogram()
    /// `--receive raw`: reads this loop's connections while the bench measures.
    var rawReceiver: RawReceiver?
    private var pingTask: Scheduled<Void>?
    private var lagTask: Scheduled<Void>?
    private static let lagInterval = TimeAmount.milliseconds(10)

    init(loop: any EventLoop) {
        self.loop = loop
    }

    /// One timer for all of this loop's connections (not one per connection), so the server's
    /// client timeout does not fire on long runs.
    func startPings(every interval: TimeAmount) {
        pingTask = loop.assumeIsolated().scheduleTask(in: interval) {
            for connection in self.connections.values { connection.sendPing() }
            self.startPings(every: interval)
        }
    }

    /// Samples the loop's lag every 10 ms: the delay between when a task was due and when it ran.
    func startLagProbe() {
        let due = NIODeadline.now() + Self.lagInterval
        lagTask = loop.assumeIsolated().scheduleTask(deadline: due) {
            let now = NIODeadline.now()
            if let window = self.window, window.contains(now.uptimeNanoseconds) {
                self.loopLag.recordNanoseconds(UInt64(max((now - due).nanoseconds, 0)))
            }
            self.startLagProbe()
        }
    }

    func snapshot(full: Bool) -> LoopSnapshot {
        var senderStats = SenderSnapshot()
        for sender in senders { senderStats.add(sender.snapshot(traces: full && tracing), latency: full) }
        return LoopSnapshot(
            counters: counters, latency: full ? latency : nil, loopLag: full ? loopLag : nil,
            receipts: full ? receipts : [:], openConnections: connections.count, sender: senderStats)
    }

    /// `--receive raw`: hands this loop's open connections to a ``RawReceiver``; how many it took.
    func startRawReceive() -> Int {
        guard rawReceiver == nil, let receiver = RawReceiver(state: self) else { return 0 }
        rawReceiver = receiver
        return receiver.start()
    }

    /// Stops the pings, the lag probe, the raw receiver and the senders and starts a clean close of
    /// every connection.
    func closeAll() {
        rawReceiver?.stop()
        rawReceiver = nil
        pingTask?.cancel()
        pingTask = nil
        lagTask?.cancel()
        lagTask = nil
        for sender in senders { sender.stop() }
        for connection in connections.values { connection.beginClose() }
    }
}
