import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Runs a Hummingbird application (a hub node) in-process for a test, on the port it was
/// configured with (use 0), and shuts it down gracefully afterwards.
public enum TestServer {
    /// Starts the application made by `make` (which receives the callback reporting the bound
    /// port), runs `body` with that port, then shuts the server down gracefully and waits for it.
    public static func withRunning<Result: Sendable>(
        _ make: (@escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol,
        timeout: Duration = .seconds(20),
        _ body: (Int) async throws -> Result
    ) async throws -> Result {
        let ports = TestEventQueue<Int>()
        let app = make { port in ports.push(port) }
        let group = ServiceGroup(
            configuration: .init(services: [app], logger: Logger(label: "test-server")))
        let running = Task { try await group.run() }
        do {
            let port = try await ports.next(timeout: timeout)
            let result = try await body(port)
            await group.triggerGracefulShutdown()
            try await running.value
            return result
        } catch {
            await group.triggerGracefulShutdown()
            _ = try? await running.value
            throw error
        }
    }
}
