import HubBenchCore
import NIOCore
import NIOWebSocket

/// One bench connection after its WebSocket upgrade: sends the hub handshake, then counts the
/// ReceiveMessage invocations in every frame by scanning the bytes (no JSON or MessagePack
/// decoding, no task per frame), timing them when `timesLatency` is set, and hands Completions to
/// the sender when this is the sender's connection.
final class HubConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private enum Phase {
        case idle, handshaking, open, closing, closed
    }

    let index: Int
    let state: LoopState
    let writer: HubMessageWriter
    let timesLatency: Bool
    /// Set on sending connections only.
    var sender: InvocationSender?
    /// The connection id from negotiate (nil with --skip-negotiation): echo sends to it.
    var connectionID: String?
    /// The last sequence number received from each sender, by sender index.
    private var lastSequence: [UInt64: UInt64] = [:]
    /// The `AddUserToGroup` invocation (id 0) waiting for its Completion.
    private var pendingJoin: EventLoopPromise<Void>?
    private var scanner: HubMessageScanner
    private let handshakePromise: EventLoopPromise<Void>
    private var context: ChannelHandlerContext?
    private var phase = Phase.idle
    /// The payload of a fragmented text or binary message, until its last frame.
    private var fragments: ByteBuffer?
    private var forcedClose: Scheduled<Void>?

    init(
        index: Int, state: LoopState, wire: HubWireProtocol, timesLatency: Bool,
        handshakePromise: EventLoopPromise<Void>
    ) {
        self.index = index
        self.state = state
        self.writer = HubMessageWriter(wire: wire)
        self.timesLatency = timesLatency
        self.scanner = HubMessageScanner(wire: wire)
        self.handshakePromise = handshakePromise
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Sends the handshake request; the promise completes on the server's response. Call once the
    /// HTTP upgrade handler has finished (it refuses writes while upgrading).
    func startHandshake(timeout: TimeAmount) {
        // Not idle: the channel closed first, and channelInactive has failed the promise.
        guard phase == .idle else { return }
        guard let context else {
            phase = .closed
            handshakePromise.fail(HubBenchError.closedDuringHandshake)
            return
        }
        phase = .handshaking
        var buffer = context.channel.allocator.buffer(capacity: 64)
        writer.writeHandshakeRequest(into: &buffer)
        write(buffer, opcode: .text, flush: true)
        context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            guard self.phase == .handshaking else { return }
            self.handshakePromise.fail(HubBenchError.timeout("handshake"))
            self.phase = .closed
            self.context?.close(promise: nil)
        }
    }

    /// Writes one framed hub message (or several) as one masked WebSocket frame.
    func write(_ payload: ByteBuffer, flush: Bool) {
        write(payload, opcode: writer.wire == .json ? .text : .binary, flush: flush)
    }

    func flush() {
        context?.flush()
    }

    private func write(_ payload: ByteBuffer, opcode: WebSocketOpcode, flush: Bool) {
        guard let context else { return }
        // Client frames must be masked (RFC 6455 §5.3).
        let frame = WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: payload)
        if flush {
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        } else {
            context.write(wrapOutboundOut(frame), promise: nil)
        }
    }

    /// Invokes `AddUserToGroup(group)` with invocation id 0; the future completes with its
    /// Completion (failed when the Completion has an error or the connection closes first).
    func join(group: String) -> EventLoopFuture<Void> {
        guard phase == .open, let context else {
            return state.loop.makeFailedFuture(HubBenchError.closedDuringHandshake)
        }
        let promise = context.eventLoop.makePromise(of: Void.self)
        pendingJoin = promise
        var buffer = context.channel.allocator.buffer(capacity: 64)
        writer.writeInvocation(invocationID: 0, target: "AddUserToGroup", text: group, into: &buffer)
        write(buffer, flush: true)
        return promise.futureResult
    }

    func sendPing() {
        guard phase == .open, let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: 16)
        writer.writePing(into: &buffer)
        write(buffer, flush: true)
    }

    /// Sends a WebSocket Close (1000) and closes the channel when the server answers, or after 2 s.
    func beginClose() {
        guard phase == .open || phase == .handshaking, let context else { return }
        phase = .closing
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: .normalClosure)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        forcedClose = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(2)) {
            self.context?.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            if frame.fin {
                receive(frame.unmaskedData, context: context)
            } else {
                fragments = frame.unmaskedData
            }
        case .continuation:
            guard var buffer = fragments else { return }
            var data = frame.unmaskedData
            buffer.writeBuffer(&data)
            if frame.fin {
                fragments = nil
                receive(buffer, context: context)
            } else {
                fragments = buffer
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            if phase != .closing {
                // The server closes first: answer with the same code, as RFC 6455 asks.
                let reply = WebSocketFrame(
                    fin: true, opcode: .connectionClose, maskKey: .random(), data: frame.unmaskedData)
                context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
            }
            context.close(promise: nil)
        default:
            break
        }
    }

    private func receive(_ payload: ByteBuffer, context: ChannelHandlerContext) {
        // One clock read per frame, not per message: messages of one frame arrived together.
        let now = NIODeadline.now().uptimeNanoseconds
        let window = state.window
        var completed = false
        let failure = scanner.scan(payload) { kind in
            switch kind {
            case .receiveMessage(let marker?):
                if marker.sequence != 0 {
                    let last = lastSequence[marker.sender] ?? 0
                    if marker.sequence <= last {
                        state.counters.duplicates += 1
                    } else {
                        lastSequence[marker.sender] = marker.sequence
                    }
                }
                if let window, window.contains(marker.sentAt) {
                    state.counters.delivered += 1
                    if timesLatency, now > marker.sentAt { state.latency.recordNanoseconds(now - marker.sentAt) }
                } else {
                    state.counters.deliveredOutsideWindow += 1
                }
            case .receiveMessage(nil):
                state.counters.unmarked += 1
            case .completion(0?, let failed):
                if let join = pendingJoin {
                    pendingJoin = nil
                    if failed { join.fail(HubBenchError.joinFailed) } else { join.succeed(()) }
                } else {
                    state.counters.otherMessages += 1
                }
            case .completion(let id, let failed):
                if let sender, let id {
                    sender.completed(invocationID: id, failed: failed, now: now)
                    completed = true
                } else {
                    state.counters.otherMessages += 1
                }
            case .ping:
                state.counters.serverPings += 1
            case .close(let hasError):
                if hasError { state.counters.serverCloseErrors += 1 }
            case .other:
                state.counters.otherMessages += 1
            case .malformed:
                state.counters.malformed += 1
            case .handshake(let error):
                handshakeDone(error: error)
            }
        }
        if completed { sender?.flush() }
        if failure != nil {
            state.counters.malformed += 1
            context.close(promise: nil)
        }
    }

    private func handshakeDone(error: String?) {
        guard phase == .handshaking else { return }
        if let error {
            phase = .closed
            handshakePromise.fail(HubBenchError.handshakeRejected(error))
            context?.close(promise: nil)
            return
        }
        phase = .open
        state.connections[index] = self
        handshakePromise.succeed(())
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch phase {
        case .idle, .handshaking:
            handshakePromise.fail(HubBenchError.closedDuringHandshake)
        case .open:
            state.counters.disconnects += 1
        case .closing, .closed:
            break
        }
        phase = .closed
        forcedClose?.cancel()
        state.connections[index] = nil
        sender?.connectionLost()
        pendingJoin?.fail(HubBenchError.closedDuringHandshake)
        pendingJoin = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Counted when the channel goes inactive (a disconnect, or a failed handshake).
        context.close(promise: nil)
    }
}
