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

    /// Starts a node like ``start(_:redisPort:)`` and waits until its backplane is connected, so
    /// a broadcast from then on crosses nodes (/health has no event to await, so it is polled).
    public static func startHealthy(_ name: String, redisPort: Int) async throws -> NodeProcess {
        let node = try await start(name, redisPort: redisPort)
        let deadline = ContinuousClock.now + .seconds(60)
        while try await !node.health().contains(#""status":"ok""#) {
            guard ContinuousClock.now < deadline else {
                _ = await node.process.terminate()
                throw TestTimeoutError(description: "\(name) never became healthy")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return node
    }

    /// Runs the bundled broker with web-node and api-node on it for `body`, then stops them.
    public static func withCluster(
        _ body: (_ web: NodeProcess, _ api: NodeProcess) async throws -> Void
    )
        async throws
    {
        let broker = try await TestSupport.TestServer.start(.broker)
        var nodes: [NodeProcess] = []
        do {
            nodes.append(try await startHealthy("web-node", redisPort: broker.port))
            nodes.append(try await startHealthy("api-node", redisPort: broker.port))
            try await body(nodes[0], nodes[1])
        } catch {
            for node in nodes { _ = await node.process.terminate() }
            await broker.stop()
            throw error
        }
        for node in nodes { _ = await node.process.terminate() }
        await broker.stop()
    }
}
