import HubBenchCore
import NIOCore
import NIOWebSocket

/// One bench connection after its WebSocket upgrade: sends the hub handshake, then counts the
/// ReceiveMessage invocations in every frame by scanning the bytes (no JSON or MessagePack
/// decoding, no task per frame), timing them when `timesLatency` is set, and hands Completions to
/// the sender when this is the sender's connection.
///
/// It reads the socket's bytes itself (NIO's frame decoder is taken out of the pipeline): server
/// frames are unmasked, and the hub's own framing (0x1E or VarInt lengths) does not depend on
/// WebSocket frame boundaries, so a data frame's payload goes to the scanner as it arrives, with
/// no frame object, no copy and no pipeline hop per frame. Outbound frames still go through NIO's
/// encoder.
final class HubConnectionHandler: ChannelInboundHandler, BenchMessageSink {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    private enum Phase {
        case idle, handshaking, open, closing, closed
    }

    let index: Int
    let state: LoopState
    let writer: HubMessageWriter
    let timesLatency: Bool
    /// Raw WebSocket mode (nchan's subscriber): no hub handshake, every frame is one message.
    let raw: Bool
    /// Raw mode: the current frame's payload, when it came in more than one read.
    private var rawPayload = ByteBuffer()
    /// Set on sending connections only.
    var sender: InvocationSender?
    /// The connection id from negotiate (nil with --skip-negotiation): echo sends to it.
    var connectionID: String?
    /// The last sequence number received from each sender, by sender index.
    @exclusivity(unchecked) private var lastSequence: [UInt64: UInt64] = [:]
    /// The `AddUserToGroup` invocation (id 0) waiting for its Completion.
    private var pendingJoin: EventLoopPromise<Void>?
    @exclusivity(unchecked) private var scanner: HubMessageScanner
    private let handshakePromise: EventLoopPromise<Void>
    private var context: ChannelHandlerContext?
    private var phase = Phase.idle
    /// Bytes of an incomplete frame header or control frame, until the rest arrives.
    private var partial = ByteBuffer()
    /// Payload bytes of the current data frame not received yet.
    private var dataRemaining = 0
    private let maxFrameSize: Int
    private var forcedClose: Scheduled<Void>?

