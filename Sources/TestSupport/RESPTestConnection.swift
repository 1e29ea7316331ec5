import NIOCore
import NIOPosix
import RESP

/// A raw RESP connection for tests: sends exact bytes and reads replies with their exact bytes.
///
/// Every read waits for an event (bytes arriving or the connection closing) with a timeout; nothing
/// polls or sleeps.
public final class RESPTestConnection: Sendable {
    private let channel: Channel
    private let collector: NIOLoopBound<ByteCollector>

    /// One reply: the decoded value and the bytes it came in.
    public struct Reply: Sendable, CustomStringConvertible {
        /// The decoded value.
        public var value: RESPValue
        /// Its exact wire bytes.
        public var raw: ByteBuffer
        /// The bytes as text, CR and LF escaped (for readable test failures).
        public var description: String { RESPTestConnection.escape(raw) }
    }

    /// Connects to 127.0.0.1:`port`.
    public static func connect(port: Int, host: String = "127.0.0.1") async throws -> RESPTestConnection {
        let group = MultiThreadedEventLoopGroup.singleton
        let eventLoop = group.next()
        let collector = try await eventLoop.submit {
            NIOLoopBound(ByteCollector(eventLoop: eventLoop), eventLoop: eventLoop)
        }.get()
        let channel = try await ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(CollectingHandler(collector: collector))
                }
            }
            .connect(host: host, port: port).get()
        return RESPTestConnection(channel: channel, collector: collector)
    }

    private init(channel: Channel, collector: NIOLoopBound<ByteCollector>) {
        self.channel = channel
        self.collector = collector
    }

    /// Sends bytes exactly as given.
    public func send(raw: ByteBuffer) async throws {
        try await channel.writeAndFlush(raw)
    }

    /// Sends bytes exactly as given.
    public func send(raw: String) async throws {
        try await send(raw: ByteBuffer(string: raw))
    }

    /// Sends a command as an array of bulk strings.
    public func send(_ arguments: [String]) async throws {
        try await send(raw: RESPValue.command(arguments))
    }

    /// Reads the next whole reply (or push).
    public func readReply(timeout: TimeAmount = .seconds(10)) async throws -> Reply {
        let decoder = RESPValueDecoder()
        return try await wait(timeout: timeout) { buffer, closed in
            let before = buffer
            if let value = try decoder.decode(&buffer) {
                let raw = before.getSlice(at: before.readerIndex, length: buffer.readerIndex - before.readerIndex)!
                return Reply(value: value, raw: raw)
            }
            if closed { throw TestSupportError("connection closed while waiting for a reply") }
            return nil
        }
    }

    /// Reads the next `count` replies (or pushes) in one wait — for long streams, where a wait per
    /// reply would cost a trip to the event loop each.
    public func readReplies(_ count: Int, timeout: TimeAmount = .seconds(10)) async throws -> [Reply] {
        let decoder = RESPValueDecoder()
        var replies: [Reply] = []
        replies.reserveCapacity(count)
        return try await wait(timeout: timeout) { buffer, closed in
            while replies.count < count {
                let before = buffer
                guard let value = try decoder.decode(&buffer) else { break }
                let raw = before.getSlice(at: before.readerIndex, length: buffer.readerIndex - before.readerIndex)!
                replies.append(Reply(value: value, raw: raw))
            }
            if replies.count == count { return replies }
            if closed { throw TestSupportError("connection closed after \(replies.count) of \(count) replies") }
            return nil
        }
    }

    /// Sends a command and reads its reply.
    public func call(_ arguments: [String], timeout: TimeAmount = .seconds(10)) async throws -> Reply {
        try await send(arguments)
        return try await readReply(timeout: timeout)
    }

    /// Sends a command of byte-string arguments (binary, not necessarily UTF-8).
    public func send(bytes arguments: [[UInt8]]) async throws {
        var buffer = ByteBuffer()
        buffer.writeRESPArrayHeader(arguments.count)
        for a in arguments { buffer.writeRESPBulkString(bytes: a) }
        try await send(raw: buffer)
    }

    /// Sends a command of byte-string arguments (binary, not necessarily UTF-8) and reads its reply.
    public func call(bytes arguments: [[UInt8]], timeout: TimeAmount = .seconds(10)) async throws -> Reply {
        try await send(bytes: arguments)
        return try await readReply(timeout: timeout)
    }

    /// Sends many commands of byte-string arguments in one write (pipelined) and reads their
    /// replies, in order — for loading thousands of keys without a round trip each.
    public func pipeline(_ commands: [[[UInt8]]], timeout: TimeAmount = .seconds(10)) async throws -> [Reply] {
        // Into an array first: ByteBuffer's generic writers are ~25× slower in a debug build.
        var bytes: [UInt8] = []
        for arguments in commands {
            bytes += "*\(arguments.count)\r\n".utf8
            for a in arguments {
                bytes += "$\(a.count)\r\n".utf8
                bytes += a
                bytes += [0x0D, 0x0A]
            }
        }
        try await send(raw: ByteBuffer(bytes: bytes))
        return try await readReplies(commands.count, timeout: timeout)
    }

    /// Waits until the server closes the connection and returns every byte not yet read.
    public func readUntilClosed(timeout: TimeAmount = .seconds(10)) async throws -> ByteBuffer {
        try await wait(timeout: timeout) { buffer, closed in
            guard closed else { return nil }
            let rest = buffer
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            return rest
        }
    }

    /// Whether the server has closed the connection.
    public var isClosed: Bool {
        get async throws {
            try await channel.eventLoop.submit { self.collector.value.closed }.get()
        }
    }

    /// The local (client-side) port, as the server shows it in `CLIENT LIST` and `MONITOR` lines.
    public var localPort: Int? { channel.localAddress?.port }

    /// Closes the connection.
    public func close() async {
        try? await channel.close()
    }

    private func wait<T: Sendable>(
        timeout: TimeAmount, _ attempt: @escaping (inout ByteBuffer, Bool) throws -> T?
    ) async throws -> T {
        let collector = self.collector
        // The closure (which may keep state of its own, as readReplies' does) is handed to the
        // loop and from then on runs only there; this task never touches it again.
        let handed = HandedOver(attempt)
        return try await channel.eventLoop.flatSubmit {
            collector.value.wait(timeout: timeout, handed.value)
        }.get()
    }

    /// Escapes CR, LF and non-printable bytes, for messages.
    public static func escape(_ buffer: ByteBuffer) -> String {
        var out = ""
        for c in buffer.readableBytesView {
            switch c {
            case 0x0D: out += "\\r"
            case 0x0A: out += "\\n"
            case 0x20...0x7E: out.append(Character(Unicode.Scalar(c)))
            default: out += "\\x" + String(c, radix: 16)
            }
        }
        return out
    }
}

