import Logging
import NIOConcurrencyHelpers
import NIOCore
import RESP
import RedisClient
import Testing
import TestSupport

/// The subscriber against redis-server and the broker: channels, patterns and shard channels,
/// shared server subscriptions, many channels, RESP3, the async-sequence API, resubscription.
@Suite struct RedisSubscriberTests {
    static func configuration(
        port: Int, _ configure: (inout RedisClientConfiguration) -> Void = { _ in }
    ) throws
        -> RedisClientConfiguration
    {
        var configuration = try RedisClientConfiguration("redis://127.0.0.1:\(port)")
        configuration.reconnect = .init(initialDelay: .milliseconds(20), maximumDelay: .milliseconds(200))
        configuration.connectTimeout = TestClients.connectTimeout
        configure(&configuration)
        return configuration
    }

    static var quiet: Logger {
        var logger = Logger(label: "test.redis")
        logger.logLevel = .error
        return logger
    }

    /// Collects messages; `next(count)` waits for them without polling.
    final class Inbox: Sendable {
        private let state = NIOLockedValueBox<(messages: [String], waiter: (Int, CheckedContinuation<Void, Never>)?)>(
            ([], nil))

        func add(_ text: String) {
            let resume = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
                state.messages.append(text)
                if let (count, continuation) = state.waiter, state.messages.count >= count {
                    state.waiter = nil
                    return continuation
                }
                return nil
            }
            resume?.resume()
        }

        /// Waits until `count` messages arrived and returns them.
        func wait(for count: Int) async -> [String] {
            await withCheckedContinuation { continuation in
                let ready = state.withLockedValue { state -> Bool in
                    if state.messages.count >= count { return true }
                    state.waiter = (count, continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
            return state.withLockedValue { $0.messages }
        }

        var handler: RedisSubscriber.Handler {
            { channel, payload in self.add("\(String(buffer: channel))=\(String(buffer: payload))") }
        }
    }

    @Test(arguments: TestServerKind.allCases, [RedisClientConfiguration.ProtocolVersion.resp2, .resp3])
    func channelsPatternsAndShardChannels(
        _ kind: TestServerKind, _ version: RedisClientConfiguration.ProtocolVersion
    ) async throws {
        guard kind.isAvailable else { return }
        let server = try await TestServer.start(kind)
        let subscriber = RedisSubscriber(
            configuration: try Self.configuration(port: server.port) { $0.protocolVersion = version },
            eventLoopGroup: TestClients.group, logger: Self.quiet)
        try await subscriber.connect()
        let publisher = RedisClient(
            configuration: try Self.configuration(port: server.port), eventLoopGroup: TestClients.group,
            logger: Self.quiet)
        try await publisher.connect()

        let channels = Inbox()
        let patterns = Inbox()
        let shards = Inbox()
        let a = try await subscriber.subscribe(.channel, ["news", "sport"], handler: channels.handler)
        _ = try await subscriber.subscribe(.pattern, ["user:*"], handler: patterns.handler)
        _ = try await subscriber.subscribe(.shardChannel, ["shard-1"], handler: shards.handler)
        #expect(try await publisher.send("PUBLISH", "news", "n1") == .integer(1))
        #expect(try await publisher.send("PUBLISH", "user:7", "hello") == .integer(1))
        #expect(try await publisher.send("SPUBLISH", "shard-1", "s1") == .integer(1))
        #expect(try await publisher.send("PUBLISH", "sport", "g1") == .integer(1))
        #expect(await channels.wait(for: 2) == ["news=n1", "sport=g1"])
        #expect(await patterns.wait(for: 1) == ["user:7=hello"])
        #expect(await shards.wait(for: 1) == ["shard-1=s1"])

        // A second handler of "news" shares the server's subscription.
        let second = Inbox()
        let b = try await subscriber.subscribe(.channel, ["news"], handler: second.handler)
        #expect(
            try await publisher.send("PUBSUB", "NUMSUB", "news")
                == .array([.bulkString(ByteBuffer(string: "news")), .integer(1)]))
        #expect(try await publisher.send("PUBLISH", "news", "n2") == .integer(1))
        #expect(await second.wait(for: 1) == ["news=n2"])
        #expect(await channels.wait(for: 3) == ["news=n1", "sport=g1", "news=n2"])
        await subscriber.unsubscribe(a)
        // "sport" had only `a`: gone on the server; "news" stays for `b`.
        #expect(try await publisher.send("PUBLISH", "news", "n3") == .integer(1))
        #expect(await second.wait(for: 2) == ["news=n2", "news=n3"])
        await subscriber.unsubscribe(b)
        let counts = try await publisher.send("PUBSUB", "NUMSUB", "news", "sport")
        #expect(
            counts
                == .array([
                    .bulkString(ByteBuffer(string: "news")), .integer(0), .bulkString(ByteBuffer(string: "sport")),
                    .integer(0),
                ]))
        await subscriber.close()
        await publisher.close()
        await server.stop()
    }

