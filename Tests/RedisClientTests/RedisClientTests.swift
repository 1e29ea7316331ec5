import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RESP
import RedisClient
import Testing
import TestSupport

/// The reconnecting client against redis-server and the broker: reconnection after the server
/// dies, failing fast or queueing while disconnected, observable state.
@Suite struct RedisClientTests {
    static func client(
        port: Int, _ configure: (inout RedisClientConfiguration) -> Void = { _ in }
    ) throws -> RedisClient {
        var configuration = try RedisClientConfiguration("redis://127.0.0.1:\(port)")
        configuration.reconnect = .init(initialDelay: .milliseconds(20), maximumDelay: .milliseconds(200))
        configuration.connectTimeout = TestClients.connectTimeout
        configure(&configuration)
        var logger = Logger(label: "test.redis")
        logger.logLevel = .error
        return RedisClient(configuration: configuration, eventLoopGroup: TestClients.group, logger: logger)
    }

    /// Waits (by the state stream, no polling) until `client` reports a state `matching`.
    static func wait(_ client: RedisClient, until matching: (RedisClientState) -> Bool) async {
        for await s in client.stateChanges() where matching(s) { return }
    }

    /// Waits until `client` reports `state`.
    static func wait(_ client: RedisClient, for state: RedisClientState) async {
        await wait(client) { $0 == state }
    }

    /// Waits until `client` is reconnecting, at attempt `attempt` or later.
    static func waitReconnecting(_ client: RedisClient, atLeast attempt: Int = 1) async {
        await wait(client) {
            if case .reconnecting(let n) = $0 { return n >= attempt }
            return false
        }
    }

    @Test(arguments: TestServerKind.allCases)
    func reconnectsAfterTheServerDiesAndComesBack(_ kind: TestServerKind) async throws {
        guard kind.isAvailable else { return }
        var server = try await TestServer.start(kind, arguments: ["--requirepass", "pw"], port: FreePort.findStable())
        let port = server.port
        let client = try Self.client(port: port) {
            $0.url.password = "pw"
            $0.url.database = 2
            $0.clientName = "survivor"
        }
        try await client.connect()
        #expect(client.state == .connected)
        try await client.send("SET", "k", "before")
        await server.kill()
        await Self.waitReconnecting(client)
        // Fail fast (the default) while the server is away.
        await #expect {
            try await client.send("PING")
        } throws: { error in
            [.notConnected, .connectionClosed].contains((error as? RedisClientError)?.code)
        }
        server = try await TestServer.start(kind, arguments: ["--requirepass", "pw"], port: port)
        await Self.wait(client, for: .connected)
        // The handshake ran again: authenticated, database 2, the same name.
        #expect(try await client.send("CLIENT", "GETNAME") == .bulkString(ByteBuffer(string: "survivor")))
        try await client.send("SET", "k", "after")
        let check = try Self.client(port: port) { $0.url.password = "pw" }
        try await check.connect()
        #expect(try await check.send("EXISTS", "k") == .integer(0))
        try await check.send("SELECT", 2)
        #expect(try await check.send("GET", "k") == .bulkString(ByteBuffer(string: "after")))
        await check.close()
        await client.close()
        #expect(client.state == .closed)
        await #expect {
            try await client.send("PING")
        } throws: { error in
            (error as? RedisClientError)?.code == .clientClosed
        }
        await server.stop()
    }

    @Test func queuedCommandsWaitForTheConnection() async throws {
        let kind = TestServerKind.broker
        var server = try await TestServer.start(kind, port: FreePort.findStable())
        let port = server.port
        let client = try Self.client(port: port) {
            $0.disconnectedBehavior = .queue(limit: 3, timeout: .seconds(30))
        }
        try await client.connect()
        await server.kill()
        await Self.waitReconnecting(client)
        // Three commands wait; a fourth finds the queue full.
        async let a = client.send("INCR", "n")
        async let b = client.send("INCR", "n")
        async let c = client.send("INCR", "n")
        // The three are submitted by child tasks; wait (bounded) until all three are queued.
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(10))
        while await client.queuedCommandCount() < 3 && clock.now < deadline { await Task.yield() }
        #expect(await client.queuedCommandCount() == 3)
        await #expect {
            try await client.send("PING")
        } throws: { error in
            (error as? RedisClientError)?.code == .queueFull
        }
        server = try await TestServer.start(kind, port: port)
        let replies = try await [a, b, c]
        #expect(Set(replies) == [.integer(1), .integer(2), .integer(3)])
        await client.close()
        await server.stop()
    }

    @Test func queuedCommandsTimeOut() async throws {
        let refusing = try RefusingPort()
        let client = try Self.client(port: refusing.port) {
            $0.disconnectedBehavior = .queue(limit: 10, timeout: .milliseconds(100))
        }
        await #expect {
            try await client.connect()
        } throws: { error in
            (error as? RedisClientError)?.code == .connectionClosed
        }
        await #expect {
            try await client.send("PING")
        } throws: { error in
            (error as? RedisClientError)?.code == .queueTimeout
        }
        await client.close()
        withExtendedLifetime(refusing) {}
    }

    /// A server that closes every connection right after accepting it: the client retries with
    /// growing delays (the state stream shows each attempt), not in a tight loop.
    @Test func closingServerGetsBackoffNotASpin() async throws {
        let accepted = NIOLockedCounter()
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                accepted.increment()
                return channel.close()
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let client = try Self.client(port: listener.localAddress!.port!) {
            $0.url.password = "x"  // so the handshake needs a reply and sees the close
            $0.reconnect = .init(initialDelay: .milliseconds(50), maximumDelay: .milliseconds(400))
        }
        await #expect(throws: RedisClientError.self) { try await client.connect() }
        await Self.waitReconnecting(client, atLeast: 5)
        await client.close()
        try await listener.close()
        // One connection per attempt (the delays themselves are checked in RedisURLTests).
        #expect((5...7).contains(accepted.value), "\(accepted.value) connections for 5 attempts")
    }

    /// As a ServiceLifecycle service: `run()` connects, and cancelling it closes the client.
    @Test func runsAsAService() async throws {
        let server = try await TestServer.start(.broker)
        let client = try Self.client(port: server.port)
        let task = Task { try await client.run() }
        await Self.wait(client, for: .connected)
        #expect(try await client.send("PING") == .simpleString(ByteBuffer(string: "PONG")))
        task.cancel()
        try await task.value
        #expect(client.state == .closed)
        await server.stop()
    }

    @Test("closing while another task watches the state ends that watch (no deadlock)")
    func closeWhileStateIsObserved() async throws {
        let broker = try await TestBroker.start()
        let client = try Self.client(port: broker.port)
        try await client.connect()
        let watched = client.stateChanges()
        let watcher = Task { () -> [RedisClientState] in
            var seen: [RedisClientState] = []
            for await state in watched { seen.append(state) }
            return seen
        }
        // Finishing the watchers' streams used to run their termination handlers under the lock
        // those handlers take: the event loop deadlocked (a crash in debug builds).
        await client.close()
        #expect(await watcher.value.last == .closed)
        try await broker.stop()
    }
}

/// A thread-safe counter for channel initializers.
final class NIOLockedCounter: Sendable {
    private let box = NIOLockedValueBox(0)
    func increment() { box.withLockedValue { $0 += 1 } }
    var value: Int { box.withLockedValue { $0 } }
}
