import HubProtocol
import Logging
import NIOCore
import Synchronization

/// The server side of one hub connection, between its transport and the hub: handshake, message
/// decoding, dispatch, keep-alive and timeouts, backpressure and close.
///
/// A transport makes one with ``HubEndpoint/makeSession(transport:connectionId:user:request:)`` and
/// then, on its event loop, feeds it input (``receive(_:)``), tells it about writability
/// (``writabilityChanged(isWritable:)``) and about the end of the transport (``transportClosed()``).
/// Reads, writes and timers run on the event loop; hub methods run in one task per connection
/// (``HubOptions/maximumParallelInvocationsPerClient`` at a time), streams in their own tasks.
public final class HubConnectionSession: @unchecked Sendable {
    // @unchecked: the mutable state below is touched on `transport.eventLoop` only (asserted);
    // the immutable properties and `invocations` (a Mutex) are safe anywhere.
    enum Phase {
        case handshaking
        case connected
        case closed
    }

    /// A parsed Invocation or StreamInvocation waiting for the connection's task.
    struct Work: Sendable {
        let invocationId: String?
        let target: String
        let arguments: HubArguments
        let streamIds: [String]
        let streams: [HubStreamSource]
        let isStreamInvocation: Bool
        /// Runs beside the queue (a streaming method, in either direction).
        let inBackground: Bool
        /// Its id was already in use when it was read.
        let duplicateId: Bool
    }

    let endpoint: HubEndpoint
    let transport: any HubTransport
    /// The public connection id.
    public let connectionId: String
    let user: HubUser
    let request: HubConnectionRequest
    let ticker: HubEventLoopTicker
    let logger: Logger
    /// The transport's encoding, read once so other threads never call the transport.
    let wireEncoding: HubWireEncoding

    private var phase = Phase.handshaking
    /// The handshake until it is complete, then a hub message cut across reads.
    private var pending = ByteBuffer()
    private var decoder: HubMessageDecoder?
    /// Set once on the event loop, before the connection's task starts, and never changed; so the
    /// task may read it.
    private(set) var connection: HubConnection?
    private var startTick: UInt64
    private var lastReadTick: UInt64
    private var lastWriteTick: UInt64
    private var unwritableBytes = 0
    /// Set while this session waits in its shard's list of connections to flush.
    var flushQueued = false
    /// Messages from the shard waiting for the flush (see `writeWire(_:coalescing:)`).
    private var outbox: ByteBuffer?
    /// The outbox is one message's shared bytes, not a buffer of its own yet.
    private var outboxShared = false
    private var uploadStreams: [String: HubStreamSource] = [:]
    /// Reasons reading is paused now: full upload buffers, and a full invocation queue.
    private var pauses = 0
    /// Invocations read but not yet taken by the connection's task.
    /// Counted with atomics so the connection's task needs no hop to the event loop per
    /// invocation; it hops only to resume reading.
    private let queuedWork = Atomic<Int>(0)
    /// Whether a full queue paused reading; whoever flips it back to `false` resumes reading.
    private let pausedForWork = Atomic<Bool>(false)
    /// Why the connection ended, for `onDisconnected`; read by the task after the work stream ends.
    private(set) var disconnectError: (any Error)?
    /// Invocations read and not yet taken, and the state of the task taking them.
    let workQueue = Mutex(HubWorkQueue())
    /// A streaming invocation with an id, from the moment it is read (so a CancelInvocation that
    /// overtakes its dispatch still counts) until it ends.
    enum InvocationEntry {
        case queued(cancelled: Bool)
        case running(Task<Void, Never>)
    }

    /// Streaming invocations by invocation id, for cancellation and the "already in use" check.
    let invocations = Mutex<[String: InvocationEntry]>([:])
    /// Whether the client has sent a Ping: as in ASP.NET Core, the client timeout is enforced
    /// from then on (a raw client that never pings is not dropped).
    private var clientTimeoutArmed = false

    init(
        endpoint: HubEndpoint, transport: any HubTransport, connectionId: String, user: HubUser,
        request: HubConnectionRequest, ticker: HubEventLoopTicker
    ) {
        self.endpoint = endpoint
        self.transport = transport
        self.connectionId = connectionId
        self.user = user
        self.request = request
        self.ticker = ticker
        self.wireEncoding = transport.wireEncoding
        var logger = endpoint.logger
        logger[metadataKey: "hub.connection"] = .string(connectionId)
        self.logger = logger
        self.startTick = ticker.tick
        self.lastReadTick = ticker.tick
        self.lastWriteTick = ticker.tick
    }