    /// 20,000 channels on one connection: one batched subscription, confirmed before it returns.
    @Test(arguments: TestServerKind.allCases)
    func twentyThousandChannels(_ kind: TestServerKind) async throws {
        guard kind.isAvailable else { return }
        let server = try await TestServer.start(kind)
        let subscriber = RedisSubscriber(
            configuration: try Self.configuration(port: server.port), eventLoopGroup: TestClients.group,
            logger: Self.quiet)
        try await subscriber.connect()
        let publisher = RedisClient(
            configuration: try Self.configuration(port: server.port), eventLoopGroup: TestClients.group,
            logger: Self.quiet)
        try await publisher.connect()
        let inbox = Inbox()
        let names = (0..<20_000).map { "group:\($0)" }
        _ = try await subscriber.subscribe(.channel, names, handler: inbox.handler)
        let info = try await publisher.send("PUBSUB", "NUMSUB", "group:0", "group:19999")
        #expect(
            info
                == .array([
                    .bulkString(ByteBuffer(string: "group:0")), .integer(1),
                    .bulkString(ByteBuffer(string: "group:19999")), .integer(1),
                ]))
        for i in stride(from: 0, to: 20_000, by: 4000) {
            try await publisher.send("PUBLISH", .string("group:\(i)"), .string("m\(i)"))
        }
        #expect(await inbox.wait(for: 5) == (0..<5).map { "group:\($0 * 4000)=m\($0 * 4000)" })
        #expect(await subscriber.subscribedNameCount()[.channel] == 20_000)
        await subscriber.close()
        await publisher.close()
        await server.stop()
    }

    @Test(arguments: TestServerKind.allCases)
    func asyncSequenceUnsubscribesWhenDone(_ kind: TestServerKind) async throws {
        guard kind.isAvailable else { return }
        let server = try await TestServer.start(kind)
        let subscriber = RedisSubscriber(
            configuration: try Self.configuration(port: server.port), eventLoopGroup: TestClients.group,
            logger: Self.quiet)
        let publisher = RedisClient(
            configuration: try Self.configuration(port: server.port), eventLoopGroup: TestClients.group,
            logger: Self.quiet)
        try await publisher.connect()
        let received = try await subscriber.withSubscription(.pattern, ["room:*"]) { messages in
            for i in 0..<3 { try await publisher.send("PUBLISH", .string("room:\(i)"), .string("hi \(i)")) }
            var texts: [String] = []
            for await message in messages {
                texts.append(
                    "\(String(buffer: message.channel)) \(String(buffer: message.payload)) \(message.isFromPattern)")
                if texts.count == 3 { break }
            }
            return texts
        }
        #expect(received == ["room:0 hi 0 true", "room:1 hi 1 true", "room:2 hi 2 true"])
        #expect(try await publisher.send("PUBSUB", "NUMPAT") == .integer(0))
        await subscriber.close()
        await publisher.close()
        await server.stop()
    }

    /// The server dies and comes back on the same port: the subscriber reconnects by itself,
    /// resubscribes everything (confirmed before it says `connected`) and receives what is
    /// published after the restart.
    @Test(arguments: TestServerKind.allCases)
    func resubscribesAfterTheServerComesBack(_ kind: TestServerKind) async throws {
        guard kind.isAvailable else { return }
        var server = try await TestServer.start(kind, arguments: ["--requirepass", "pw"], port: FreePort.findStable())
        let port = server.port
        let subscriber = RedisSubscriber(
            configuration: try Self.configuration(port: port) { $0.url.password = "pw" },
            eventLoopGroup: TestClients.group, logger: Self.quiet)
        try await subscriber.connect()
        let channels = Inbox()
        let patterns = Inbox()
        let shards = Inbox()
        let many = (0..<2500).map { "c\($0)" }
        _ = try await subscriber.subscribe(.channel, many, handler: channels.handler)
        _ = try await subscriber.subscribe(.pattern, ["p:*"], handler: patterns.handler)
        _ = try await subscriber.subscribe(.shardChannel, ["s"], handler: shards.handler)
        await server.kill()
        for await state in subscriber.stateChanges() where state != .connected { break }
        server = try await TestServer.start(kind, arguments: ["--requirepass", "pw"], port: port)
        for await state in subscriber.stateChanges() where state == .connected { break }
        let publisher = RedisClient(
            configuration: try Self.configuration(port: port) { $0.url.password = "pw" },
            eventLoopGroup: TestClients.group, logger: Self.quiet)
        try await publisher.connect()
        // Subscriptions are back before `connected`: each publish reaches exactly one subscriber.
        #expect(try await publisher.send("PUBLISH", "c2499", "after") == .integer(1))
        #expect(try await publisher.send("PUBLISH", "p:x", "after") == .integer(1))
        #expect(try await publisher.send("SPUBLISH", "s", "after") == .integer(1))
        #expect(await channels.wait(for: 1) == ["c2499=after"])
        #expect(await patterns.wait(for: 1) == ["p:x=after"])
        #expect(await shards.wait(for: 1) == ["s=after"])
        await subscriber.close()
        await publisher.close()
        await server.stop()
    }

    @Test func subscribingWhileDisconnectedFailsFast() async throws {
        let refusing = try RefusingPort()
        let subscriber = RedisSubscriber(
            configuration: try Self.configuration(port: refusing.port), eventLoopGroup: TestClients.group,
            logger: Self.quiet)
        await #expect {
            try await subscriber.subscribe(.channel, ["x"]) { _, _ in }
        } throws: { error in
            [.notConnected, .connectionClosed].contains((error as? RedisClientError)?.code)
        }
        await subscriber.close()
        withExtendedLifetime(refusing) {}
    }
}
