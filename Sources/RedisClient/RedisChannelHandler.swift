import NIOConcurrencyHelpers
import NIOCore
import RESP

/// How a reply reaches whoever waits for it. Completed on the event loop.
enum ReplyCompletion {
    /// A future (the queue of ``RedisClient`` and the internal callers).
    case promise(EventLoopPromise<RESPValue>)
    /// An `async` caller of `send`, resumed straight from the handler.
    case continuation(UnsafeContinuation<RESPValue, any Error>)
    /// One command of a `pipeline` call: the batch collects the replies and resumes once.
    case batch(PipelineBatch)

    func succeed(_ value: RESPValue) {
        switch self {
        case .promise(let promise): promise.succeed(value)
        case .continuation(let continuation): continuation.resume(returning: value)
        case .batch(let batch): batch.succeed(value)
        }
    }

    func fail(_ error: RedisClientError) {
        switch self {
        case .promise(let promise): promise.fail(error)
        case .continuation(let continuation): continuation.resume(throwing: error)
        case .batch(let batch): batch.fail(error)
        }
    }
}

/// The replies of one `pipeline` call, in order, collected on the event loop. Its commands sit
/// next to each other in the pending queue, so the replies arrive in order; the continuation
/// resumes once, with every reply or with the first connection error.
final class PipelineBatch: @unchecked Sendable {
    // Touched only on the connection's event loop.
    private var replies: [RESPValue]
    private let count: Int
    private var continuation: UnsafeContinuation<[RESPValue], any Error>?

    init(count: Int, continuation: UnsafeContinuation<[RESPValue], any Error>) {
        self.count = count
        self.replies = []
        self.replies.reserveCapacity(count)
        self.continuation = continuation
    }

    func succeed(_ value: RESPValue) {
        guard let continuation else { return }
        replies.append(value)
        if replies.count == count {
            self.continuation = nil
            continuation.resume(returning: replies)
            replies = []
        }
    }

    func fail(_ error: RedisClientError) {
        guard let continuation else { return }
        self.continuation = nil
        replies = []
        continuation.resume(throwing: error)
    }
}

/// Commands waiting to be written: bytes appended by any thread under a lock, drained by the
/// handler once per event-loop tick, so commands sent concurrently share one write and one flush.
struct Outbox {
    struct Entry {
        var completion: ReplyCompletion
        /// `nil`: the configured command timeout, counted from the write.
        var deadline: NIODeadline?
    }

    /// The commands' bytes, in order (subscription commands too, which have no entry).
    var bytes = ByteBuffer()
    /// One entry per command whose reply is matched, in the order of `bytes`.
    var entries: [Entry] = []
    /// Whether a drain is already scheduled on the event loop.
    var drainScheduled = false

    /// Marks a drain as scheduled; `true` if the caller must schedule it (none was).
    mutating func scheduleDrain() -> Bool {
        if drainScheduled { return false }
        drainScheduled = true
        return true
    }

    mutating func append(_ command: ByteBuffer) {
        if bytes.capacity == 0 { bytes.reserveCapacity(max(command.readableBytes, 2048)) }
        bytes.writeImmutableBuffer(command)
    }
}

/// A pub/sub message as the handler hands it over: its kind, the pattern (for `pmessage`), the
/// channel and the payload, slices of the bytes read.
struct PubSubMessage {
    enum Kind { case message, pmessage, smessage }
    var kind: Kind
    var pattern: ByteBuffer?
    var channel: ByteBuffer
    var payload: ByteBuffer

    /// The message as the `RESPValue` it arrived as (a RESP2 array or a RESP3 push).
    func value(resp3: Bool) -> RESPValue {
        var items: [RESPValue] = [.bulk("\(kind)")]
        if let pattern { items.append(.bulkString(pattern)) }
        items += [.bulkString(channel), .bulkString(payload)]
        return resp3 ? .push(items) : .array(items)
    }
}

