import Foundation
import HubBackplane
import HubProtocol
import HubTestSupport
import HubTransports
import Hubs
import Hummingbird
import Logging
import Metrics
import NIOCore
import RedisClient
import TestSupport
import Testing

/// A hub node run in-process for a backplane test: a test hub at `/hub` behind a Redis backplane.
/// Connections name their user with `?user=<id>`.
struct BackplaneTestNode: Sendable {
    let port: Int
    let manager: RedisHubLifetimeManager
    let endpoint: HubEndpoint

    var context: HubContext { endpoint.context }

    static let path = "/hub"

    static func definition(name: String) -> HubDefinition {
        var hub = HubDefinition(name: name)
        hub.on("WhoAmI") { (hub: HubCallerContext) -> String in hub.connectionId }
        hub.on("Broadcast") { (hub: HubCallerContext, text: String) in
            try await hub.clients.all.send("Receive", text)
        }
        hub.on("Others") { (hub: HubCallerContext, text: String) in
            try await hub.clients.others.send("Receive", text)
        }
        hub.on("ToConnection") { (hub: HubCallerContext, id: String, text: String) in
            try await hub.clients.client(id).send("Receive", text)
        }
        hub.on("ToConnections") { (hub: HubCallerContext, ids: [String], text: String) in
            try await hub.clients.clients(ids).send("Receive", text)
        }
        hub.on("Join") { (hub: HubCallerContext, group: String) in
            try await hub.groups.add(hub.connectionId, to: group)
        }
        hub.on("Leave") { (hub: HubCallerContext, group: String) in
            try await hub.groups.remove(hub.connectionId, from: group)
        }
        hub.on("ToGroup") { (hub: HubCallerContext, group: String, text: String) in
            try await hub.clients.group(group).send("Receive", text)
        }
        hub.on("ToGroups") { (hub: HubCallerContext, groups: [String], text: String) in
            try await hub.clients.groups(groups).send("Receive", text)
        }
        hub.on("ToOthersInGroup") { (hub: HubCallerContext, group: String, text: String) in
            try await hub.clients.othersInGroup(group).send("Receive", text)
        }
        hub.on("ToUser") { (hub: HubCallerContext, user: String, text: String) in
            try await hub.clients.user(user).send("Receive", text)
        }
        hub.on("ToUsers") { (hub: HubCallerContext, users: [String], text: String) in
            try await hub.clients.users(users).send("Receive", text)
        }
        hub.stream("Count") { (_: HubCallerContext, count: Int) in
            AsyncStream<Int> { continuation in
                for index in 0..<count { continuation.yield(index) }
                continuation.finish()
            }
        }
        return hub
    }

    static var logger: Logger {
        var logger = Logger(label: "backplane-test")
        logger.logLevel = .critical
        return logger
    }

    /// Runs `count` nodes of the hub `hubName` on the Redis-compatible server at `redisPort`, each
    /// connected to it, and gives them to `body`.
    static func withNodes<Result: Sendable>(
        _ count: Int = 2, redisPort: Int, hubName: String = "TestHub",
        configure: (inout RedisHubLifetimeManagerOptions) -> Void = { _ in },
        metricsFactory: (any MetricsFactory)? = nil,
        _ body: ([BackplaneTestNode]) async throws -> Result
    ) async throws -> Result {
        var options = RedisHubLifetimeManagerOptions(
            redis: try RedisClientConfiguration("redis://127.0.0.1:\(redisPort)"))
        options.redis.reconnect = .init(initialDelay: .milliseconds(20), maximumDelay: .milliseconds(200))
        configure(&options)
        return try await start(
            count, hubName: hubName, options: options, metricsFactory: metricsFactory, started: [], body)
    }

    private static func start<Result: Sendable>(
        _ count: Int, hubName: String, options: RedisHubLifetimeManagerOptions,
        metricsFactory: (any MetricsFactory)?, started: [BackplaneTestNode],
        _ body: ([BackplaneTestNode]) async throws -> Result
    ) async throws -> Result {
        guard started.count < count else { return try await body(started) }
        let manager = RedisHubLifetimeManager(
            hubName: hubName, options: options, logger: logger, metricsFactory: metricsFactory)
        let endpoint = HubEndpoint(
            definition: definition(name: hubName), options: .forBackplaneTests, lifetimeManager: manager,
            logger: logger, metricsFactory: metricsFactory)
        let host = HubHost(logger: logger)
        host.addHub(endpoint, at: path) { request in
            .accept(HubUser(identifier: request.request.queryItem("user")))
        }
        return try await HubTestSupport.TestServer.withHubs(
            host, services: [manager], logger: logger, timeout: .seconds(60)
        ) { port in
            try await manager.connect()
            let node = BackplaneTestNode(port: port, manager: manager, endpoint: endpoint)
            return try await start(
                count, hubName: hubName, options: options, metricsFactory: metricsFactory, started: started + [node],
                body)
        }
    }

    /// Connects a client (JSON unless `protocolName` says otherwise) and learns its connection id.
    func connect(user: String? = nil, protocolName: String = "json") async throws -> BackplanePeer {
        try await BackplanePeer.connect(port: port, user: user, protocolName: protocolName)
    }
}

extension HubOptions {
    /// Timeouts long enough for a loaded 2-core machine.
    static var forBackplaneTests: HubOptions {
        var options = HubOptions()
        options.handshakeTimeout = .seconds(300)
        options.keepAliveInterval = .seconds(300)
        options.clientTimeoutInterval = .seconds(600)
        return options
    }
}

/// Waits (by the connections' state events) until `manager` is connected or not, for at most
/// `timeout`.
func waitUntil(
    _ what: String, _ manager: RedisHubLifetimeManager, connected: Bool, timeout: Duration = .seconds(30)
) async throws {
    let done = TestEventQueue<Void>()
    let waiter = Task {
        await manager.waitUntil(connected: connected)
        done.push(())
    }
    defer { waiter.cancel() }
    do {
        try await done.next(timeout: timeout)
    } catch {
        throw TestTimeoutError(description: "timed out waiting until \(what)")
    }
    #expect(manager.isConnected == connected, "\(what)")
}

/// Waits until `condition` holds, checking it every 10 ms, for at most `timeout`: for state that
/// has no event to await (a count another node's Redis connection changes).
func eventually(
    _ what: String, timeout: Duration = .seconds(30), _ condition: @Sendable () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while try await !condition() {
        guard clock.now < deadline else { throw TestTimeoutError(description: "timed out waiting until \(what)") }
        try await Task.sleep(for: .milliseconds(10))
    }
}
