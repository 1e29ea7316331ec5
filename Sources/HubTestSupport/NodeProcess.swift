import TestSupport

/// A sample node executable (`web-node`, `api-node`) running as a process on a Redis backplane,
/// on a port it picked itself.
public struct NodeProcess: Sendable {
    /// The process.
    public let process: RunningProcess
    /// The port it listens on (127.0.0.1).
    public let port: Int

    /// The LearningHub's URL on this node.
    public var hubURL: String { "http://127.0.0.1:\(port)/learningHub" }

    /// Starts the built executable `name` with `--port 0` on the Redis at `redisPort`; returns once
    /// it listens (its backplane may still be connecting: see ``health()``).
    public static func start(_ name: String, redisPort: Int) async throws -> NodeProcess {
        guard let path = BuiltExecutable.path(name) else { throw TestSupportError("\(name) is not built") }
        let process = try RunningProcess.spawn(
            path, ["--port", "0", "--redis", "redis://127.0.0.1:\(redisPort)", "--log-level", "error"])
        let output = try await process.waitForOutput(containing: "listening on http://", timeout: .seconds(60))
        guard let port = output.firstMatch(of: #/listening on http://127\.0\.0\.1:(\d+)/#).flatMap({ Int($0.1) })
        else { throw TestSupportError("\(name) did not say where it listens: \(output)") }
        return NodeProcess(process: process, port: port)
    }

    /// The body of `GET /health`.
    public func health() async throws -> String {
        try await TestHTTPClient.request("GET", port: port, path: "/health").body
    }
}
