import HubTransports
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Runs a Hummingbird application (a hub node) in-process for a test, on the port it was
/// configured with (use 0), and shuts it down gracefully afterwards.
public final class TestServer: Sendable {
    /// The port the application bound.
    public let port: Int
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    private init(port: Int, group: ServiceGroup, running: Task<Void, any Error>) {
        self.port = port
        self.group = group
        self.running = running
    }

    /// Starts the application made by `make` (which receives the callback reporting the bound
    /// port) and returns once it listens; ``stop()`` ends it. For a server a test stops and starts
    /// again; otherwise prefer ``withRunning(_:timeout:_:)``.
    public static func start(
        _ make: (@escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol,
        timeout: Duration = .seconds(20)
    ) async throws -> TestServer {
        let ports = TestEventQueue<Int>()
        let app = make { port in ports.push(port) }
        let group = ServiceGroup(
            configuration: .init(services: [app], logger: Logger(label: "test-server")))
        let running = Task { try await group.run() }
        do {
            let port = try await ports.next(timeout: timeout)
            return TestServer(port: port, group: group, running: running)
        } catch {
            await group.triggerGracefulShutdown()
            _ = try? await running.value
            throw error
        }
    }

    /// Shuts the server down gracefully and waits until it has; rethrows what ended it otherwise.
    public func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }

    /// Starts the application made by `make` (which receives the callback reporting the bound
    /// port), runs `body` with that port, then shuts the server down gracefully and waits for it.
    public static func withRunning<Result: Sendable>(
        _ make: (@escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol,
        timeout: Duration = .seconds(20),
        _ body: (Int) async throws -> Result
    ) async throws -> Result {
        let server = try await start(make, timeout: timeout)
        do {
            let result = try await body(server.port)
            try await server.stop()
            return result
        } catch {
            try? await server.stop()
            throw error
        }
    }

    /// Runs an application serving `host`'s hubs on 127.0.0.1, port 0, for `body`: `services` run
    /// beside it (started before the host, stopped after it), and `configure` adds routes.
    public static func withHubs<Result: Sendable>(
        _ host: HubHost, services: [any Service] = [], logger: Logger, timeout: Duration = .seconds(20),
        configure: (Router<BasicRequestContext>) -> Void = { _ in },
        _ body: (Int) async throws -> Result
    ) async throws -> Result {
        try await withRunning(
            { onListening in
                let router = Router()
                router.addHubs(host)
                configure(router)
                return Application(
                    router: router, server: .hubs(host),
                    configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
                    services: services + [host],
                    onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
                    logger: logger)
            }, timeout: timeout, body)
    }
}
