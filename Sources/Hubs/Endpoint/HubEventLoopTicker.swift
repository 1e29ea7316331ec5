import NIOCore

/// One timer per event loop and endpoint that drives keep-alive Pings, client timeouts and
/// handshake timeouts for every connection on that loop (no timer or task per connection).
///
/// Time is counted in ticks of ``period``; a session records the tick of its last read and
/// write, which costs nothing per message.
final class HubEventLoopTicker: @unchecked Sendable {
    // @unchecked: every stored property but the immutable ones is touched on `eventLoop` only.
    let eventLoop: any EventLoop
    let period: TimeAmount
    private(set) var tick: UInt64 = 0
    private var sessions: [ObjectIdentifier: HubConnectionSession] = [:]
    private var task: RepeatedTask?

    init(eventLoop: any EventLoop, period: TimeAmount) {
        self.eventLoop = eventLoop
        self.period = period
    }

    /// The number of ticks that covers `interval` (at least 1).
    func ticks(_ interval: TimeAmount) -> UInt64 {
        let period = max(self.period.nanoseconds, 1)
        return UInt64(max(1, (interval.nanoseconds + period - 1) / period))
    }

    func add(_ session: HubConnectionSession) {
        eventLoop.assertInEventLoop()
        sessions[ObjectIdentifier(session)] = session
        if task == nil {
            task = eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { [weak self] _ in
                self?.fire()
            }
        }
    }

    func remove(_ session: HubConnectionSession) {
        eventLoop.assertInEventLoop()
        sessions.removeValue(forKey: ObjectIdentifier(session))
    }

    var allSessions: [HubConnectionSession] {
        eventLoop.assertInEventLoop()
        return Array(sessions.values)
    }

    func stop() {
        eventLoop.assertInEventLoop()
        task?.cancel()
        task = nil
    }

    private func fire() {
        tick &+= 1
        for session in sessions.values {
            session.onTick(tick)
        }
    }
}
