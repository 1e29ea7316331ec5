import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Which server a test runs against.
public enum TestServerKind: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Debian's `redis-server`, the reference.
    case redis
    /// The bundled broker, in-process.
    case broker

    public var description: String { rawValue }

    /// Whether this kind can run here (`redis-server` may be absent locally; CI installs it).
    public var isAvailable: Bool { self == .broker || RedisServerProcess.isAvailable }
}

/// A `redis-server` or a broker started for one test on a free loopback port, with the same
/// `redis-server`-style arguments (`["--requirepass", "secret"]`) for either.
public final class TestServer: Sendable {
    /// Which server this is.
    public let kind: TestServerKind
    /// The port it listens on (127.0.0.1).
    public let port: Int
    private let redis: RedisServerProcess?
    private let broker: TestBroker?

    private init(kind: TestServerKind, port: Int, redis: RedisServerProcess?, broker: TestBroker?) {
        self.kind = kind
        self.port = port
        self.redis = redis
        self.broker = broker
    }

    /// Starts a server of `kind` with `arguments`, on `port` or a free one.
    public static func start(
        _ kind: TestServerKind, arguments: [String] = [], port: Int? = nil
    ) async throws
        -> TestServer
    {
        switch kind {
        case .redis:
            let redis = try await RedisServerProcess.start(arguments: arguments, port: port)
            return TestServer(kind: kind, port: redis.port, redis: redis, broker: nil)
        case .broker:
            guard let port else {
                let broker = try await TestBroker.start(arguments: arguments)
                return TestServer(kind: kind, port: broker.port, redis: nil, broker: broker)
            }
            // Restarting on a port just closed: while the whole suite runs, the kernel now and
            // then still reports it in use for a moment. No event says when it is free, so retry
            // (bounded: 50 times, 100 ms apart).
            var attempt = 0
            while true {
                do {
                    let broker = try await TestBroker.start(arguments: arguments + ["--port", String(port)])
                    return TestServer(kind: kind, port: broker.port, redis: nil, broker: broker)
                } catch let error as IOError where error.errnoCode == EADDRINUSE && attempt < 50 {
                    attempt += 1
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
        }
    }

    /// Ends the server abruptly: redis-server is killed (SIGKILL); the broker stops, closing
    /// every connection. The port is free again when this returns.
    public func kill() async {
        await redis?.kill()
        try? await broker?.stop()
    }

    /// Stops the server.
    public func stop() async {
        redis?.stop()
        try? await broker?.stop()
    }

    /// Runs `body` with a server of `kind` started with `arguments`, and stops it afterwards
    /// (after a failure too). Skips, saying so, when `kind` cannot run here (redis-server absent
    /// locally; CI installs it).
    public static func withServer(
        _ kind: TestServerKind, arguments: [String] = [], _ body: (TestServer) async throws -> Void
    ) async throws {
        guard kind.isAvailable else {
            print("skipped on \(kind): redis-server is not installed (CI installs it)")
            return
        }
        let server = try await TestServer.start(kind, arguments: arguments)
        do {
            try await body(server)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