    init(
        index: Int, state: LoopState, wire: HubWireProtocol, timesLatency: Bool, maxFrameSize: Int,
        raw: Bool = false, handshakePromise: EventLoopPromise<Void>
    ) {
        self.maxFrameSize = maxFrameSize
        self.raw = raw
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
        if raw {
            phase = .handshaking
            handshakeDone(error: nil)
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

    var loop: any EventLoop { state.loop }

    func send(invocationID: UInt64, target: String, leading: [String], text: String) {
        var buffer = ByteBuffer()
        writer.writeInvocation(invocationID: invocationID, target: target, leading: leading, text: text, into: &buffer)
        write(buffer, flush: false)
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
        receive(unwrapInboundIn(data), context: context)
    }

    /// The channel, while it is active and its hub handshake is done: what ``RawReceiver`` reads.
    var openChannel: (any Channel)? {
        guard phase == .open, let channel = context?.channel, channel.isActive else { return nil }
        return channel
    }

    /// Whether `channelInactive` has come. SwiftNIO sends it from `close0` right after closing the
    /// descriptor; only what `close0` calls synchronously runs in between (promise callbacks, the
    /// close's `errorCaught`), never a task of the loop. So for ``RawReceiver``, which reads only
    /// from its own loop tasks, `!inactive` means the descriptor is still open. A stored flag, so
    /// that check does not reach into the channel on every read.
    private(set) var inactive = false

    /// Bytes ``RawReceiver`` read from the socket itself.
    func receiveRead(_ input: ByteBuffer) {
        guard phase != .closed, let context else { return }
        receive(input, context: context)
    }

    /// One read's bytes, from the channel or from ``RawReceiver``.
    private func receive(_ input: ByteBuffer, context: ChannelHandlerContext) {
        var input = input
        if partial.readableBytes > 0 {
            partial.writeBuffer(&input)
            input = partial
            partial = ByteBuffer()
        }
        // One clock read per socket read: the frames of one read arrived together.
        let now = NIODeadline.now().uptimeNanoseconds
        var completed = false
        while input.readableBytes > 0, phase != .closed {
            if dataRemaining > 0 {
                let count = min(dataRemaining, input.readableBytes)
                let payload = input.readSlice(length: count)!
                dataRemaining -= count
                if raw {
                    receiveRaw(payload, now: now)
                    continue
                }
                guard receive(payload, now: now, completed: &completed, context: context) else { return }
                continue
            }
            guard let header = FrameHeader(input) else { break }
            guard !header.masked, header.length <= maxFrameSize else {
                // A server must not mask its frames (RFC 6455 §5.1).
                state.counters.malformed += 1
                context.close(promise: nil)
                return
            }
            switch header.opcode {
            case 0x0, 0x1, 0x2:
                input.moveReaderIndex(forwardBy: header.headerLength)
                dataRemaining = header.length
            case 0x8, 0x9, 0xA:
                guard input.readableBytes >= header.headerLength + header.length else { break }
                input.moveReaderIndex(forwardBy: header.headerLength)
                let payload = input.readSlice(length: header.length)!
                control(header.opcode, payload, context: context)
                continue
            default:
                state.counters.malformed += 1
                context.close(promise: nil)
                return
            }
            if header.opcode >= 0x8 { break }
        }
        if input.readableBytes > 0 { partial = input }
        if completed { sender?.flush() }
    }

    /// The first bytes of a frame: opcode, mask bit, payload length and header size.
    private struct FrameHeader {
        var opcode: UInt8
        var masked: Bool
        var length: Int
        var headerLength: Int

        init?(_ buffer: ByteBuffer) {
            let start = buffer.readerIndex
            guard let first = buffer.getInteger(at: start, as: UInt8.self),
                let second = buffer.getInteger(at: start + 1, as: UInt8.self)
            else { return nil }
            opcode = first & 0x0F
            masked = second & 0x80 != 0
            let short = Int(second & 0x7F)
            switch short {
            case 126:
                guard let length = buffer.getInteger(at: start + 2, as: UInt16.self) else { return nil }
                self.length = Int(length)
                headerLength = 4
            case 127:
                guard let length = buffer.getInteger(at: start + 2, as: UInt64.self) else { return nil }
                self.length = length > UInt64(Int32.max) ? Int(Int32.max) : Int(length)
                headerLength = 10
            default:
                length = short
                headerLength = 2
            }
            if masked { headerLength += 4 }
        }
    }

    private func control(_ opcode: UInt8, _ payload: ByteBuffer, context: ChannelHandlerContext) {
        switch opcode {
        case 0x9:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: payload)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case 0x8:
            if phase != .closing {
                // The server closes first: answer with the same code, as RFC 6455 asks.
                let reply = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: payload)
                context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
            }
            context.close(promise: nil)
        default:
            break
        }
    }

    /// Counts one marked message: a duplicate when its sequence number is not above the last one
    /// from its sender; delivered (and timed) when it was sent inside the window.
    private func count(_ marker: BenchMarker, now: UInt64) {
        let window = state.window
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
            if timesLatency, now > marker.sentAt {
                state.latency.recordNanoseconds(now - marker.sentAt)
                if state.tracing {
                    state.receipts[MessageKey(sender: Int(marker.sender), sequence: marker.sequence), default: .init()]
                        .record((now - marker.sentAt) / 1000)
                }
            }
        } else {
            state.counters.deliveredOutsideWindow += 1
        }
    }

    /// Raw mode: one frame is one message, found by its marker once the frame is complete.
    private func receiveRaw(_ payload: ByteBuffer, now: UInt64) {
        var frame = payload
        if rawPayload.readableBytes > 0 || dataRemaining > 0 {
            rawPayload.writeImmutableBuffer(payload)
            guard dataRemaining == 0 else { return }
            frame = rawPayload
            rawPayload = ByteBuffer()
        }
        if let marker = BenchMarker.find(in: frame) {
            count(marker, now: now)
        } else {
            state.counters.unmarked += 1
        }
    }

    /// Scans one piece of data-frame payload; false when the connection was closed for it.
    private func receive(
        _ payload: ByteBuffer, now: UInt64, completed: inout Bool, context: ChannelHandlerContext
    ) -> Bool {
        let failure = scanner.scan(payload) { kind in
            switch kind {
            case .receiveMessage(let marker?):
                count(marker, now: now)
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
        if failure != nil {
            state.counters.malformed += 1
            context.close(promise: nil)
            return false
        }
        return true
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
        inactive = true
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
