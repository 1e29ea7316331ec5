import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOPosix
import RESP
import Testing
import TestSupport

@testable import RedisClient

/// The channel handler on its own (an `EmbeddedChannel`): the subscriber's fast path for
/// messages, however the bytes are split, and the outbox's one write per drain.
@Suite struct RedisChannelHandlerTests {
    /// What a handler handed on, in order.
    final class Received {
        var events: [String] = []
    }

    static func describe(_ value: RESPValue) -> String {
        switch value {
        case .push(let items): "push " + items.map(describe).joined(separator: " ")
        case .array(let items): "array " + items.map(describe).joined(separator: " ")
        case .bulkString(let b): "'\(String(buffer: b))'"
        case .integer(let n): "\(n)"
        case .simpleString(let b): "+\(String(buffer: b))"
        default: "\(value)"
        }
    }

    static func channel(subscriber: Bool = true) throws -> (EmbeddedChannel, Received) {
        let received = Received()
        let handler = RedisChannelHandler(
            isSubscriber: subscriber, commandTimeout: nil,
            onPush: { received.events.append("push: " + describe($0)) },
            onMessage: { message in
                let pattern = message.pattern.map { " pattern '\(String(buffer: $0))'" } ?? ""
                received.events.append(
                    "\(message.kind)\(pattern) '\(String(buffer: message.channel))' '\(String(buffer: message.payload))'"
                )
            })
        let channel = EmbeddedChannel(handler: handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379)).wait()
        return (channel, received)
    }

    /// A subscription confirmation, the three message kinds in RESP2 and RESP3, a payload holding
    /// CRLF, an empty payload, and an unsubscription — as Redis sends them.
    static let stream =
        "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
        + "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n"
        + "*4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$4\r\na\r\nb\r\n"
        + "*3\r\n$8\r\nsmessage\r\n$5\r\nshard\r\n$0\r\n\r\n"
        + ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$12\r\n0123456789ab\r\n"
        + ">4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$2\r\nch\r\n$1\r\nx\r\n"
        + "*3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n"

    static let expected = [
        "push: array 'subscribe' 'ch' 1",
        "message 'ch' 'hello'",
        "pmessage pattern 'c*' 'ch' 'a\r\nb'",
        "smessage 'shard' ''",
        "message 'ch' '0123456789ab'",
        "pmessage pattern '*' 'ch' 'x'",
        "push: array 'unsubscribe' 'ch' 0",
    ]

    @Test func messagesTakeTheFastPathWhereverTheBytesAreSplit() throws {
        let bytes = Array(Self.stream.utf8)
        // Two reads split at every position, then one byte per read.
        for split in 0...bytes.count {
            let (channel, received) = try Self.channel()
            try channel.writeInbound(ByteBuffer(bytes: bytes[..<split]))
            try channel.writeInbound(ByteBuffer(bytes: bytes[split...]))
            #expect(received.events == Self.expected, "split at \(split)")
            #expect(channel.isActive)
            _ = try channel.finish()
        }
        let (channel, received) = try Self.channel()
        for byte in bytes { try channel.writeInbound(ByteBuffer(bytes: [byte])) }
        #expect(received.events == Self.expected)
        _ = try channel.finish()
    }

    @Test func aMalformedMessageClosesTheConnectionWithAProtocolError() throws {
        let (channel, received) = try Self.channel()
        let error = Self.fail(
            channel, pending: 1, bytes: "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$x\r\n")
        #expect(error?.code == .protocolError)
        #expect(received.events.isEmpty)
        #expect(!channel.isActive)
    }

    @Test func aReplyWithNoCommandWaitingClosesTheConnection() throws {
        let (channel, _) = try Self.channel(subscriber: false)
        try channel.writeInbound(ByteBuffer(string: "+OK\r\n"))
        #expect(!channel.isActive)
    }

    /// Sends `pending` commands through the handler's outbox, feeds `bytes`, and returns the error
    /// the first command failed with.
    static func fail(_ channel: EmbeddedChannel, pending: Int, bytes: String) -> RedisClientError? {
        let handler = try! channel.pipeline.syncOperations.handler(type: RedisChannelHandler.self)
        let outbox = NIOLockedValueBox(Outbox())
        var futures: [EventLoopFuture<RESPValue>] = []
        for _ in 0..<pending {
            let promise = channel.eventLoop.makePromise(of: RESPValue.self)
            outbox.withLockedValue {
                $0.append(RedisCommand("PING").encoded)
                $0.entries.append(Outbox.Entry(completion: .promise(promise), deadline: nil))
            }
            futures.append(promise.futureResult)
        }
        handler.drain(outbox)
        _ = try? channel.writeInbound(ByteBuffer(string: bytes))
        // An embedded channel completes the future inside writeInbound, so the callback has run.
        let failure = NIOLockedValueBox<RedisClientError?>(nil)
        futures[0].whenFailure { error in failure.withLockedValue { $0 = error as? RedisClientError } }
        return failure.withLockedValue { $0 }
    }

    @Test func oneDrainIsOneWriteAndRepliesCompleteInOrder() throws {
        let (channel, _) = try Self.channel(subscriber: false)
        let handler = try channel.pipeline.syncOperations.handler(type: RedisChannelHandler.self)
        let outbox = NIOLockedValueBox(Outbox())
        var futures: [EventLoopFuture<RESPValue>] = []
        for i in 0..<100 {
            let promise = channel.eventLoop.makePromise(of: RESPValue.self)
            outbox.withLockedValue {
                $0.append(RedisCommand("ECHO", .integer(Int64(i))).encoded)
                $0.entries.append(Outbox.Entry(completion: .promise(promise), deadline: nil))
            }
            futures.append(promise.futureResult)
        }
        handler.drain(outbox)
        let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "one write for the whole outbox")
        var expected = ByteBuffer()
        for i in 0..<100 { expected.writeImmutableBuffer(RedisCommand("ECHO", .integer(Int64(i))).encoded) }
        #expect(written == expected)
        var replies = ByteBuffer()
        for i in 0..<100 { replies.writeString("$\(String(i).utf8.count)\r\n\(i)\r\n") }
        try channel.writeInbound(replies)
        for (i, future) in futures.enumerated() {
            #expect(try future.wait() == .bulk("\(i)"))
        }
        _ = try channel.finish()
    }

    /// Commands sent from other threads while the event loop is busy wait in the outbox and go out
    /// in one write when it gets to them (automatic pipelining), over a real connection.
    @Test func commandsSentWhileTheLoopIsBusyShareOneWrite() async throws {
        let server = try await TestServer.start(.broker)
        var configuration = try RedisClientConfiguration("redis://127.0.0.1:\(server.port)")
        configuration.connectTimeout = TestClients.connectTimeout
        let connection = try await RedisConnection.connect(
            configuration: configuration, eventLoop: TestClients.group.next())
        let writes = WriteCounter()
        try await connection.channel.pipeline.addHandler(writes, position: .first).get()
        // Hold the loop until every command is in the outbox.
        let release = DispatchSemaphore(value: 0)
        let held = connection.eventLoop.submit { release.wait() }
        let futures = (0..<200).map { i in
            connection.sendReturningErrors(RedisCommand("INCR", "n")) as EventLoopFuture<RESPValue>
        }
        release.signal()
        try await held.get()
        var values: [RESPValue] = []
        for future in futures { values.append(try await future.get()) }
        #expect(values == (1...200).map { .integer(Int64($0)) })
        #expect(writes.count.withLockedValue { $0 } == 1)
        await connection.close()
        await server.stop()
    }

    /// Counts the writes that reach the socket.
    final class WriteCounter: ChannelOutboundHandler, Sendable {
        typealias OutboundIn = ByteBuffer
        let count = NIOLockedValueBox(0)

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            count.withLockedValue { $0 += 1 }
            context.write(data, promise: promise)
        }
    }
}

/// Tasks that prefer a connection's task executor run on its event loop, before and after
/// awaiting replies.
@Suite struct EventLoopTaskExecutorTests {
    @Test func tasksPreferringTheExecutorRunOnTheConnectionsLoop() async throws {
        let server = try await TestServer.start(.broker)
        var configuration = try RedisClientConfiguration("redis://127.0.0.1:\(server.port)")
        configuration.connectTimeout = TestClients.connectTimeout
        let client = RedisClient(configuration: configuration, eventLoopGroup: TestClients.group)
        try await client.connect()
        let onLoop = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 {
                group.addTask(executorPreference: client.taskExecutor) {
                    var before = client.eventLoop.inEventLoop
                    for _ in 0..<10 {
                        try await client.incr("n")
                        before = before && client.eventLoop.inEventLoop
                    }
                    return before
                }
            }
            return try await group.reduce(true) { $0 && $1 }
        }
        #expect(onLoop)
        #expect(try await client.getString("n") == "200")
        await client.close()
        await server.stop()
    }
}