    var options: HubOptions { endpoint.options }

    /// Whether the connection has ended.
    public var isClosed: Bool {
        transport.eventLoop.assertInEventLoop()
        return phase == .closed
    }

    // MARK: Input

    /// Handles bytes from the client (the handshake, then framed hub messages); consumes `input`.
    public func receive(_ input: inout ByteBuffer) {
        transport.eventLoop.assertInEventLoop()
        lastReadTick = ticker.tick
        switch phase {
        case .handshaking:
            pending.writeBuffer(&input)
            readHandshake()
        case .connected:
            readMessages(&input)
        case .closed:
            input.moveReaderIndex(to: input.writerIndex)
        }
    }

    private func readHandshake() {
        let request: HandshakeRequest
        do {
            guard let parsed = try HandshakeRequest.parse(&pending, maximumSize: options.maximumReceiveMessageSize)
            else { return }
            request = parsed
        } catch {
            let response: HandshakeResponse
            if error.code == .handshakeCanceled {
                response = .canceled
            } else {
                response = .unexpectedError(
                    detail: options.enableDetailedErrors ? "InvalidDataException: \(error.message)" : nil)
            }
            logger.debug("Hub handshake failed", metadata: ["error": "\(error)"])
            refuseHandshake(response)
            return
        }
        let protocols = endpoint.protocols
        switch HandshakeSelection.select(request, from: protocols, transferFormats: transport.transferFormats) {
        case .rejected(let response):
            logger.debug("Hub handshake refused", metadata: ["error": "\(response.error ?? "")"])
            refuseHandshake(response)
        case .accepted(let hubProtocol, let version):
            accept(hubProtocol: hubProtocol, version: version)
        }
    }

    private func refuseHandshake(_ response: HandshakeResponse) {
        var bytes = ByteBuffer()
        response.write(into: &bytes)
        writeWire(wireEncoding.wireBytes(for: bytes, format: .text))
        flush()
        phase = .closed
        ticker.remove(self)
        transport.close(normal: false)
    }

    private func accept(hubProtocol: any HubProtocol, version: Int) {
        var response = ByteBuffer()
        HandshakeResponse.success.write(into: &response)
        // The handshake response is JSON text for every protocol; binary transports carry it in
        // the protocol's format (a WebSocket binary frame for MessagePack).
        writeWire(wireEncoding.wireBytes(for: response, format: hubProtocol.transferFormat))
        flush()
        let connection = HubConnection(session: self, hubProtocol: hubProtocol, protocolVersion: version)
        self.connection = connection
        self.decoder = HubMessageDecoder(
            hubProtocol: hubProtocol, maximumMessageSize: options.maximumReceiveMessageSize)
        phase = .connected
        Task { await self.run(connection: connection) }
        var rest = pending
        pending = ByteBuffer()
        if rest.readableBytes > 0 { readMessages(&rest) }
    }

    private func readMessages(_ input: inout ByteBuffer) {
        // A frame cut across reads waits in `pending` (the transport reuses its buffers).
        if pending.readableBytes > 0 {
            pending.writeBuffer(&input)
            decodeMessages(&pending)
            pending.discardReadBytes()
        } else {
            decodeMessages(&input)
            if input.readableBytes > 0 {
                pending = input
                input.moveReaderIndex(to: input.writerIndex)
            }
        }
    }

    private func decodeMessages(_ input: inout ByteBuffer) {
        guard var decoder else { return }
        do {
            while phase == .connected, let message = try decoder.next(&input) {
                handle(message)
            }
        } catch {
            logger.debug("Hub message refused", metadata: ["error": "\(error)"])
            closeWithError(error, reason: "InvalidDataException: \(error.message)")
            return
        }
        if phase == .connected { self.decoder = decoder }
    }

