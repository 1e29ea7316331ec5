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

    mutating func add(_ other: ReceiveCounters) {
        delivered += other.delivered
        deliveredOutsideWindow += other.deliveredOutsideWindow
        unmarked += other.unmarked
        otherMessages += other.otherMessages
        serverPings += other.serverPings
        serverCloseErrors += other.serverCloseErrors
        malformed += other.malformed
        disconnects += other.disconnects
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

/// A copy of one loop's state, taken on the loop and handed out.
struct LoopSnapshot: Sendable {
    var counters: ReceiveCounters
    var latency: Histogram<UInt64>
    var openConnections: Int
    var sender: SenderSnapshot?
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
    /// Connections past their handshake, by index: the ping timer and the final close visit them.
    var connections: [Int: HubConnectionHandler] = [:]
    var sender: InvocationSender?
    private var pingTask: Scheduled<Void>?

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

    func snapshot() -> LoopSnapshot {
        LoopSnapshot(
            counters: counters, latency: latency, openConnections: connections.count, sender: sender?.snapshot())
    }

    /// Stops the pings and the sender and starts a clean close of every connection.
    func closeAll() {
        pingTask?.cancel()
        pingTask = nil
        sender?.stop()
        for connection in connections.values { connection.beginClose() }
    }
}
