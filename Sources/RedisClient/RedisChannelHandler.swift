import NIOCore
import RESP

/// What the connection writes into its channel.
enum RedisOutbound {
    /// A command whose one reply completes `promise`, failing after `deadline`.
    case command(ByteBuffer, EventLoopPromise<RESPValue>, deadline: NIODeadline)
    /// Bytes whose replies are not matched to a request (subscription commands: their
    /// confirmations arrive as pushes).
    case unmatched(ByteBuffer)
}

/// Matches replies to commands in order and routes pushes, on the channel's event loop.
///
/// Replies complete the oldest pending command. RESP3 pushes (`>`) always go to `onPush`; on a
/// subscriber connection in RESP2, arrays whose first element is a pub/sub kind (`message`,
/// `pmessage`, `smessage`, `subscribe`, …) are pushes too — Redis sends them in place of
/// replies there. One timer watches the oldest pending command: if its deadline passes the
/// connection is closed (its state is unknown) and every pending command fails.
final class RedisChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RedisOutbound
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var promise: EventLoopPromise<RESPValue>
        var deadline: NIODeadline
    }

    private var pending = CircularBuffer<Pending>(initialCapacity: 64)
    private let isSubscriber: Bool
    private let onPush: (RESPValue) -> Void
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    private var closedError: RedisClientError?

    /// `onPush` is called on the event loop with each push.
    init(isSubscriber: Bool, onPush: @escaping (RESPValue) -> Void) {
        self.isSubscriber = isSubscriber
        self.onPush = onPush
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll(RedisClientError(.connectionClosed, "the connection closed"))
        self.context = nil
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .command(let bytes, let replyPromise, let deadline):
            if let closedError {
                replyPromise.fail(closedError)
                promise?.fail(closedError)
                return
            }
            pending.append(Pending(promise: replyPromise, deadline: deadline))
            if pending.count == 1 { armTimer(context: context) }
            context.write(wrapOutboundOut(bytes), promise: promise)
        case .unmatched(let bytes):
            context.write(wrapOutboundOut(bytes), promise: promise)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        if case .push = value {
            onPush(value)
            return
        }
        if isSubscriber, Self.isPubSubArray(value) {
            onPush(value)
            return
        }
        guard let first = pending.popFirst() else {
            // A reply nobody asked for: the stream is out of step; close rather than guess.
            context.fireErrorCaught(RedisClientError(.protocolError, "a reply arrived with no command waiting"))
            context.close(promise: nil)
            return
        }
        first.promise.succeed(value)
        if pending.isEmpty {
            timer?.cancel()
            timer = nil
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let clientError =
            (error as? RedisClientError)
            ?? RedisClientError(.protocolError, "\(error)")
        failAll(clientError)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisClientError(.connectionClosed, "the connection closed"))
        context.fireChannelInactive()
    }

    private func failAll(_ error: RedisClientError) {
        if closedError == nil { closedError = error }
        timer?.cancel()
        timer = nil
        while let p = pending.popFirst() { p.promise.fail(error) }
    }

    private func armTimer(context: ChannelHandlerContext) {
        guard let deadline = pending.first?.deadline, deadline != .distantFuture else { return }
        timer?.cancel()
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            self?.checkDeadline()
        }
    }

    private func checkDeadline() {
        timer = nil
        guard let first = pending.first, let context else { return }
        if first.deadline <= .now() {
            failAll(RedisClientError(.commandTimeout, "no reply within the command timeout"))
            context.close(promise: nil)
        } else {
            armTimer(context: context)
        }
    }

    /// A RESP2 pub/sub message or confirmation: an array led by one of the kind words.
    static func isPubSubArray(_ value: RESPValue) -> Bool {
        guard case .array(let items) = value, items.count >= 3, case .bulkString(let kind) = items[0] else {
            return false
        }
        return pubSubKind(kind) != nil
    }

    /// The pub/sub kind a push's first element names.
    static func pubSubKind(_ word: ByteBuffer) -> PubSubKind? {
        switch word.readableBytes {
        case 7: return word.readableBytesView.elementsEqual("message".utf8) ? .message : nil
        case 8:
            if word.readableBytesView.elementsEqual("pmessage".utf8) { return .pmessage }
            if word.readableBytesView.elementsEqual("smessage".utf8) { return .smessage }
            return nil
        default:
            return PubSubKind(rawValue: String(buffer: word))
        }
    }
}

/// The first word of a pub/sub push.
enum PubSubKind: String {
    case message, pmessage, smessage
    case subscribe, psubscribe, ssubscribe
    case unsubscribe, punsubscribe, sunsubscribe
}