    private func handle(_ message: HubMessage) {
        switch message {
        case .invocation(let invocation):
            enqueue(
                id: invocation.invocationId, target: invocation.target, arguments: invocation.arguments,
                streamIds: invocation.streamIds, isStreamInvocation: false)
        case .streamInvocation(let invocation):
            enqueue(
                id: invocation.invocationId, target: invocation.target, arguments: invocation.arguments,
                streamIds: invocation.streamIds, isStreamInvocation: true)
        case .streamItem(let item):
            guard let source = uploadStreams[item.invocationId] else {
                logger.debug("Stream item for an unknown stream dropped", metadata: ["stream": "\(item.invocationId)"])
                return
            }
            if source.yield(item.item) { pauseReading() }
        case .completion(let completion):
            if let source = uploadStreams.removeValue(forKey: completion.invocationId) {
                source.finish(error: completion.error)
            } else {
                endpoint.lifetimeManager.setConnectionResult(connectionId: connectionId, completion: completion)
            }
        case .cancelInvocation(let cancel):
            let task = invocations.withLock { entries -> Task<Void, Never>? in
                switch entries[cancel.invocationId] {
                case .queued?:
                    entries[cancel.invocationId] = .queued(cancelled: true)
                    return nil
                case .running(let task)?:
                    return task
                case nil:
                    return nil
                }
            }
            task?.cancel()
        case .close(let close):
            logger.debug("Client closed the connection", metadata: ["error": "\(close.error ?? "")"])
            transport.close(normal: true)
            // As in ASP.NET Core, a client's error reaches onDisconnected as a HubException.
            teardown(error: close.error.map { HubError($0) })
        case .ping:
            clientTimeoutArmed = true
        case .ack, .sequence:
            break
        }
    }

    private func openStreams(_ ids: [String]) -> [HubStreamSource] {
        guard !ids.isEmpty else { return [] }
        let loop = transport.eventLoop
        return ids.map { id in
            let source = HubStreamSource(streamId: id, capacity: options.streamBufferCapacity) { [weak self] in
                let session = self
                loop.execute { session?.streamResumed() }
            }
            uploadStreams[id] = source
            return source
        }
    }

    private func streamResumed() {
        resumeReading()
    }

    private func pauseReading() {
        pauses += 1
        if pauses == 1 { transport.setReading(false) }
    }

    private func resumeReading() {
        guard pauses > 0 else { return }
        pauses -= 1
        if pauses == 0 && phase == .connected {
            // Time spent paused by the server does not count against the client.
            lastReadTick = ticker.tick
            transport.setReading(true)
        }
    }

    /// The most invocations waiting for the connection's task before reading pauses (ASP.NET Core
    /// stops reading while the parallel-invocation limit is used up; a little slack keeps
    /// pipelined calls flowing).
    private var workLimit: Int { max(8, 4 * options.maximumParallelInvocationsPerClient) }

    /// The connection's task took an invocation (called from that task, not the event loop).
    func workTaken() {
        let left = queuedWork.subtract(1, ordering: .acquiringAndReleasing).newValue
        if left <= workLimit / 2, unpauseForWork() {
            ticker.eventLoop.execute { self.resumeReading() }
        }
    }

    /// Clears the full-queue pause; `true` for the one caller that cleared it.
    private func unpauseForWork() -> Bool {
        pausedForWork.compareExchange(expected: true, desired: false, ordering: .acquiringAndReleasing).exchanged
    }

    /// Drops the sources of streams an invocation no longer reads (on the event loop).
    func closeStreams(_ ids: [String]) {
        transport.eventLoop.execute {
            for id in ids {
                self.uploadStreams.removeValue(forKey: id)?.close()
            }
        }
    }

    private func enqueue(
        id: String?, target: String, arguments: HubArguments, streamIds: [String], isStreamInvocation: Bool
    ) {
        let inBackground =
            isStreamInvocation || !streamIds.isEmpty
            || (endpoint.definition.method(named: target)?.isStreaming ?? false)
        var duplicate = false
        if inBackground, let id {
            duplicate = invocations.withLock { entries in
                if entries[id] != nil { return true }
                entries[id] = .queued(cancelled: false)
                return false
            }
        }
        let queued = queuedWork.add(1, ordering: .acquiringAndReleasing).newValue
        if queued > workLimit && !pausedForWork.load(ordering: .acquiring) {
            pausedForWork.store(true, ordering: .releasing)
            pauseReading()
            // The task may have drained the queue since the count above; then nobody else would
            // resume reading.
            if queuedWork.load(ordering: .acquiring) <= workLimit / 2, unpauseForWork() { resumeReading() }
        }
        queueWork(
            Work(
                invocationId: id, target: target, arguments: arguments, streamIds: streamIds,
                streams: duplicate ? [] : openStreams(streamIds), isStreamInvocation: isStreamInvocation,
                inBackground: inBackground, duplicateId: duplicate))
    }

    // MARK: Output

