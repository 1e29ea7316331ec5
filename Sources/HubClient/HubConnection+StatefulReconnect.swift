import HubProtocol
import NIOCore

/// Stateful reconnect (ASP.NET Core 8+, protocol section e): when negotiate agreed to it, every
/// trackable message (types 1–5) is numbered in each direction and kept until the peer acks it,
/// so a WebSocket that drops is replaced by a new one to the same connection, without negotiate or
/// handshake, and both sides resend what the other may have missed (Sequence, then the buffer).
struct StatefulReconnectState {
    /// Where the WebSocket reconnects to (the same `?id=`), with the same headers.
    var webSocketURL: String
    var headers: [(name: String, value: String)]
    /// Whether the bearer token came from the access token provider (asked again on each resume)
    /// rather than from a negotiate redirect.
    var tokenFromProvider: Bool
    /// Sent trackable messages not yet acked, oldest first.
    var buffer: [(id: Int64, bytes: ByteBuffer)] = []
    var bufferedBytes = 0
    /// How many trackable messages were numbered for sending.
    var totalSent: Int64 = 0
    /// The highest trackable message id received and handled.
    var latestReceived: Int64 = 0
    /// The id the next trackable message received gets.
    var nextIncoming: Int64 = 1
    /// The last id acked to the server, and when.
    var lastAckSent: Int64 = 0
    var lastAckTime = ContinuousClock.now
    /// Between a dropped WebSocket and its replacement: writes only buffer.
    var resuming = false

    /// The id a Sequence message announces on a new socket: the oldest unacked message, or the
    /// next one when everything was acked.
    var firstUnacked: Int64 { buffer.first?.id ?? totalSent + 1 }
}

extension HubConnection {
    /// .NET's ack rate: an Ack at most once a second, when something arrived since the last.
    static let ackInterval: Duration = .seconds(1)
    /// Attempts to replace a dropped socket, within the server's disconnect timeout (15 s).
    static let resumeDelays: [Duration] = [.zero, .milliseconds(250), .seconds(1), .seconds(2), .seconds(4)]

    /// Waits while the buffer of unacked messages is full (acks make room).
    func waitForBufferSpace() async {
        while let state = stateful, state.bufferedBytes >= options.statefulReconnectBufferSize {
            await withCheckedContinuation { bufferWaiters.append($0) }
        }
    }

    /// Numbers a trackable message for sending and keeps it until acked.
    func track(_ bytes: ByteBuffer) {
        guard stateful != nil else { return }
        stateful!.totalSent += 1
        stateful!.buffer.append((id: stateful!.totalSent, bytes: bytes))
        stateful!.bufferedBytes += bytes.readableBytes
    }

    /// An Ack from the server: drop what it has.
    func acknowledged(_ sequenceId: Int64) {
        guard stateful != nil else { return }
        while let first = stateful!.buffer.first, first.id <= sequenceId {
            stateful!.bufferedBytes -= first.bytes.readableBytes
            stateful!.buffer.removeFirst()
        }
        wakeBufferWaiters()
    }