/// Parses replies, matches them to commands in order, routes pushes, and writes what the outbox
/// holds — all on the channel's event loop.
///
/// Replies complete the oldest pending command. RESP3 pushes (`>`) always go to `onPush`; on a
/// subscriber connection in RESP2, arrays whose first element is a pub/sub kind (`message`,
/// `pmessage`, `smessage`, `subscribe`, …) are pushes too — Redis sends them in place of
/// replies there. On a subscriber connection messages take a fast path: they are recognised in
/// the bytes and handed to `onMessage` as slices, with no `RESPValue` built. One timer watches
/// the oldest pending command: if its deadline passes the connection is closed (its state is
/// unknown) and every pending command fails.
final class RedisChannelHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked Sendable: the connection keeps a reference to call `drain` from a task it
    // schedules on the event loop; every stored property is touched on that loop only.
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var completion: ReplyCompletion
        var deadline: NIODeadline
    }

    private var pending = CircularBuffer<Pending>(initialCapacity: 64)
    private let isSubscriber: Bool
    private let onPush: (RESPValue) -> Void
    private let onMessage: (PubSubMessage) -> Void
    private let decoder: RESPValueDecoder
    private let commandTimeout: TimeAmount?
    private var received = ByteBuffer()
    private var spareEntries: [Outbox.Entry] = []
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    private var closedError: RedisClientError?

    /// `onPush` is called on the event loop with each push, `onMessage` (subscriber connections)
    /// with each published message.
    init(
        isSubscriber: Bool, commandTimeout: TimeAmount?, limits: RESPLimits = .redisDefaults,
        onPush: @escaping (RESPValue) -> Void, onMessage: @escaping (PubSubMessage) -> Void
    ) {
        self.isSubscriber = isSubscriber
        self.commandTimeout = commandTimeout
        self.decoder = RESPValueDecoder(limits: limits)
        self.onPush = onPush
        self.onMessage = onMessage
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll(RedisClientError(.connectionClosed, "the connection closed"))
        self.context = nil
    }

    // MARK: - Writing

    /// Writes and flushes everything in `outbox`, registering its commands as pending; once the
    /// connection has closed their completions fail instead.
    func drain(_ outbox: NIOLockedValueBox<Outbox>) {
        // The entries' array is swapped with a spare one, so neither side allocates per drain.
        var entries = spareEntries
        spareEntries = []
        let bytes = outbox.withLockedValue { box in
            swap(&box.entries, &entries)
            let bytes = box.bytes
            box.bytes = ByteBuffer()
            box.drainScheduled = false
            return bytes
        }
        defer {
            entries.removeAll(keepingCapacity: true)
            spareEntries = entries
        }
        guard let context, closedError == nil else {
            let error = closedError ?? RedisClientError(.connectionClosed, "the connection closed")
            for entry in entries { entry.completion.fail(error) }
            return
        }
        if !entries.isEmpty {
            let defaultDeadline = commandTimeout.map { NIODeadline.now() + $0 } ?? .distantFuture
            for entry in entries {
                pending.append(Pending(completion: entry.completion, deadline: entry.deadline ?? defaultDeadline))
            }
            if timer == nil { armTimer(context: context) }
        }
        if bytes.readableBytes > 0 {
            context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
        }
    }

    // MARK: - Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        // Parse from a local buffer (one access to the stored one per read, not one per value);
        // what is left of an incomplete value is stored back.
        var buffer = received
        received = ByteBuffer()
        if buffer.readableBytes == 0 {
            buffer = incoming
        } else {
            if buffer.readerIndex > 4096 { buffer.discardReadBytes() }
            buffer.writeBuffer(&incoming)
        }
        do {
            parsing: while buffer.readableBytes > 0 {
                if isSubscriber {
                    switch parseMessage(&buffer) {
                    case .handled: continue parsing
                    case .incomplete: break parsing
                    case .notAMessage: break
                    }
                }
                guard let value = try decoder.decode(&buffer) else { break }
                guard handle(value, context: context) else { return }
            }
        } catch {
            errorCaught(context: context, error: RedisClientError(.protocolError, "\(error)"))
            return
        }
        if buffer.readableBytes > 0 { received = buffer }
    }

    /// Routes one decoded value; `false` if the connection is being closed.
    private func handle(_ value: RESPValue, context: ChannelHandlerContext) -> Bool {
        if case .push = value {
            onPush(value)
            return true
        }
        if isSubscriber, Self.isPubSubArray(value) {
            onPush(value)
            return true
        }
        guard let first = pending.popFirst() else {
            // A reply nobody asked for: the stream is out of step; close rather than guess.
            errorCaught(
                context: context, error: RedisClientError(.protocolError, "a reply arrived with no command waiting"))
            return false
        }
        // The timer stays armed when nothing is pending: it finds nothing when it fires, and is
        // not armed and cancelled once per batch.
        first.completion.succeed(value)
        return true
    }

    private enum FastPath { case handled, incomplete, notAMessage }

    /// Recognises a `message`, `smessage` or `pmessage` push (RESP2 array or RESP3 push) at the
    /// front of `received` and hands it to `onMessage`; anything else, malformed input included, is
    /// left to the general decoder.
    private func parseMessage(_ received: inout ByteBuffer) -> FastPath {
        let maxBulk = decoder.limits.maxBulkLength
        let parsed = received.withUnsafeReadableBytes { bytes -> (FastPath, PubSubMessage.Kind, Spans) in
            let none = (FastPath.notAMessage, PubSubMessage.Kind.message, Spans())
            let incomplete = (FastPath.incomplete, PubSubMessage.Kind.message, Spans())
            // "*3\r\n$7\r\nmessage\r\n" / "*3\r\n$8\r\nsmessage\r\n" / "*4\r\n$8\r\npmessage\r\n" (or '>').
            let count = bytes.count
            guard count >= 1 else { return incomplete }
            guard bytes[0] == UInt8(ascii: "*") || bytes[0] == UInt8(ascii: ">") else { return none }
            let header: StaticString
            let kind: PubSubMessage.Kind
            let elements: Int
            if count < 6 { return Self.matchesPrefix(bytes) ? incomplete : none }
            switch (bytes[1], bytes[5]) {
            case (UInt8(ascii: "3"), UInt8(ascii: "7")):
                (header, kind, elements) = ("\r\n$7\r\nmessage\r\n", .message, 2)
            case (UInt8(ascii: "3"), UInt8(ascii: "8")):
                (header, kind, elements) = ("\r\n$8\r\nsmessage\r\n", .smessage, 2)
            case (UInt8(ascii: "4"), UInt8(ascii: "8")):
                (header, kind, elements) = ("\r\n$8\r\npmessage\r\n", .pmessage, 3)
            default: return none
            }
            let headerLength = header.utf8CodeUnitCount
            let available = min(count - 2, headerLength)
            for i in 0..<available where bytes[2 + i] != header.utf8Start[i] { return none }
            if available < headerLength { return incomplete }
            var index = 2 + headerLength
            var spans = Spans()
            for _ in 0..<elements {
                // "$<length>\r\n<data>\r\n"
                guard index < count else { return incomplete }
                guard bytes[index] == UInt8(ascii: "$") else { return none }
                index += 1
                var length = 0
                var digits = 0
                while true {
                    guard index < count else { return incomplete }
                    let byte = bytes[index]
                    if byte == 0x0D { break }
                    let digit = Int(byte &- UInt8(ascii: "0"))
                    guard digit <= 9, digits < 18 else { return none }
                    length = length * 10 + digit
                    digits += 1
                    index += 1
                }
                guard digits > 0, length <= maxBulk else { return none }
                guard index + 1 < count else { return incomplete }
                guard bytes[index + 1] == 0x0A else { return none }
                index += 2
                guard count - index >= length + 2 else { return incomplete }
                guard bytes[index + length] == 0x0D, bytes[index + length + 1] == 0x0A else { return none }
                spans.append(start: index, length: length)
                index += length + 2
            }
            spans.end = index
            return (.handled, kind, spans)
        }
        guard parsed.0 == .handled else { return parsed.0 }
        let base = received.readerIndex
        let s = parsed.2
        func slice(_ span: (Int, Int)) -> ByteBuffer { received.getSlice(at: base + span.0, length: span.1)! }
        let message =
            parsed.1 == .pmessage
            ? PubSubMessage(kind: .pmessage, pattern: slice(s.first), channel: slice(s.second), payload: slice(s.third))
            : PubSubMessage(kind: parsed.1, pattern: nil, channel: slice(s.first), payload: slice(s.second))
        received.moveReaderIndex(forwardBy: s.end)
        onMessage(message)
        return .handled
    }

    /// The (offset, length) of up to three bulk strings of a message, and where it ends.
    private struct Spans {
        var first = (0, 0)
        var second = (0, 0)
        var third = (0, 0)
        var count = 0
        var end = 0

        mutating func append(start: Int, length: Int) {
            switch count {
            case 0: first = (start, length)
            case 1: second = (start, length)
            default: third = (start, length)
            }
            count += 1
        }
    }

    /// Whether the few bytes there are (fewer than 6) could begin a message push.
    private static func matchesPrefix(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let shapes: [[UInt8]] = [Array("*3\r\n$".utf8), Array("*4\r\n$".utf8)]
        return shapes.contains { shape in
            zip(bytes.dropFirst(), shape.dropFirst()).allSatisfy { $0 == $1 }
        }
    }

    // MARK: - Closing

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
        while let p = pending.popFirst() { p.completion.fail(error) }
    }

    /// Arms the timer for the oldest pending command's deadline.
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
