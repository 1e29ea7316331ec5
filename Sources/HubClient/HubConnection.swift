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
    /// such as `The protocol 'x' is not supported.`). Only a disconnected connection can start.
    public func start() async throws(HubClientError) {
        guard state == .disconnected else {
            throw HubClientError(
                .notConnected, "The HubConnection cannot be started if it is not in the Disconnected state.")
        }
        state = .connecting
        do {
            try await connect()
        } catch {
            state = .disconnected
            throw error
        }
        state = .connected
    }

    /// Closes the connection (or ends reconnecting); calls still waiting fail with
    /// ``HubClientError/connectionEndedDuringCall``, and the `onClosed` handlers run with `nil`.
    public func stop() async {
        switch state {
        case .disconnected:
            return
        case .reconnecting:
            reconnectTask?.cancel()
            reconnectTask = nil
            await closeForGood(error: nil)
        case .connecting, .connected:
            let current = link
            state = .disconnected
            resumeTask?.cancel()
            resumeTask = nil
            dropLink(error: HubClientError.connectionEndedDuringCall)
            await current?.transport.close()
            await closeForGood(error: nil)
        }
    }

    /// One connect: token, negotiate (unless skipped), WebSocket, handshake.
    func connect() async throws(HubClientError) {
        var token: String?
        if let provider = options.accessTokenProvider {
            do {
                token = try await provider()
            } catch {
                throw HubClientError(.negotiationFailed, "The access token provider failed: \(error)")
            }
        }
        let webSocketURL: String
        let format = options.hubProtocol.transferFormat == .binary ? "Binary" : "Text"
        if options.skipNegotiation {
            webSocketURL = try HubURL(options.url).webSocketURL(connectionToken: nil)
            negotiateResponse = nil
            connectionId = nil
        } else {
            let negotiated = try await HubNegotiator.negotiate(
                url: options.url, accessToken: token, headers: options.headers,
                tlsConfiguration: options.tlsConfiguration, eventLoopGroup: options.eventLoopGroup,
                timeout: options.handshakeTimeout, useStatefulReconnect: options.useStatefulReconnect)
            guard negotiated.response.offersWebSockets(format: format) else {
                throw HubClientError(
                    .noSupportedTransport,
                    "Unable to connect to the server with any of the available transports. (WebSockets with the '\(format)' transfer format is not offered.)"
                )
            }
            negotiateResponse = negotiated.response
            connectionId = negotiated.response.connectionId
            token = negotiated.accessToken
            webSocketURL = try HubURL(negotiated.url).webSocketURL(connectionToken: negotiated.response.idForRequests)
        }
        var headers = options.headers
        if let token, !token.isEmpty { headers.append((name: "Authorization", value: "Bearer \(token)")) }

        generation += 1
        let generation = self.generation
        let transport = try await openWebSocket(url: webSocketURL, headers: headers, generation: generation)
        link = Link(
            generation: generation, transport: transport,
            decoder: HubMessageDecoder(hubProtocol: options.hubProtocol, maximumMessageSize: nil))
        let statefulAgreed =
            !options.skipNegotiation && options.useStatefulReconnect && negotiateResponse?.useStatefulReconnect == true
        // Set before the handshake: messages right behind its response are already numbered.
        stateful = statefulAgreed ? StatefulReconnectState(webSocketURL: webSocketURL, headers: headers) : nil
        do {
            try await handshake(generation: generation, version: statefulAgreed ? 2 : 1)
        } catch {
            if link?.generation == generation { link = nil }
            stateful = nil
            await transport.close()
            throw error
        }
        startTimer(generation: generation)
    }

    /// Opens a WebSocket whose messages and end reach this connection tagged with `generation`.
    func openWebSocket(
        url: String, headers: [(name: String, value: String)], generation: Int
    ) async throws(HubClientError) -> WebSocketHubTransport {
        try await WebSocketHubTransport.connect(
            url: url, headers: headers, options: options,
            onMessage: { [self] bytes in
                let actions = await self.received(bytes, generation: generation)
                for action in actions { await action() }
            },
            onEnd: { [self] error in
                await self.transportEnded(generation: generation, error: error)
            })
    }

    /// Sends the handshake request and waits for the response (bounded by the handshake timeout).
    private func handshake(generation: Int, version: Int) async throws(HubClientError) {
        var request = ByteBuffer()
        HandshakeRequest(protocolName: options.hubProtocol.name, version: version).write(into: &request)
        guard let transport = link?.transport else { throw HubClientError.connectionEndedDuringCall }
        try await transport.send(request, binary: options.hubProtocol.transferFormat == .binary)
        lastSent = .now
        let timeout = options.handshakeTimeout
        let timer = Task { [self] in
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            self.failHandshake(
                generation: generation, HubClientError(.handshakeFailed, "The handshake timed out after \(timeout)."))
        }
        defer { timer.cancel() }
        do {
            try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Void, any Error>) in
                guard link?.generation == generation, link?.handshakeDone == false else {
                    waiter.resume(throwing: HubClientError.connectionEndedDuringCall)
                    return
                }
                link?.handshakeWaiter = waiter
            }
        } catch let error as HubClientError {
            throw error
        } catch {
            throw HubClientError(.handshakeFailed, "\(error)")
        }
    }

    func failHandshake(generation: Int, _ error: HubClientError) {
        guard link?.generation == generation, let waiter = link?.handshakeWaiter else { return }
        link?.handshakeWaiter = nil
        waiter.resume(throwing: error)
    }

    /// Fails every waiting call, forgets the socket and stops the timer.
    func dropLink(error: HubClientError) {
        if let waiter = link?.handshakeWaiter { waiter.resume(throwing: error) }
        link = nil
        timerTask?.cancel()
        timerTask = nil
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
            dropLink(
                error: error
                    ?? HubClientError(.handshakeFailed, "The server closed the connection during the handshake."))
            current.transport.abort()
            return
        }
        if socketEnded, stateful != nil, state == .connected {
            beginResume(generation: generation, error: error)
            return
        }
        dropLink(error: HubClientError.connectionEndedDuringCall)
        current.transport.abort()
        await connectionLost(error: error, allowReconnect: allowReconnect)
    }

    /// After the socket and the calls waiting on it are gone: reconnect or close.
    func connectionLost(error: HubClientError?, allowReconnect: Bool) async {
        stateful = nil
        wakeBufferWaiters()
        guard state == .connected else { return }
        if allowReconnect, let policy = options.reconnectPolicy {
            state = .reconnecting
            logger.info(
                "hub connection lost; reconnecting", metadata: ["error": "\(error.map { "\($0)" } ?? "none")"])
            for handler in reconnectingHandlers { await handler(error) }
            guard state == .reconnecting else { return }
            let reason: any Error = error ?? HubClientError(.connectionClosed, "The connection was closed.")
            reconnectTask = Task { [self] in await self.reconnect(policy: policy, reason: reason) }
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

    /// Tries again until connected or the policy gives up.
    func reconnect(policy: any HubReconnectPolicy, reason: any Error) async {
        let began = ContinuousClock.now
        var attempts = 0
        var reason = reason
        while state == .reconnecting {
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
            do {
                try await connect()
                guard state == .reconnecting else {
                    // stop() ran while connecting.
                    let current = link
                    dropLink(error: HubClientError.connectionEndedDuringCall)
                    await current?.transport.close()
                    return
                }
                state = .connected
                reconnectTask = nil
                logger.info("hub connection reconnected", metadata: ["connectionId": "\(connectionId ?? "-")"])
                for handler in reconnectedHandlers { await handler(connectionId) }
                return
            } catch {
                attempts += 1
                reason = error
                logger.debug("reconnect attempt failed", metadata: ["attempt": "\(attempts)", "error": "\(error)"])
            }
        }
        guard state == .reconnecting else { return }
        reconnectTask = nil
        await closeForGood(error: reason)
    }

    func closeForGood(error: (any Error)?) async {
        state = .disconnected
        stateful = nil
        wakeBufferWaiters()
        connectionId = nil
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
            if now - lastSent >= options.keepAliveInterval {
                try? await write(.ping)
            }
            var next = min(lastReceived + options.serverTimeout, lastSent + options.keepAliveInterval)
            if stateful != nil {
                // Acks go out at most once a second; what arrives meanwhile does not wake this loop.
                next = min(next, (await ackIfDue(now: now)) ?? now + Self.ackInterval)
            }
            try? await Task.sleep(until: max(next, .now + .milliseconds(10)), clock: .continuous)
        }
    }

    // MARK: Writing

    /// Serializes and sends `message` on the current socket.
    func write(_ message: HubMessage) async throws(HubClientError) {
        guard stateful?.resuming == true || (link?.handshakeDone == true) else {
            throw HubClientError(.notConnected, "Cannot send data if the connection is not in the 'Connected' State.")
        }
        let bytes: ByteBuffer
        do {
            bytes = try options.hubProtocol.serialize(message)
        } catch {
            throw HubClientError(.valueError, error.message)
        }
        let tracked = stateful != nil && message.isTrackable
        if tracked {
            // Kept until acked; while the socket is being replaced, the resend will carry it.
            guard await track(bytes) else { return }
        } else if stateful?.resuming == true {
            return
        }
        guard let transport = link?.transport else {
            if tracked { return }
            throw HubClientError(.notConnected, "Cannot send data if the connection is not in the 'Connected' State.")
        }
        lastSent = .now
        do {
            try await transport.send(bytes, binary: options.hubProtocol.transferFormat == .binary)
        } catch {
            // A tracked message that did not make it out is resent on the next socket.
            if !(tracked && stateful != nil) { throw error }
        }
    }

    func makeInvocationId() -> String {
        defer { nextInvocationId += 1 }
        return String(nextInvocationId)
    }
}