    func wakeBufferWaiters() {
        let waiters = bufferWaiters
        bufferWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    /// Numbers a received trackable message; `false` for a duplicate a resend repeated.
    func acceptIncoming() -> Bool {
        guard stateful != nil else { return true }
        let id = stateful!.nextIncoming
        stateful!.nextIncoming += 1
        guard id > stateful!.latestReceived else { return false }
        stateful!.latestReceived = id
        return true
    }

    /// A Sequence from the server: the id its next (resent) message has.
    func sequenceReceived(_ sequenceId: Int64) throws(HubClientError) {
        guard stateful != nil else { return }
        guard sequenceId <= stateful!.latestReceived + 1 else {
            throw HubClientError(.protocolError, "Sequence ID greater than amount of messages we've received.")
        }
        stateful!.nextIncoming = sequenceId
    }

    /// Sends an Ack when something arrived since the last one and the ack interval has passed;
    /// returns when the next one could be due (`nil`: nothing to ack).
    func ackIfDue(now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        guard let state = stateful, !state.resuming, state.latestReceived > state.lastAckSent else { return nil }
        let due = state.lastAckTime + Self.ackInterval
        guard now >= due else { return due }
        stateful!.lastAckSent = state.latestReceived
        stateful!.lastAckTime = now
        // In a task of its own, like the timer's Pings.
        Task { [self] in try? await self.write(.ack(sequenceId: state.latestReceived)) }
        return nil
    }

    /// The WebSocket dropped on a stateful connection: keep calls waiting and replace the socket.
    func beginResume(generation: Int, error: HubClientError?) {
        guard let current = link, current.generation == generation else { return }
        link = nil
        timerTask?.cancel()
        timerTask = nil
        current.transport.abort()
        stateful?.resuming = true
        // A resume already running (this socket was its own replacement) tries again by itself.
        guard resumeTask == nil else { return }
        logger.info(
            "WebSocket lost; reconnecting it statefully", metadata: ["error": "\(error.map { "\($0)" } ?? "none")"])
        resumeTask = Task { [self] in await self.resume(after: error) }
    }

    /// Opens a new WebSocket to the same connection, announces and resends the buffer; gives up
    /// after ``resumeDelays`` and treats the connection as lost.
    func resume(after error: HubClientError?) async {
        var lastError = error
        let me = resumeTask
        // However this ends, a later drop can start a new resume.
        defer { if resumeTask == me { resumeTask = nil } }
        for delay in Self.resumeDelays {
            if delay > .zero {
                do {
                    try await Task.sleep(for: delay)
                } catch {
                    return
                }
            }
            guard state == .connected, !Task.isCancelled, var target = stateful, target.resuming else { return }
            generation += 1
            let generation = self.generation
            do {
                if target.tokenFromProvider, let provider = options.accessTokenProvider {
                    // A token that expired since the first connect is replaced.
                    if let token = try? await provider(), !token.isEmpty {
                        target.headers.removeAll { $0.name == "Authorization" }
                        target.headers.append((name: "Authorization", value: "Bearer \(token)"))
                    }
                }
                let transport = try await openWebSocket(
                    url: target.webSocketURL, headers: target.headers, generation: generation)
                guard state == .connected, stateful?.resuming == true, !Task.isCancelled else {
                    await transport.close()
                    return
                }
                var resumed = Link(
                    generation: generation, transport: transport,
                    decoder: HubMessageDecoder(hubProtocol: options.hubProtocol, maximumMessageSize: nil))
                resumed.handshakeDone = true
                link = resumed
                // Only now is anything read: the server's Sequence and resend come first.
                transport.startReading()
                startTimer(generation: generation)
                // Sequence, then every unacked message, oldest first, holding the write turn so
                // that nothing new overtakes the resend; writes meanwhile join the buffer.
                await takeWriteTurn()
                defer { endWriteTurn() }
                let binary = options.hubProtocol.transferFormat == .binary
                try await transport.send(
                    try options.hubProtocol.serialize(.sequence(sequenceId: stateful!.firstUnacked)), binary: binary)
                var sentUpTo: Int64 = 0
                while let next = stateful?.buffer.first(where: { $0.id > sentUpTo }) {
                    try await transport.send(next.bytes, binary: binary)
                    sentUpTo = next.id
                }
                guard link?.generation == generation, stateful != nil else { continue }
                stateful!.resuming = false
                lastSent = .now
                resumeTask = nil
                logger.info("WebSocket reconnected statefully")
                return
            } catch {
                lastError = (error as? HubClientError) ?? HubClientError(.protocolError, "\(error)")
                if let failed = link, failed.generation == generation {
                    link = nil
                    timerTask?.cancel()
                    failed.transport.abort()
                }
                logger.debug("stateful reconnect attempt failed", metadata: ["error": "\(error)"])
            }
        }
        guard state == .connected, stateful?.resuming == true, !Task.isCancelled else { return }
        // The server no longer has the connection: it is lost, as without stateful reconnect.
        resumeTask = nil
        dropLink(error: HubClientError.connectionEndedDuringCall)
        await connectionLost(
            error: lastError ?? HubClientError(.connectionClosed, "The WebSocket could not be reconnected."),
            allowReconnect: true)
    }
}
