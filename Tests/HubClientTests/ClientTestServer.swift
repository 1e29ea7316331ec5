import HubProtocol
import HubTestSupport
import HubTransports
import Hubs
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The hub the client tests call, and servers around it on port 0.
enum ClientTestHub {
    static let path = "/clientHub"

    /// What the hub saw that a test waits for (a stream cancelled, a stream upload's items).
    static func definition(events: TestEventQueue<String>) -> HubDefinition {
        var hub = HubDefinition(name: "ClientTestHub")
        hub.on("Echo") { (_: HubCallerContext, text: String) -> String in text }
        hub.on("Add") { (_: HubCallerContext, a: Int, b: Int) -> Int in a + b }
        hub.on("Mirror") { (_: HubCallerContext, point: Point) -> Point in Point(x: point.y, y: point.x) }
        hub.on("Nothing") { (_: HubCallerContext) in }
        hub.on("Fails") { (_: HubCallerContext) in throw HubError("not today") }
        hub.on("Broadcast") { (hub: HubCallerContext, text: String) in
            try await hub.clients.all.send("Receive", text, hub.connectionId)
        }
        hub.on("Record") { (_: HubCallerContext, text: String) in events.push("record \(text)") }
        hub.on("WhoAmI") { (hub: HubCallerContext) -> String in hub.userIdentifier ?? "(anonymous)" }
        hub.on("Sum") { (_: HubCallerContext, numbers: HubStream<Int>) -> Int in
            var total = 0
            for try await number in numbers { total += number }
            return total
        }
        hub.on("Concat") { (_: HubCallerContext, separator: String, words: HubStream<String>) -> String in
            var all: [String] = []
            for try await word in words { all.append(word) }
            return all.joined(separator: separator)
        }
        hub.on("AskCaller") { (hub: HubCallerContext, question: String) -> String in
            try await hub.clients.caller.invoke("Answer", question, returning: String.self)
        }
        hub.stream("Count") { (_: HubCallerContext, count: Int) in
            AsyncStream<Int> { continuation in
                for index in 1...max(1, count) { continuation.yield(index) }
                continuation.finish()
            }
        }
        hub.stream("StreamFails") { (_: HubCallerContext) in
            AsyncThrowingStream<Int, any Error> { continuation in
                continuation.yield(1)
                continuation.finish(throwing: HubError("stream broke"))
            }
        }
        hub.stream("Forever") { (_: HubCallerContext) in
            AsyncStream<Int> { continuation in
                let task = Task {
                    var index = 0
                    while !Task.isCancelled {
                        continuation.yield(index)
                        index += 1
                        try? await Task.sleep(for: .milliseconds(20))
                    }
                    continuation.finish()
                }
                continuation.onTermination = { _ in
                    task.cancel()
                    events.push("Forever ended")
                }
            }
        }
        return hub
    }

    /// A server on port 0 hosting the hub at ``path``; `configure` adds routes to the router.
    static func withServer<Result: Sendable>(
        events: TestEventQueue<String> = TestEventQueue(), hubOptions: HubOptions = HubOptions(),
        authenticate: HubAuthenticator? = nil,
        configure: @escaping @Sendable (Router<BasicRequestContext>) -> Void = { _ in },
        _ body: (Int) async throws -> Result
    ) async throws -> Result {
        let logger = quietLogger()
        let endpoint = HubEndpoint(definition: definition(events: events), options: hubOptions, logger: logger)
        let host = HubHost(logger: logger)
        host.addHub(endpoint, at: path, authenticate: authenticate)
        return try await TestServer.withRunning(
            { onListening in
                let router = Router()
                router.addHubs(host)
                configure(router)
                return Application(
                    router: router, server: .hubs(host),
                    configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
                    services: [host],
                    onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
                    logger: logger)
            }, body)
    }

    static func quietLogger() -> Logger {
        var logger = Logger(label: "hub-client-test")
        logger.logLevel = .warning
        return logger
    }
}

/// A value with named fields, to check objects both ways.
struct Point: Codable, Sendable, Equatable {
    var x: Int
    var y: Int
}

/// A server that can be stopped and started again on the same port, for reconnect tests.
final class RestartableServer: Sendable {
    let port: Int
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    private init(port: Int, group: ServiceGroup, running: Task<Void, any Error>) {
        self.port = port
        self.group = group
        self.running = running
    }

    /// Starts the application `make` builds for `port` (0: any) and returns once it listens.
    static func start(
        port: Int,
        _ make: (_ port: Int, _ onListening: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol
    ) async throws -> RestartableServer {
        let ports = TestEventQueue<Int>()
        let app = make(port) { bound in ports.push(bound) }
        let group = ServiceGroup(configuration: .init(services: [app], logger: ClientTestHub.quietLogger()))
        let running = Task { try await group.run() }
        let bound = try await ports.next(timeout: .seconds(20))
        return RestartableServer(port: bound, group: group, running: running)
    }

    /// Shuts the server down gracefully and waits until it has.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }
}
