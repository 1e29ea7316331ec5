import Broker
import Logging

/// Our broker started in-process on a free port of 127.0.0.1 for one test.
public final class TestBroker: Sendable {
    /// The running server.
    public let server: BrokerServer
    /// The port it bound.
    public let port: Int

    /// Starts a broker; `configure` may change the configuration first (port and bind are set for tests).
    public static func start(
        _ configure: (inout BrokerConfiguration) -> Void = { _ in }
    ) async throws -> TestBroker {
        var configuration = BrokerConfiguration()
        configuration.bind = ["127.0.0.1"]
        configuration.port = 0
        configure(&configuration)
        var logger = Logger(label: "test.broker")
        logger.logLevel = .warning
        let server = BrokerServer(configuration: configuration, logger: logger)
        do {
            let port = try await server.start()
            return TestBroker(server: server, port: port)
        } catch {
            try? await server.shutdown()
            throw error
        }
    }

    /// Starts a broker configured by `redis-server`-style arguments (`["--requirepass", "secret"]`),
    /// each `--name value…` group read as a line of the configuration file.
    public static func start(arguments: [String]) async throws -> TestBroker {
        try await start { configuration in
            var words: [String] = []
            func apply() {
                if !words.isEmpty { try? configuration.apply(configurationText: words.joined(separator: " ")) }
            }
            for a in arguments {
                if a.hasPrefix("--") {
                    apply()
                    words = [String(a.dropFirst(2))]
                } else {
                    words.append("\"\(a)\"")
                }
            }
            apply()
        }
    }

    private init(server: BrokerServer, port: Int) {
        self.server = server
        self.port = port
    }

    /// Stops the broker and waits until its thread has ended.
    public func stop() async throws {
        try await server.shutdown()
    }
}
