import HubProtocol
import Logging
import NIOCore

/// A connection to a SignalR hub (Switchboard's or ASP.NET Core's): negotiate, a WebSocket, the
/// JSON or MessagePack hub protocol, and the calls of the .NET client's `HubConnection`.
///
/// ```swift
/// let connection = HubConnection(url: "http://127.0.0.1:5000/learningHub")
/// await connection.on("ReceiveMessage") { (text: String) in print(text) }
/// try await connection.start()
/// try await connection.invoke("BroadcastMessage", "hello")
/// for try await item in try await connection.stream("TriggerStream", 3, of: String.self) { print(item) }
/// await connection.stop()
/// ```
///
/// Messages from the server are handled in the order they arrive: handlers run one at a time on
/// the receive loop (as in the .NET client, a handler that awaits a reply from the server on the
/// same connection would wait forever; start a task instead). Handlers answering client-result
/// invocations run in their own task. Keep-alive Pings go out when nothing else was sent for
/// ``HubConnectionOptions/keepAliveInterval``; nothing received for
/// ``HubConnectionOptions/serverTimeout`` ends the connection.
///
/// When the connection is lost (not by ``stop()``, and not by a Close message from the server
/// without `allowReconnect`), a ``HubConnectionOptions/reconnectPolicy`` makes it reconnect:
/// ``State-swift.enum/reconnecting``, the `onReconnecting` handlers, a new negotiate and WebSocket
/// per attempt, then `onReconnected` with the new connection id — or `onClosed` when the policy
/// gives up. Calls waiting when the connection is lost fail with
/// ``HubClientError/connectionEndedDuringCall``.
public actor HubConnection {
    /// Where the connection is in its life.
    public enum State: String, Sendable, Equatable {
        /// Not started, stopped, or closed for good.
        case disconnected
        /// ``HubConnection/start()`` is running.
        case connecting
        /// Handshake done; calls can be made.
        case connected
        /// Lost; the reconnect policy is trying again.
        case reconnecting
    }

    /// The options given at creation.
    public nonisolated let options: HubConnectionOptions
    /// The current state.
    public private(set) var state: State = .disconnected
    /// The server's id for this connection (from negotiate); `nil` when not connected or when
    /// negotiate was skipped.
    public private(set) var connectionId: String?
    /// The last negotiate response (`nil` with skip-negotiation).
    public private(set) var negotiateResponse: HubNegotiateResponse?

    /// The open WebSocket and what was read from it.
    struct Link {
        let generation: Int
        let transport: WebSocketHubTransport
        var input = ByteBuffer()
        var decoder: HubMessageDecoder
        var handshakeDone = false
        var handshakeWaiter: CheckedContinuation<Void, any Error>?
    }

    /// A call waiting for the server.
    enum PendingCall {
        case invocation(CheckedContinuation<HubValue?, any Error>)
        case stream(AsyncThrowingStream<HubValue, any Error>.Continuation)
    }

    /// A handler for a method the server calls.
    enum Handler {
        case plain(@Sendable (HubArguments) async throws -> Void)
        case result(@Sendable (HubArguments) async throws -> HubValue)
    }

    var link: Link?
    var generation = 0
    var nextInvocationId = 0
    var nextHandlerId = 0
    var pending: [String: PendingCall] = [:]
    var handlers: [String: [(id: Int, handler: Handler)]] = [:]
    var closedHandlers: [@Sendable ((any Error)?) async -> Void] = []
    var reconnectingHandlers: [@Sendable ((any Error)?) async -> Void] = []
    var reconnectedHandlers: [@Sendable (String?) async -> Void] = []
    var lastReceived = ContinuousClock.now
    var lastSent = ContinuousClock.now
    var timerTask: Task<Void, Never>?
    var uploads: [Int: Task<Void, Never>] = [:]
    var stateful: StatefulReconnectState?
    var bufferWaiters: [CheckedContinuation<Void, Never>] = []
    var resumeTask: Task<Void, Never>?
    var nextUploadId = 0
    var reconnectTask: Task<Void, Never>?
    var writing = false
    var timerWriteInFlight = false
    /// Bumped by start(), stop() and each reconnect attempt: a connect compares it after every
    /// await and gives up when it changed.
    var attempt = 0
    /// Bumped for each new connection (not for a stateful resume of the same one).
    var epoch = 0
    var writeWaiters: [CheckedContinuation<Void, Never>] = []
    var logger: Logger

    /// A connection with these options; nothing happens until ``start()``.
    public init(options: HubConnectionOptions) {
        self.options = options
        self.logger = options.logger
    }

    /// A connection to `url` with the default options and `hubProtocol`.
    public init(url: String, hubProtocol: any HubProtocol = JSONHubProtocol()) {
        self.init(options: HubConnectionOptions(url: url, hubProtocol: hubProtocol))
    }

    // MARK: Starting and stopping

    /// Negotiates, opens the WebSocket and completes the handshake.
    ///
    /// Throws ``HubClientError`` with what failed: the URL, negotiate (the server's status or
    /// error text), no usable transport, the WebSocket, or the handshake (the server's text,
    /// such as `The protocol 'x' is not supported.`). Only a disconnected connection can start;
    /// ``stop()`` while starting makes this throw.
    public func start() async throws(HubClientError) {
        guard state == .disconnected else {
            throw HubClientError(
                .notConnected, "The HubConnection cannot be started if it is not in the Disconnected state.")
        }
        state = .connecting
        attempt += 1
        let mine = attempt
        do {
            try await connect(while: .connecting, attempt: mine)
        } catch {
            if state == .connecting && attempt == mine { state = .disconnected }
            throw error
        }
        state = .connected
    }

    /// Closes the connection (or ends reconnecting); calls still waiting fail with
    /// ``HubClientError/connectionEndedDuringCall``, and the `onClosed` handlers run with `nil`.
    public func stop() async {
        guard state != .disconnected else { return }
        // Any connect under way (start's or a reconnect's) is abandoned at its next step.
        attempt += 1
        let current = link
        reconnectTask?.cancel()
        reconnectTask = nil
        resumeTask?.cancel()
        resumeTask = nil
        dropLink(error: HubClientError.connectionEndedDuringCall)
        // The state is reset before the close handshake's await, so a start() meanwhile is not
        // undone by it.
        resetToDisconnected()
        await current?.transport.close()
        for handler in closedHandlers { await handler(nil) }
    }

    /// Whether a connect made while in `expected` should go on (stop() or another start may have
    /// happened during an await).
    private func stillWanted(_ expected: State, attempt mine: Int) throws(HubClientError) {
        guard state == expected, attempt == mine, !Task.isCancelled else {
            throw HubClientError(.cancelled, "The connection was stopped before it was established.")
        }
    }

    /// One connect: token, negotiate (unless skipped), WebSocket, handshake. `expected` is the
    /// state the caller is in; if it changes during an await, the attempt is abandoned.
    func connect(while expected: State, attempt mine: Int) async throws(HubClientError) {
        var token: String?
        if let provider = options.accessTokenProvider {
            do {
                token = try await provider()
            } catch {
                throw HubClientError(.negotiationFailed, "The access token provider failed: \(error)")
            }
            try stillWanted(expected, attempt: mine)
        }
        let webSocketURL: String
        let format = options.hubProtocol.transferFormat == .binary ? "Binary" : "Text"
        var response: HubNegotiateResponse?
        // Whether the token in use is the provider's (a redirect may hand out its own).
        var tokenFromProvider = options.accessTokenProvider != nil
        if options.skipNegotiation {
            webSocketURL = try HubURL(options.url).webSocketURL(connectionToken: nil)
        } else {
            let negotiated = try await HubNegotiator.negotiate(
                url: options.url, accessToken: token, headers: options.headers,
                tlsConfiguration: options.tlsConfiguration, eventLoopGroup: options.eventLoopGroup,
                timeout: options.handshakeTimeout, useStatefulReconnect: options.useStatefulReconnect)
            try stillWanted(expected, attempt: mine)
            guard negotiated.response.offersWebSockets(format: format) else {
                throw HubClientError(
                    .noSupportedTransport,
                    "Unable to connect to the server with any of the available transports. (WebSockets with the '\(format)' transfer format is not offered.)"
                )
            }
            response = negotiated.response
            if negotiated.accessToken != token { tokenFromProvider = false }
            token = negotiated.accessToken
            webSocketURL = try HubURL(negotiated.url).webSocketURL(connectionToken: negotiated.response.idForRequests)
        }
        var headers = options.headers
        if let token, !token.isEmpty { headers.append((name: "Authorization", value: "Bearer \(token)")) }

        generation += 1
        let generation = self.generation
        let transport = try await openWebSocket(url: webSocketURL, headers: headers, generation: generation)
        do {
            try stillWanted(expected, attempt: mine)
        } catch {
            await transport.close()
            throw error
        }
        // A link left by an abandoned attempt is ended, never silently replaced.
        if let stale = link {
            stale.handshakeWaiter?.resume(throwing: HubClientError(.cancelled, "Another connect replaced this one."))
            stale.transport.abort()
        }
        link = Link(
            generation: generation, transport: transport,
            decoder: HubMessageDecoder(hubProtocol: options.hubProtocol, maximumMessageSize: nil))
        negotiateResponse = response
        connectionId = response?.connectionId
        let statefulAgreed = options.useStatefulReconnect && response?.useStatefulReconnect == true
        // Set before the handshake: messages right behind its response are already numbered.
        stateful =
            statefulAgreed
            ? StatefulReconnectState(
                webSocketURL: webSocketURL, headers: headers,
                tokenFromProvider: tokenFromProvider)
            : nil
        do throws(HubClientError) {
            try await handshake(generation: generation, version: statefulAgreed ? 2 : 1)
            try stillWanted(expected, attempt: mine)
            // A Close or a dropped socket right after the handshake ended this link already.
            guard link?.generation == generation else { throw HubClientError.connectionEndedDuringCall }
        } catch {
            if link?.generation == generation {
                link = nil
                stateful = nil
            }
            await transport.close()
            throw error
        }
        epoch += 1
        startTimer(generation: generation)
    }

    /// Opens a WebSocket whose messages and end reach this connection tagged with `generation`
    /// (once ``WebSocketHubTransport/startReading()`` is called).
    func openWebSocket(
        url: String, headers: [(name: String, value: String)], generation: Int
    ) async throws(HubClientError) -> WebSocketHubTransport {
        try await WebSocketHubTransport.connect(
            url: url, headers: headers, options: options, timeout: options.handshakeTimeout,
            onMessage: { [self] bytes in
                let actions = await self.received(bytes, generation: generation)
                for action in actions { await action() }
            },
            onEnd: { [self] error in
                // Not on the transport's own task, which abort() cancels: the onClosed and
                // onReconnecting handlers must not run cancelled.
                Task { await self.transportEnded(generation: generation, error: error) }
            })
    }

    /// Sends the handshake request and waits for the response (bounded by the handshake timeout).
    private func handshake(generation: Int, version: Int) async throws(HubClientError) {
        var request = ByteBuffer()
        HandshakeRequest(protocolName: options.hubProtocol.name, version: version).write(into: &request)
        guard let transport = link?.transport else { throw HubClientError.connectionEndedDuringCall }
        let binary = options.hubProtocol.transferFormat == .binary
        let timeout = options.handshakeTimeout
        let timer = Task { [self] in
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            self.failHandshake(
                generation: generation, HubClientError(.handshakeFailed, "The handshake timed out after \(timeout)."))
        }
        defer { timer.cancel() }
        do {
            // The waiter is in place before the request goes out and before anything is read.
            try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Void, any Error>) in
                guard link?.generation == generation else {
                    waiter.resume(throwing: HubClientError.connectionEndedDuringCall)
                    return
                }
                link?.handshakeWaiter = waiter
                transport.startReading()
                Task { [self] in
                    do {
                        try await transport.send(request, binary: binary)
                        self.handshakeSent()
                    } catch {
                        self.failHandshake(
                            generation: generation, HubClientError(.handshakeFailed, "\(error)"))
                    }
                }
            }
        } catch let error as HubClientError {
            throw error
        } catch {
            throw HubClientError(.handshakeFailed, "\(error)")
        }
    }

    private func handshakeSent() {
        lastSent = .now
    }

    func failHandshake(generation: Int, _ error: HubClientError) {
        guard link?.generation == generation, let waiter = link?.handshakeWaiter else { return }
        link?.handshakeWaiter = nil
        waiter.resume(throwing: error)
    }

    /// Fails every waiting call and upload, forgets the socket and stops the timer.
    func dropLink(error: HubClientError) {
        if let waiter = link?.handshakeWaiter { waiter.resume(throwing: error) }
        link = nil
        timerTask?.cancel()
        timerTask = nil
        for task in uploads.values { task.cancel() }
        let calls = pending
        pending = [:]
        for (_, call) in calls {
            switch call {
            case .invocation(let waiter): waiter.resume(throwing: error)
            case .stream(let continuation): continuation.finish(throwing: error)
            }
        }
    }

    /// The socket ended (or the server closed, or timed out): replace the socket (stateful
    /// reconnect), reconnect, or close.
    func connectionLost(
        generation: Int, error: HubClientError?, allowReconnect: Bool, socketEnded: Bool = false
    ) async {
        guard let current = link, current.generation == generation else { return }
        if !current.handshakeDone {
            let reason = error.map { ": \($0.message)" } ?? "."
            failHandshake(
                generation: generation,
                HubClientError(.handshakeFailed, "The server closed the connection during the handshake\(reason)"))
            current.transport.abort()
            return
        }
        if socketEnded, stateful != nil, state == .connected {
            beginResume(generation: generation, error: error)
            return
        }
        dropLink(error: HubClientError.connectionEndedDuringCall)
        current.transport.abort()
        // The rest (the user's handlers among it) runs in a task of its own: this one may be the
        // transport's or the timer's, which are being cancelled.
        Task { await self.connectionLost(error: error, allowReconnect: allowReconnect) }
    }

    /// After the socket and the calls waiting on it are gone: reconnect or close.
    func connectionLost(error: HubClientError?, allowReconnect: Bool) async {
        guard state == .connected else { return }
        resumeTask?.cancel()
        resumeTask = nil
        stateful = nil
        wakeBufferWaiters()
        if allowReconnect, let policy = options.reconnectPolicy {
            state = .reconnecting
            logger.info(
                "hub connection lost; reconnecting", metadata: ["error": "\(error.map { "\($0)" } ?? "none")"])
            let reason: any Error = error ?? HubClientError(.connectionClosed, "The connection was closed.")
            reconnectTask = Task { [self] in await self.reconnect(policy: policy, reason: reason, lost: error) }
        } else {
            await closeForGood(error: error)
        }
    }

    func transportEnded(generation: Int, error: (any Error)?) async {
        let reason = error.map {
            HubClientError(.connectionClosed, "The WebSocket ended: \(WebSocketHubTransport.describe($0)).")
        }
        await connectionLost(
            generation: generation,
            error: reason ?? HubClientError(.connectionClosed, "The server closed the WebSocket."),
            allowReconnect: true,
            socketEnded: true)
    }

    /// Tells the `onReconnecting` handlers, then tries again until connected or the policy gives up.
    func reconnect(policy: any HubReconnectPolicy, reason: any Error, lost: HubClientError?) async {
        for handler in reconnectingHandlers { await handler(lost) }
        let began = ContinuousClock.now
        var attempts = 0
        var reason = reason
        while state == .reconnecting, !Task.isCancelled {
            let context = HubRetryContext(
                previousRetryCount: attempts, elapsedTime: .now - began, retryReason: reason)
            guard let delay = policy.nextRetryDelay(context) else { break }
            if delay > .zero {
                do {
                    try await Task.sleep(for: delay)
                } catch {
                    return
                }
            }
            guard state == .reconnecting, !Task.isCancelled else { return }
            attempt += 1
            let mine = attempt
            do {
                try await connect(while: .reconnecting, attempt: mine)
                state = .connected
                reconnectTask = nil
                logger.info("hub connection reconnected", metadata: ["connectionId": "\(connectionId ?? "-")"])
                for handler in reconnectedHandlers { await handler(connectionId) }
                return
            } catch {
                guard state == .reconnecting, attempt == mine, !Task.isCancelled else { return }
                attempts += 1
                reason = error
                logger.debug("reconnect attempt failed", metadata: ["attempt": "\(attempts)", "error": "\(error)"])
            }
        }
        guard state == .reconnecting, !Task.isCancelled else { return }
        reconnectTask = nil
        await closeForGood(error: reason)
    }

    /// Disconnected, with nothing of the last connection left.
    private func resetToDisconnected() {
        resumeTask?.cancel()
        resumeTask = nil
        state = .disconnected
        connectionId = nil
        stateful = nil
        wakeBufferWaiters()
    }

    func closeForGood(error: (any Error)?) async {
        resetToDisconnected()
        for handler in closedHandlers { await handler(error) }
    }

    // MARK: Timers

    func startTimer(generation: Int) {
        lastReceived = .now
        timerTask?.cancel()
        timerTask = Task { [self] in await self.runTimer(generation: generation) }
    }

    /// Sends Pings and watches the server timeout, sleeping until the nearer deadline.
    func runTimer(generation: Int) async {
        while !Task.isCancelled, link?.generation == generation {
            let now = ContinuousClock.now
            if now - lastReceived >= options.serverTimeout {
                await connectionLost(
                    generation: generation,
                    error: HubClientError(
                        .serverTimeout, "Server timeout elapsed without receiving a message from the server."),
                    allowReconnect: true)
                return
            }
            // Pings and acks go out from a task of their own: a write stuck on a dead socket must
            // not keep this loop from noticing the server timeout.
            if now - lastSent >= options.keepAliveInterval, !timerWriteInFlight {
                timerWriteInFlight = true
                lastSent = now
                Task { [self] in
                    try? await self.write(.ping)
                    self.timerWriteDone()
                }
            }
            var next = min(lastReceived + options.serverTimeout, lastSent + options.keepAliveInterval)
            if stateful != nil {
                // Acks go out at most once a second; what arrives meanwhile does not wake this loop.
                next = min(next, ackIfDue(now: .now) ?? .now + Self.ackInterval)
            }
            try? await Task.sleep(until: max(next, .now + .milliseconds(10)), clock: .continuous)
        }
    }

    func timerWriteDone() {
        timerWriteInFlight = false
    }

    // MARK: Writing

    /// Serializes and sends `message` on the current socket, one write at a time (the order
    /// calls reach the socket is the order they were numbered in, which stateful reconnect's
    /// acks count on).
    func write(_ message: HubMessage) async throws(HubClientError) {
        let notConnected = HubClientError(
            .notConnected, "Cannot send data if the connection is not in the 'Connected' State.")
        guard stateful?.resuming == true || link?.handshakeDone == true else { throw notConnected }
        let bytes: ByteBuffer
        do {
            bytes = try options.hubProtocol.serialize(message)
        } catch {
            throw HubClientError(.valueError, error.message)
        }
        // A write that waits (for room or its turn) across a reconnect must not go out on the new
        // connection: its caller was already told the connection ended.
        let writeEpoch = epoch
        let tracked = stateful != nil && message.isTrackable
        // Waiting for room in the buffer happens before taking the write turn, so a resend after
        // a dropped socket (which needs the turn) is never stuck behind it.
        if tracked { await waitForBufferSpace() }
        await takeWriteTurn()
        defer { endWriteTurn() }
        guard epoch == writeEpoch else { throw notConnected }
        if tracked {
            // Lost while waiting: stateful reconnect is over and the message was never numbered.
            guard stateful != nil else { throw notConnected }
            // Numbered messages must all go out: a cancelled caller gives up before numbering.
            guard !Task.isCancelled else { throw HubClientError(.cancelled, "The call was cancelled.") }
            track(bytes)
            // While the socket is being replaced, the resend will carry it.
            if stateful!.resuming { return }
        } else if stateful?.resuming == true {
            return
        }
        guard let current = link, current.handshakeDone else { throw notConnected }
        lastSent = .now
        do {
            try await current.transport.send(bytes, binary: options.hubProtocol.transferFormat == .binary)
        } catch {
            guard tracked, stateful != nil else { throw error }
            // A numbered message that did not go out: this socket cannot be trusted any more, so it
            // is replaced and the resend carries the message.
            current.transport.abort()
        }
    }

    /// Waits until no other write is in progress, then holds the turn.
    func takeWriteTurn() async {
        if writing {
            // endWriteTurn() passes the turn on without releasing it.
            await withCheckedContinuation { writeWaiters.append($0) }
        } else {
            writing = true
        }
    }

    func endWriteTurn() {
        // Handed straight to the longest waiter, so none is overtaken by a newcomer.
        if writeWaiters.isEmpty {
            writing = false
        } else {
            writeWaiters.removeFirst().resume()
        }
    }

    func makeInvocationId() -> String {
        defer { nextInvocationId += 1 }
        return String(nextInvocationId)
    }
}
