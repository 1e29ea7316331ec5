import HubProtocol
import Hubs
import Logging
import NIOCore
import Synchronization

/// One hub connection over Server-Sent Events or long polling: the session's transport, fed by
/// `POST` requests and drained by the event stream or by polls.
///
/// Everything mutable is touched on ``eventLoop`` only. What the session writes waits in
/// `pending` until the event stream takes it or a poll collects it; past
/// ``HTTPHubConnection/bufferLimit`` bytes the transport reports itself not writable, so the
/// session's own bound on a slow client applies.
final class HTTPHubConnection: HubTransport, @unchecked Sendable {
    /// What a poll (or a wait of the event stream) ends with.
    enum Delivery: Sendable {
        /// Bytes to send.
        case data(ByteBuffer)
        /// Long polling: nothing arrived within the poll timeout (200, empty).
        case timedOut
        /// Long polling: a newer poll took over (204).
        case superseded
        /// The connection has ended (204, or the end of the event stream).
        case closed
    }

    /// ASP.NET Core's `TransportMaxBufferSize`: past this many unsent bytes the transport is
    /// not writable.
    static let bufferLimit = 65_536

    let eventLoop: any EventLoop
    let kind: HubTransportType
    let token: String
    let connectionId: String
    private let logger: Logger
    private var session: HubConnectionSession?
    private var pending = ByteBuffer()
    private var waiter: (promise: EventLoopPromise<Delivery>, timer: Scheduled<Void>?)?
    /// The session ended the connection; what is pending still goes out.
    private var closing = false
    /// The connection is gone for good (the stream ended, `DELETE`, a poll timeout, shutdown).
    private(set) var ended = false
    private var reportedUnwritable = false
    private var readingPaused = false
    private var readWaiters: [EventLoopPromise<Void>] = []
    /// A `POST` is being fed to the session (a second one at the same time gets 409).
    private var sending = false
    /// When the last poll ended (long polling), for the disconnect timeout.
    private var lastPollEnd: NIODeadline = .now()
    private var idleCheck: RepeatedTask?
    /// Called once when the connection ends, to forget it.
    private let onEnd: @Sendable () -> Void

    init(
        eventLoop: any EventLoop, kind: HubTransportType, token: String, connectionId: String, logger: Logger,
        onEnd: @escaping @Sendable () -> Void
    ) {
        self.eventLoop = eventLoop
        self.kind = kind
        self.token = token
        self.connectionId = connectionId
        self.logger = logger
        self.onEnd = onEnd
    }

    /// Starts the hub session (on the event loop). Long polling also starts the check that ends
    /// a connection whose client stopped polling for `disconnectTimeout`.
    func start(
        endpoint: HubEndpoint, user: HubUser, request: HubConnectionRequest, disconnectTimeout: TimeAmount,
        earlyInput: ByteBuffer?
    ) {
        eventLoop.assertInEventLoop()
        session = endpoint.makeSession(transport: self, connectionId: connectionId, user: user, request: request)
        if var earlyInput { session?.receive(&earlyInput) }
        if kind == .longPolling {
            let period = TimeAmount.nanoseconds(max(disconnectTimeout.nanoseconds / 4, 1_000_000))
            idleCheck = eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { [weak self] _ in
                guard let self, self.waiter == nil, NIODeadline.now() - self.lastPollEnd >= disconnectTimeout else {
                    return
                }
                self.logger.debug("Long-polling client stopped polling; ending the connection")
                self.end()
            }
        }
    }

    // MARK: HubTransport

    var transferFormats: HubTransferFormat { kind == .serverSentEvents ? [.text] : [.text, .binary] }
    /// Long polling has inherent keep-alive: the server sends no Pings on it (ASP.NET Core).
    var sendsKeepAlive: Bool { kind != .longPolling }
    var wireEncoding: HubWireEncoding { kind == .serverSentEvents ? ServerSentEventsWire.encoding : .identity }
    var isWritable: Bool { pending.readableBytes < Self.bufferLimit }