    /// Queues wire bytes unless the connection has closed; disconnects a client that lets more
    /// than ``HubOptions/maximumOutboundBufferedBytes`` pile up.
    ///
    /// With `coalescing`, the bytes wait in the session's outbox until the next write or flush
    /// and go to the transport together with the others written meanwhile: one buffer (one pass
    /// through the channel pipeline) for a burst of messages instead of one per message.
    func writeWire(_ bytes: ByteBuffer, coalescing: Bool = false) {
        transport.eventLoop.assertInEventLoop()
        guard phase != .closed else { return }
        lastWriteTick = ticker.tick
        if !transport.isWritable {
            unwritableBytes += bytes.readableBytes
            if unwritableBytes > options.maximumOutboundBufferedBytes {
                slowConsumer()
                return
            }
        }
        if coalescing {
            guard var box = outbox.take() else {
                // The first message is kept as it is (its bytes are shared with the other
                // connections); it is copied only when a second one joins it.
                outbox = bytes
                outboxShared = true
                return
            }
            if outboxShared {
                var copy = ByteBufferAllocator().buffer(
                    capacity: max(1024, 2 * (box.readableBytes + bytes.readableBytes)))
                copy.writeImmutableBuffer(box)
                box = copy
                outboxShared = false
            }
            box.writeImmutableBuffer(bytes)
            outbox = box
            return
        }
        sendOutbox()
        transport.write(bytes)
    }

    private func sendOutbox() {
        if let box = outbox.take() { transport.write(box) }
    }

    /// Sends what was queued.
    func flush() {
        transport.eventLoop.assertInEventLoop()
        sendOutbox()
        transport.flush()
    }

    /// The transport's socket became writable or not.
    public func writabilityChanged(isWritable: Bool) {
        transport.eventLoop.assertInEventLoop()
        if isWritable { unwritableBytes = 0 }
    }

    private func slowConsumer() {
        logger.warning(
            "Hub connection closed: the client does not read fast enough",
            metadata: ["buffered": "\(unwritableBytes)", "limit": "\(options.maximumOutboundBufferedBytes)"])
        endpoint.metrics.slowConsumerDisconnects.increment()
        transport.close(normal: false)
        teardown(error: HubError(.deliveryFailed, "The client did not read its messages fast enough."))
    }

    func writeMessage(_ message: HubMessage) {
        guard let connection else { return }
        do {
            let framed = try connection.hubProtocol.serialize(message)
            writeWire(wireEncoding.wireBytes(for: framed, format: connection.hubProtocol.transferFormat))
        } catch {
            logSerializationFailure(error)
        }
    }

    func logSerializationFailure(_ error: any Error) {
        endpoint.metrics.messagesDropped.increment()
        logger.error("A hub message could not be serialized", metadata: ["error": "\(error)"])
    }

    // MARK: Timers

    func onTick(_ tick: UInt64) {
        switch phase {
        case .handshaking:
            if tick &- startTick >= ticker.ticks(options.handshakeTimeout) {
                logger.debug("Hub handshake timed out")
                refuseHandshake(.canceled)
            }
        case .connected:
            // A pause the server caused (a full upload buffer) does not count against the client.
            if clientTimeoutArmed && pauses == 0
                && tick &- lastReadTick > ticker.ticks(options.clientTimeoutInterval)
            {
                logger.debug("Hub client timed out")
                close(with: CloseMessage(error: nil, allowReconnect: true), normal: false)
                return
            }
            if transport.sendsKeepAlive && tick &- lastWriteTick >= ticker.ticks(options.keepAliveInterval) {
                writeMessage(.ping)
                flush()
            }
        case .closed:
            break
        }
    }

    // MARK: Close

    /// Sends `message` (when connected), then ends the transport and the session.
    func close(with message: CloseMessage, normal: Bool) {
        transport.eventLoop.assertInEventLoop()
        guard phase != .closed else { return }
        if phase == .connected {
            writeMessage(.close(message))
            flush()
        }
        transport.close(normal: normal)
        teardown()
    }

    private func closeWithError(_ error: any Error, reason: String) {
        var text = "Connection closed with an error."
        if options.enableDetailedErrors { text += " " + reason }
        disconnectError = error
        close(with: CloseMessage(error: text, allowReconnect: false), normal: false)
    }

    /// The transport has ended (the peer closed, or the socket failed).
    public func transportClosed() {
        transport.eventLoop.assertInEventLoop()
        teardown()
    }

    private func teardown(error: (any Error)? = nil) {
        guard phase != .closed else { return }
        phase = .closed
        if let error, disconnectError == nil { disconnectError = error }
        ticker.remove(self)
        for source in uploadStreams.values { source.close(error: "The connection was closed.") }
        uploadStreams.removeAll()
        decoder = nil
        finishWork()
        if let connection {
            connection.markAborted()
            endpoint.lifetimeManager.connectionAborted(connection)
        }
    }

    /// Breaks the session ⇄ connection cycle once the connection's task has finished.
    func release() {
        transport.eventLoop.assertInEventLoop()
        connection = nil
    }
}
