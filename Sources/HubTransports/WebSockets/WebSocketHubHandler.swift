import HubProtocol
import Hubs
import Logging
import NIOCore
import NIOWebSocket

/// The data path of one hub connection over WebSockets: NIO frames in, the hub session's wire
/// bytes out, all on the channel's event loop.
///
/// Data frames (text, binary and their continuations) go to the session byte for byte, since
/// hub messages are self-delimiting; pings get pongs; the client's close frame is answered and
/// the socket closed. Frames from the hub are written, already whole, through
/// ``WebSocketRawWriter``. Backpressure from client-to-server streams holds back `read()`.
final class WebSocketHubHandler: ChannelDuplexHandler, HubTransport, @unchecked Sendable {
    // @unchecked: every mutable property is touched on `eventLoop` only (NIO calls handlers there,
    // and the session calls the transport methods there).
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = Never
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private enum State {
        case open
        /// Our close frame is out; waiting for the client's, or for the timeout.
        case closing
        case closed
    }

    struct Connection: Sendable {
        let endpoint: HubEndpoint
        let connectionId: String
        let user: HubUser
        let request: HubConnectionRequest
        let closeTimeout: TimeAmount
        /// Whether writes may take the short way to the socket (``DirectSocketWriter``).
        let directWrites: Bool
        /// Called once when the server is asked to quiesce (graceful shutdown).
        let onQuiesce: @Sendable () -> Void
    }

    let eventLoop: any EventLoop
    private let connection: Connection
    private let logger: Logger
    private var context: ChannelHandlerContext?
    private var rawContext: ChannelHandlerContext?
    private var session: HubConnectionSession?
    private var state = State.open
    private var readingPaused = false
    private var pendingRead = false
    private var closeTimer: Scheduled<Void>?
    /// The short way to the socket (see ``DirectSocketWriter``), once the client has sent data.
    private var direct: DirectSocketWriter?
    /// Bytes written for the direct path and not flushed yet.
    private var held: ByteBuffer?
    /// Writes handed to the channel and not completed: while there are any, the direct path is
    /// closed, so nothing overtakes them.
    private var channelOwed = 0
    /// The socket's descriptor could not be found: everything goes through the channel.
    private var directRefused = false

    init(eventLoop: any EventLoop, connection: Connection, logger: Logger) {
        self.eventLoop = eventLoop
        self.connection = connection
        self.logger = logger
    }

    // MARK: HubTransport

    var transferFormats: HubTransferFormat { [.text, .binary] }
    var sendsKeepAlive: Bool { true }
    var wireEncoding: HubWireEncoding { WebSocketWire.encoding }
    /// The channel's writability as of its last change event: read once per message written, so
    /// it is kept here rather than asked of the channel (an atomic load behind two references).
    var isWritable: Bool { context != nil && writable }
    private var writable = true

    func write(_ bytes: ByteBuffer) {
        guard state == .open else { return }
        if direct != nil && channelOwed == 0 {
            if var held = held.take() {
                held.writeImmutableBuffer(bytes)
                self.held = held
            } else {
                held = bytes
            }
            return
        }
        writeToChannel(bytes)
    }

    func flush() {
        if var held = held.take() {
            if let sent = direct?.send(held) {
                // Nothing was queued in the channel (`held` is only kept while nothing is), so
                // there is nothing of it to flush either.
                if sent == held.readableBytes { return }
                held.moveReaderIndex(forwardBy: sent)
            }
            writeToChannel(held)
        }
        flushChannel()
    }

    /// Hands bytes to the channel, after any the direct path still holds. With direct writes on,
    /// each one is counted until the channel has written it, from the first (before the direct
    /// path opens) on.
    private func writeToChannel(_ bytes: ByteBuffer) {
        guard let rawContext else { return }
        if let held = held.take() { writeToChannel(held) }
        guard connection.directWrites else {
            rawContext.write(NIOAny(bytes), promise: nil)
            return
        }
        channelOwed += 1
        let promise = eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { _ in self.channelOwed -= 1 }
        rawContext.write(NIOAny(bytes), promise: promise)
    }

    private func flushChannel() {
        rawContext?.flush()
    }

    func setReading(_ enabled: Bool) {
        if enabled {
            resumeReading()
        } else if state == .open {
            readingPaused = true
        }
    }

    func close(normal: Bool) {
        guard state == .open, rawContext != nil else { return }
        state = .closing
        writeToChannel(WebSocketWire.closeFrame(code: normal ? 1000 : 1011))
        flushChannel()
        // Keep reading so the client's close frame (and anything before it) is consumed; closing
        // with unread input would reset the connection and could lose our last frames.
        resumeReading()
        closeTimer = eventLoop.scheduleTask(in: connection.closeTimeout) { [weak self] in
            self?.context?.close(promise: nil)
        }
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.writable = context.channel.isWritable
        self.rawContext = try? context.pipeline.syncOperations.context(handlerType: WebSocketRawWriter.self)
        session = connection.endpoint.makeSession(
            transport: self, connectionId: connection.connectionId, user: connection.user,
            request: connection.request)
        if !context.channel.isActive { finish() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
        self.context = nil
        self.rawContext = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary, .continuation:
            guard state == .open, let session else { return }
            if direct == nil && !directRefused && connection.directWrites && channelOwed == 0,
                (try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)) == 0
            {
                // Opened once the channel has nothing queued: the client's first data normally
                // comes after it has read the upgrade response (written through the channel before
                // this handler was added), and this handler's own writes are counted.
                direct = DirectSocketWriter(channel: context.channel)
                directRefused = direct == nil
            }
            var payload = frame.unmaskedData
            session.receive(&payload)
        case .ping:
            guard state == .open else { return }
            writeToChannel(WebSocketWire.frame(opcode: WebSocketWire.pongOpcode, payload: frame.unmaskedData))
            flushChannel()
        case .connectionClose:
            if state == .open {
                // Echo the client's status code, as RFC 6455 §5.5.1 asks.
                var payload = frame.unmaskedData
                let code = payload.readInteger(as: UInt16.self) ?? 1000
                state = .closing
                writeToChannel(WebSocketWire.closeFrame(code: code))
                flushChannel()
            }
            finish()
            context.close(promise: nil)
        default:
            break
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        writable = context.channel.isWritable
        session?.writabilityChanged(isWritable: writable)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("WebSocket connection failed", metadata: ["error": "\(error)"])
        finish()
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            // The server is shutting down gracefully: the hubs close their connections with a
            // Close message, which ends this channel.
            connection.onQuiesce()
            return
        }
        if let event = event as? ChannelEvent, event == .inputClosed {
            // The client closed its side without a close frame (it vanished). The server allows
            // half-closure for HTTP, so nothing else would end this channel until a write failed.
            finish()
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func read(context: ChannelHandlerContext) {
        if readingPaused {
            pendingRead = true
        } else {
            context.read()
        }
    }

    // MARK: Helpers

    private func resumeReading() {
        readingPaused = false
        if pendingRead, let context {
            pendingRead = false
            context.read()
        }
    }

    /// Tells the session, once, that the transport has ended.
    private func finish() {
        guard state != .closed else { return }
        state = .closed
        closeTimer?.cancel()
        closeTimer = nil
        readingPaused = false
        direct = nil
        held = nil
        session?.transportClosed()
    }
}
