import HubProtocol
import Hubs
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
@_spi(WSInternal) import WSCore

/// The data path of one hub connection driven by Hummingbird's async WebSocket API: the
/// alternative to ``WebSocketHubHandler``, selected with
/// ``HubRouteOptions/webSocketDataPath`` = ``HubWebSocketDataPath/asyncWriter``.
///
/// The channel is wrapped in an `NIOAsyncChannel<WebSocketFrame, WebSocketFrame>` and run by
/// `WSCore`'s `WebSocketHandler`, exactly as `HummingbirdWebSocket`'s upgrade channel runs a
/// WebSocket route: it answers pings, runs the close handshake, and hands the data handler a
/// `WebSocketInboundStream` and a `WebSocketOutboundWriter`. The data handler here runs two
/// loops: the inbound loop passes every data frame to the hub session on the event loop, and the
/// writer loop writes each hub message with `WebSocketOutboundWriter.write(_:)`, one
/// `WebSocketFrame` at a time (NIO's `WebSocketFrameEncoder` builds its header per connection).
///
/// The hub session calls the ``HubTransport`` methods on the event loop; ``flush()`` hands what
/// was queued to the writer task through an `AsyncStream`.
final class AsyncWebSocketHubTransport: HubTransport, @unchecked Sendable {
    // @unchecked: the mutable properties below are touched on `eventLoop` only; `queuedBytes`
    // and `reportedUnwritable` are atomics shared with the writer task.

    private enum State {
        case open
        /// Our close frame is queued; waiting for the client's, or for the timeout.
        case closing
        case closed
    }

    private enum Outgoing: Sendable {
        case frame(WebSocketFrame)
        case close(WebSocketErrorCode)
    }

    /// The hub framework's encoding for this path: the frame's opcode in one byte, then the
    /// payload (framed hub messages). Built once per fan-out like the channel handler's frames;
    /// the header proper is written by NIO's encoder for each connection.
    static let encoding = HubWireEncoding(name: "websocket-async") { payload, format in
        var bytes = ByteBufferAllocator().buffer(capacity: payload.readableBytes + 1)
        bytes.writeInteger(format == .binary ? WebSocketWire.binaryOpcode : WebSocketWire.textOpcode)
        var payload = payload
        bytes.writeBuffer(&payload)
        return bytes
    }

    /// Above this many bytes queued for the writer task, the transport reports itself not
    /// writable (NIO's default high water mark for a channel).
    static let highWaterMark = 64 * 1024

    let eventLoop: any EventLoop
    private let asyncChannel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>
    private let connection: WebSocketHubHandler.Connection
    private let maximumFrameSize: Int
    private let logger: Logger
    private var session: HubConnectionSession?
    private var state = State.open
    private var pending: [Outgoing] = []
    private let outgoing: AsyncStream<[Outgoing]>
    private let outgoingContinuation: AsyncStream<[Outgoing]>.Continuation
    private let queuedBytes = Atomic<Int>(0)
    private let reportedUnwritable = Atomic<Bool>(false)
    private var readingPaused = false
    private var readerWaiting: CheckedContinuation<Void, Never>?
    private var closeTimer: Scheduled<Void>?

    /// Makes the transport and its hub session; call on the channel's event loop, from the
    /// upgrade, before any frame is read.
    init(
        asyncChannel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, connection: WebSocketHubHandler.Connection,
        maximumFrameSize: Int, logger: Logger
    ) {
        self.eventLoop = asyncChannel.channel.eventLoop
        self.asyncChannel = asyncChannel
        self.connection = connection
        self.maximumFrameSize = maximumFrameSize
        self.logger = logger
        (outgoing, outgoingContinuation) = AsyncStream.makeStream(of: [Outgoing].self)
        eventLoop.assertInEventLoop()
        session = connection.endpoint.makeSession(
            transport: self, connectionId: connection.connectionId, user: connection.user,
            request: connection.request)
        asyncChannel.channel.closeFuture.whenComplete { [self] _ in
            eventLoop.execute { self.finish() }
        }
    }

    // MARK: HubTransport

    var transferFormats: HubTransferFormat { [.text, .binary] }
    var sendsKeepAlive: Bool { true }
    var wireEncoding: HubWireEncoding { Self.encoding }

    var isWritable: Bool {
        if queuedBytes.load(ordering: .relaxed) <= Self.highWaterMark { return true }
        reportedUnwritable.store(true, ordering: .relaxed)
        return false
    }