    func write(_ bytes: ByteBuffer) {
        guard !closing, !ended else { return }
        var bytes = bytes
        pending.writeBuffer(&bytes)
        if !isWritable { reportedUnwritable = true }
    }

    func flush() {
        deliverPending()
    }

    func setReading(_ enabled: Bool) {
        readingPaused = !enabled
        if enabled {
            let waiters = readWaiters
            readWaiters = []
            for waiter in waiters { waiter.succeed() }
        }
    }

    func close(normal: Bool) {
        guard !closing, !ended else { return }
        closing = true
        // What is pending (the Close message) still goes to a waiting poll or the stream; then
        // the next request learns the connection is over.
        if waiter != nil { deliverPending() }
    }

    // MARK: Requests

    /// Waits for bytes to send: at once if some are pending, else until the session writes, the
    /// connection ends, or (long polling) `timeout` passes or a newer poll takes over.
    func next(timeout: TimeAmount?) -> EventLoopFuture<Delivery> {
        eventLoop.assertInEventLoop()
        if pending.readableBytes > 0 { return eventLoop.makeSucceededFuture(take()) }
        if closing || ended {
            end()
            return eventLoop.makeSucceededFuture(.closed)
        }
        if let previous = waiter {
            previous.timer?.cancel()
            previous.promise.succeed(.superseded)
        }
        let promise = eventLoop.makePromise(of: Delivery.self)
        let timer = timeout.map { timeout in
            eventLoop.scheduleTask(in: timeout) { [weak self] in
                guard let self, let waiter = self.waiter, waiter.promise.futureResult === promise.futureResult else {
                    return
                }
                self.waiter = nil
                self.lastPollEnd = .now()
                promise.succeed(.timedOut)
            }
        }
        waiter = (promise, timer)
        return promise.futureResult
    }

    /// The client of a poll waiting on `wait` went away: the poll ends (so what the session
    /// writes next stays for the next poll instead of going to a closed socket), and the
    /// disconnect timeout starts.
    func abandon(_ wait: EventLoopFuture<Delivery>) {
        eventLoop.assertInEventLoop()
        guard let waiter, waiter.promise.futureResult === wait else { return }
        self.waiter = nil
        waiter.timer?.cancel()
        lastPollEnd = .now()
        waiter.promise.succeed(.superseded)
    }

    /// What a `POST` comes to.
    enum SendResult: Sendable {
        /// Fed to the session (200).
        case accepted
        /// Another `POST` is still being fed (409).
        case busy
        /// The connection has ended (404).
        case gone
    }

    /// Feeds a `POST` body to the session, unless another one is still being fed.
    func send(_ body: ByteBuffer) -> EventLoopFuture<SendResult> {
        eventLoop.assertInEventLoop()
        if sending { return eventLoop.makeSucceededFuture(.busy) }
        sending = true
        return receive(body).map { accepted in
            self.sending = false
            return accepted ? .accepted : .gone
        }
    }

    /// Feeds a body to the session once reading is not paused (client-to-server stream
    /// backpressure holds the request instead of the session's buffers).
    private func receive(_ body: ByteBuffer) -> EventLoopFuture<Bool> {
        eventLoop.assertInEventLoop()
        guard !ended, !closing, let session else { return eventLoop.makeSucceededFuture(false) }
        if readingPaused {
            let promise = eventLoop.makePromise(of: Void.self)
            readWaiters.append(promise)
            return promise.futureResult.flatMap { self.receive(body) }
        }
        var body = body
        session.receive(&body)
        return eventLoop.makeSucceededFuture(true)
    }

    /// Ends the connection for good: the session learns its transport ended, a waiting request
    /// gets `.closed`, and the connection is forgotten.
    func end() {
        eventLoop.assertInEventLoop()
        guard !ended else { return }
        ended = true
        closing = true
        idleCheck?.cancel()
        idleCheck = nil
        if let waiter {
            self.waiter = nil
            waiter.timer?.cancel()
            waiter.promise.succeed(.closed)
        }
        for waiter in readWaiters { waiter.succeed() }
        readWaiters = []
        pending.clear()
        session?.transportClosed()
        session = nil
        onEnd()
    }

