import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A real `redis-server` (the reference) started on a free port for one test, and stopped by PID.
public final class RedisServerProcess: Sendable {
    /// The running server.
    public let process: RunningProcess
    /// The port it listens on (127.0.0.1).
    public let port: Int
    /// Its working directory (removed on stop).
    public let directory: String

    /// The child's process id.
    public var pid: pid_t { process.pid }

    /// The path of `redis-server`, or `nil` when it is not installed.
    public static var executable: String? { RunningProcess.find("redis-server") }

    /// Whether tests that compare with Redis can run here.
    public static var isAvailable: Bool { executable != nil }

    /// Starts redis-server (on `port`, or a free one) and returns once it logs that it accepts
    /// connections.
    public static func start(arguments: [String] = [], port fixedPort: Int? = nil) async throws -> RedisServerProcess {
        guard let executable else { throw TestSupportError("redis-server is not installed") }
        var lastError: Error = TestSupportError("redis-server did not start")
        for _ in 0..<3 {  // a port found free can be taken before redis binds it
            let port = try fixedPort ?? FreePort.find()
            let directory = NSTemporaryDirectory() + "redis-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let process = try RunningProcess.spawn(
                executable,
                [
                    "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--dir", directory, "--daemonize", "no", "--loglevel", "notice",
                ] + arguments)
            do {
                try await process.waitForOutput(containing: "Ready to accept connections")
                return RedisServerProcess(process: process, port: port, directory: directory)
            } catch {
                _ = await process.terminate()
                try? FileManager.default.removeItem(atPath: directory)
                lastError = TestSupportError("redis-server on port \(port) did not start: \(error)")
            }
        }
        throw lastError
    }

    private init(process: RunningProcess, port: Int, directory: String) {
        self.process = process
        self.port = port
        self.directory = directory
    }

    /// Kills the server at once (SIGKILL), as a crash would, and waits until it has exited.
    public func kill() async {
        if !process.hasExited { process.signal(SIGKILL) }
        _ = await process.terminate()
    }

    /// Stops the server: SIGTERM to its PID (its reaper thread collects the exit status).
    public func stop() {
        if !process.hasExited { process.signal(SIGTERM) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}

/// A failure of a test helper, with what went wrong.
public struct TestSupportError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