    func write(_ bytes: ByteBuffer) {
        guard state == .open else { return }
        var bytes = bytes
        guard let opcode = bytes.readInteger(as: UInt8.self) else { return }
        queuedBytes.add(bytes.readableBytes, ordering: .relaxed)
        pending.append(
            .frame(WebSocketFrame(fin: true, opcode: WebSocketOpcode(encodedWebSocketOpcode: opcode)!, data: bytes)))
    }

    func flush() {
        guard !pending.isEmpty else { return }
        outgoingContinuation.yield(pending)
        pending.removeAll(keepingCapacity: true)
    }

    func setReading(_ enabled: Bool) {
        if enabled {
            readingPaused = false
            readerWaiting?.resume()
            readerWaiting = nil
        } else if state == .open {
            readingPaused = true
        }
    }

    func close(normal: Bool) {
        guard state == .open else { return }
        state = .closing
        pending.append(.close(normal ? .normalClosure : .unexpectedServerError))
        outgoingContinuation.yield(pending)
        pending.removeAll()
        outgoingContinuation.finish()
        // Keep reading so the client's close frame is consumed.
        setReading(true)
        let channel = asyncChannel.channel
        closeTimer = eventLoop.scheduleTask(in: connection.closeTimeout) { channel.close(promise: nil) }
    }

    // MARK: Running

    /// Serves the connection until it closes: `WSCore`'s WebSocket handler with this transport's
    /// data handler.
    ///
    /// Runs detached from the server's task so the handler's own graceful-shutdown hook (which
    /// would send close code 1000 at once) stays out of the way: on shutdown the hubs close their
    /// connections with a Close message first, as on the channel-handler path.
    func run() async {
        let configuration = WebSocketHandler.Configuration(
            extensions: [], autoPing: .disabled,
            closeTimeout: .nanoseconds(connection.closeTimeout.nanoseconds), validateUTF8: false,
            maxFrameSize: maximumFrameSize)
        let context = Context(logger: logger)
        let task = Task.detached { [self] in
            do {
                _ = try await WebSocketHandler.handle(
                    type: .server, configuration: configuration, asyncChannel: asyncChannel, context: context,
                    handler: { inbound, outbound, _ in await self.handle(inbound: inbound, outbound: outbound) })
            } catch {
                logger.debug("WebSocket connection failed", metadata: ["error": "\(error)"])
            }
        }
        await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            task.cancel()
        }
    }

    private struct Context: WebSocketContext {
        let logger: Logger
    }

    private func handle(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.writeLoop(outbound) }
            await readLoop(inbound)
            // The client closed (or the socket failed): nothing more can be sent.
            group.cancelAll()
        }
    }

    private func readLoop(_ inbound: WebSocketInboundStream) async {
        do {
            for try await frame in inbound {
                let paused = try await eventLoop.submit { [self] () -> Bool in
                    guard state == .open, let session else { return false }
                    var payload = frame.data
                    session.receive(&payload)
                    return readingPaused
                }.get()
                if paused {
                    await withCheckedContinuation { continuation in
                        eventLoop.execute { [self] in
                            if readingPaused { readerWaiting = continuation } else { continuation.resume() }
                        }
                    }
                }
            }
        } catch {
            logger.debug("WebSocket read failed", metadata: ["error": "\(error)"])
        }
    }

    private func writeLoop(_ outbound: WebSocketOutboundWriter) async {
        do {
            for await batch in outgoing {
                var written = 0
                for item in batch {
                    switch item {
                    case .frame(let frame):
                        written += frame.data.readableBytes
                        try await outbound.write(.custom(frame))
                    case .close(let code):
                        try await outbound.close(code, reason: nil)
                        return
                    }
                }
                let left = queuedBytes.subtract(written, ordering: .relaxed).newValue
                if left <= Self.highWaterMark / 2, reportedUnwritable.exchange(false, ordering: .relaxed) {
                    eventLoop.execute { [self] in session?.writabilityChanged(isWritable: true) }
                }
            }
        } catch {
            logger.debug("WebSocket write failed", metadata: ["error": "\(error)"])
        }
    }

    /// Tells the session, once, that the transport has ended.
    private func finish() {
        guard state != .closed else { return }
        state = .closed
        closeTimer?.cancel()
        closeTimer = nil
        pending.removeAll()
        outgoingContinuation.finish()
        readingPaused = false
        readerWaiting?.resume()
        readerWaiting = nil
        session?.transportClosed()
    }
}

/// Passes `ChannelShouldQuiesceEvent` (the server quiescing) to the hubs for an async-path
/// WebSocket, which `NIOAsyncChannel` would otherwise drop.
final class WebSocketQuiesceHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame

    private let onQuiesce: @Sendable () -> Void

    init(onQuiesce: @escaping @Sendable () -> Void) {
        self.onQuiesce = onQuiesce
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            onQuiesce()
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