/// Bytes received so far and the one pending read, owned by the connection's event loop.
final class ByteCollector {
    let eventLoop: EventLoop
    var buffer = ByteBuffer()
    var closed = false
    private var pending: (() -> Void)?

    init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    func received(_ bytes: inout ByteBuffer) {
        // Long streams (thousands of pushes) would otherwise keep every byte ever read.
        if buffer.readerIndex > 1 << 20 { buffer.discardReadBytes() }
        buffer.writeBuffer(&bytes)
        pending?()
    }

    func didClose() {
        closed = true
        pending?()
    }

    func wait<T: Sendable>(
        timeout: TimeAmount, _ attempt: @escaping (inout ByteBuffer, Bool) throws -> T?
    ) -> EventLoopFuture<T> {
        let promise = eventLoop.makePromise(of: T.self)
        var done = false
        func tryNow() {
            guard !done else { return }
            do {
                if let result = try attempt(&buffer, closed) {
                    done = true
                    pending = nil
                    promise.succeed(result)
                }
            } catch {
                done = true
                pending = nil
                promise.fail(error)
            }
        }
        tryNow()
        if !done {
            pending = tryNow
            let timer = eventLoop.assumeIsolated().scheduleTask(in: timeout) {
                guard !done else { return }
                done = true
                self.pending = nil
                promise.fail(TestSupportError("timed out waiting for the server"))
            }
            promise.futureResult.whenComplete { _ in timer.cancel() }
        }
        return promise.futureResult
    }
}

private final class CollectingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let collector: NIOLoopBound<ByteCollector>

    init(collector: NIOLoopBound<ByteCollector>) {
        self.collector = collector
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        collector.value.received(&bytes)
    }

    func channelInactive(context: ChannelHandlerContext) {
        collector.value.didClose()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

extension RESPTestConnection {
    /// The `name:value` fields of `INFO <section>`, parsed from its reply (bulk or verbatim string).
    public func info(_ section: String) async throws -> [String: String] {
        let reply = try await call(["INFO", section])
        guard let text = reply.value.string else {
            throw TestSupportError("INFO \(section) replied \(reply)")
        }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\r\n") where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return fields
    }
}

/// A value passed from one concurrency domain to another and used only on the receiving side.
private struct HandedOver<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