    // MARK: Helpers

    private func take() -> Delivery {
        let bytes = pending
        pending = ByteBuffer()
        if reportedUnwritable {
            reportedUnwritable = false
            session?.writabilityChanged(isWritable: true)
        }
        return .data(bytes)
    }

    private func deliverPending() {
        guard pending.readableBytes > 0 || closing, let waiter else { return }
        self.waiter = nil
        waiter.timer?.cancel()
        lastPollEnd = .now()
        if pending.readableBytes > 0 {
            waiter.promise.succeed(take())
        } else {
            end()
            waiter.promise.succeed(.closed)
        }
    }
}

/// Server-Sent Events framing (ASP.NET Core's `ServerSentEventsMessageFormatter`): each payload
/// as `data: <line>\r\n` per line (a CR before each LF dropped), then a blank `\r\n`.
enum ServerSentEventsWire {
    static let encoding = HubWireEncoding(name: "sse") { payload, _ in frame(payload) }

    static func frame(_ payload: ByteBuffer) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(payload.readableBytes + 16)
        let bytes = payload.readableBytesView
        if bytes.isEmpty {
            out.writeStaticString("\r\n")
            return out
        }
        var lineStart = bytes.startIndex
        while lineStart < bytes.endIndex {
            var lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
            let next = lineEnd < bytes.endIndex ? lineEnd + 1 : lineEnd
            if lineEnd > lineStart, lineEnd < bytes.endIndex, bytes[lineEnd - 1] == UInt8(ascii: "\r") {
                lineEnd -= 1
            }
            out.writeStaticString("data: ")
            out.writeBytes(bytes[lineStart..<lineEnd])
            out.writeStaticString("\r\n")
            lineStart = next
        }
        out.writeStaticString("\r\n")
        return out
    }
}

/// The hub's connections on Server-Sent Events and long polling, by connection token, and what
/// clients sent before their transport started.
final class HTTPHubConnections: Sendable {
    private struct State {
        var connections: [String: HTTPHubConnection] = [:]
        /// `POST` bodies for negotiated connections whose transport has not started yet (a
        /// long-polling client may send its handshake before its first poll); the transport
        /// takes them when it starts, as ASP.NET Core buffers them in the connection's input.
        var early: [String: (bytes: ByteBuffer, since: NIODeadline)] = [:]
    }

    private let state = Mutex(State())

    func connection(token: String) -> HTTPHubConnection? {
        state.withLock { $0.connections[token] }
    }

    /// Adds a connection and returns what was sent to it before it started.
    func add(_ connection: HTTPHubConnection) -> ByteBuffer? {
        state.withLock { state in
            state.connections[connection.token] = connection
            return state.early.removeValue(forKey: connection.token)?.bytes
        }
    }

    /// Keeps a body sent before the transport started; `false` when the connection started
    /// meanwhile (the caller then feeds it instead) or too much is waiting already. Bodies whose
    /// transport never started within `expiry` (the negotiation timeout) are dropped here.
    func keepEarly(
        _ body: ByteBuffer, token: String, limit: Int, expiry: TimeAmount, now: NIODeadline = .now()
    )
        -> Bool
    {
        state.withLock { state in
            state.early = state.early.filter { now - $0.value.since < expiry }
            guard state.connections[token] == nil else { return false }
            var waiting = state.early[token] ?? (ByteBuffer(), now)
            guard waiting.bytes.readableBytes + body.readableBytes <= limit else { return false }
            var body = body
            waiting.bytes.writeBuffer(&body)
            state.early[token] = waiting
            return true
        }
    }

    func remove(token: String) {
        state.withLock { state in
            state.connections.removeValue(forKey: token)
            state.early.removeValue(forKey: token)
        }
    }
}
