import Foundation
import HubTestSupport
import NIOCore
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `cluster/up` and `cluster/down`, the README's "run" command, driven as a newcomer would: a cluster
/// in the background, the printed URLs, the book's broadcast across its nodes, and nothing left
/// behind. The scripts run the executables this test build made (`--bin-dir`), so no second build
/// (a release build takes many minutes) happens inside the tests; `cluster/up`'s build step is
/// covered by its failure test.
@Suite(
    "cluster/up and cluster/down", .serialized,
    .enabled(if: NodeExecutables.areAvailable && BrokerExecutable.path != nil, "needs the built executables"))
struct ClusterScriptTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let up = root.appendingPathComponent("cluster/up").path
    static let down = root.appendingPathComponent("cluster/down").path
    static var binDir: String {
        URL(fileURLWithPath: BuiltExecutable.path("web-node")!).deletingLastPathComponent().path
    }

    /// A fresh state directory (logs and the state file) per test, so a developer's own cluster in
    /// `cluster/run/` is never touched.
    static func stateDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cluster-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The processes the state file lists: (pid, name).
    static func recorded(in stateDirectory: String) throws -> [(pid: pid_t, name: String)] {
        let text = try String(contentsOfFile: stateDirectory + "/cluster.state", encoding: .utf8)
        return text.split(separator: "\n").map { line in
            let fields = line.split(separator: " ")
            return (pid_t(fields[0])!, String(fields[2]))
        }
    }

    /// Whether `pid` is a process that has not exited (a zombie waiting for init to reap it has).
    static func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state != "Z" && state != "X"
    }

    /// Runs a script to its end: (exit status, output).
    static func run(_ arguments: [String], timeout: TimeAmount = .seconds(300)) async throws -> (Int32, String) {
        let process = try RunningProcess.spawn("/usr/bin/env", arguments)
        let output = try await process.output.waitForEnd(timeout: timeout)
        return (try await process.waitForExit(timeout: timeout), output)
    }

    /// The distinct ports of the `http://127.0.0.1:PORT` URLs in `output`, in order.
    static func printedNodePorts(_ output: String) -> [Int] {
        var ports: [Int] = []
        for match in output.matches(of: #/http://127\.0\.0\.1:(\d+)/#) {
            if let port = Int(match.1), !ports.contains(port) { ports.append(port) }
        }
        return ports
    }

    static func health(_ port: Int) async throws -> String {
        try await TestHTTPClient.request("GET", port: port, path: "/health").body
    }

    @Test(
        "--detach: every printed node answers /health, the book's broadcast crosses the nodes, cluster/down stops all")
    func detachedCluster() async throws {
        let state = try Self.stateDirectory()
        let (status, output) = try await Self.run([Self.up, "--detach", "--bin-dir", Self.binDir, "--state-dir", state])
        let processes = try Self.recorded(in: state)
        defer { for process in processes where Self.isRunning(process.pid) { kill(process.pid, SIGKILL) } }
        try #require(status == 0, "cluster/up --detach failed:\n\(output)")
        #expect(processes.map(\.name) == ["broker", "web-node-1", "api-node-2"])
        #expect(processes.allSatisfy { Self.isRunning($0.pid) })

        // What it prints: a URL per node, the broker, a redis-cli command, the logs and how to stop.
        let ports = Self.printedNodePorts(output)
        #expect(ports.count == 2, "\(output)")
        for port in ports { #expect(try await Self.health(port).contains(#""status":"ok""#)) }
        let brokerPort = try #require(output.firstMatch(of: #/redis://127\.0\.0\.1:(\d+)/#).flatMap { Int($0.1) })
        #expect(output.contains("redis-cli -p \(brokerPort) pubsub channels 'SignalRHubs.LearningHub:*'"))
        #expect(output.contains("Logs: \(state)/logs/"))
        #expect(output.contains("Stop: cluster/down --state-dir \(state)"))
        if RedisCLI.isAvailable {
            // The printed command, pasted into a shell, shows the hub's channels.
            let printed = try #require(output.split(separator: "\n").first { $0.contains("redis-cli -p") })
            let (cliStatus, channels) = try await Self.run(["sh", "-c", String(printed)], timeout: .seconds(30))
            #expect(cliStatus == 0)
            #expect(channels.contains("SignalRHubs.LearningHub:all"), "\(channels)")
        }

        // The book's scenario through it: a client of api-node broadcasts, web-node's client receives,
        // and opening web-node's page reaches the client of api-node.
        let (web, api) = (ports[0], ports[1])
        let onWeb = try await BackplanePeer.connect(port: web, path: "/learningHub", learnId: false)
        let onAPI = try await BackplanePeer.connect(port: api, path: "/learningHub", learnId: false)
        for peer in [onWeb, onAPI] { try await peer.call("SendToIndividual", "no-such-connection", "ready?") }
        // tools/watch-backplane (docs/inspect.md) decodes what crosses the broker.
        let watcher =
            RunningProcess.find("python3") == nil
            ? nil
            : try RunningProcess.spawn(
                "/usr/bin/env",
                [
                    "python3", Self.root.appendingPathComponent("tools/watch-backplane").path,
                    "--url", "redis://127.0.0.1:\(brokerPort)", "--count", "1",
                ])
        defer { watcher?.signal(SIGKILL) }
        if let watcher { _ = try await watcher.waitForOutput(containing: "watching SignalRHubs.LearningHub:*") }

        try await onAPI.call("BroadcastMessage", "across the cluster")
        let received = try await onWeb.nextReceived("ReceiveMessage")
        #expect(received.hasSuffix("Message: across the cluster"))
        #expect(try await onAPI.nextReceived("ReceiveMessage") == received)
        if let watcher {
            #expect(try await watcher.waitForExit() == 0)
            let watched = try await watcher.output.waitForEnd(timeout: .seconds(30))
            #expect(watched.contains("SignalRHubs.LearningHub:all\n  excluding nobody\n"), "\(watched)")
            #expect(watched.contains(#"json: {"type":1,"target":"ReceiveMessage","arguments":["\#(received)"]}"#))
            #expect(watched.contains("messagepack: Invocation [1, {}, None, 'ReceiveMessage', ['\(received)'], []]"))
        }
        #expect(try await TestHTTPClient.request("GET", port: web, path: "/").status == 200)
        try await expectDelivered(
            [(onWeb, [BookScenarioTests.index]), (onAPI, [BookScenarioTests.index])], markerFrom: onWeb,
            method: "BroadcastMessage", target: "ReceiveMessage")
        // The printed hubctl broadcast, pasted into a shell, reaches both nodes' clients.
        let hubctlLine = try #require(output.split(separator: "\n").first { $0.contains("hubctl broadcast ") })
        #expect(output.contains("hubctl listen http://127.0.0.1:\(web)/learningHub"))
        let (hubctlStatus, hubctlOutput) = try await Self.run(["sh", "-c", String(hubctlLine)], timeout: .seconds(60))
        #expect(hubctlStatus == 0, "\(hubctlOutput)")
        #expect(try await onWeb.nextReceived("ReceiveMessage").hasSuffix("Message: hello, every node"))
        #expect(try await onAPI.nextReceived("ReceiveMessage").hasSuffix("Message: hello, every node"))
        await onWeb.disconnect()
        await onAPI.disconnect()

        // A second cluster from the same state directory is refused while this one runs.
        let (again, refusal) = try await Self.run([Self.up, "--detach", "--bin-dir", Self.binDir, "--state-dir", state])
        #expect(again == 1)
        #expect(refusal.contains("a cluster is already running"), "\(refusal)")

        let (downStatus, downOutput) = try await Self.run([Self.down, "--state-dir", state])
        #expect(downStatus == 0, "\(downOutput)")
        #expect(downOutput.contains("cluster stopped"))
        for process in processes { #expect(!Self.isRunning(process.pid), "\(process.name) still runs") }
        #expect(!FileManager.default.fileExists(atPath: state + "/cluster.state"))
        let (_, nothing) = try await Self.run([Self.down, "--state-dir", state])
        #expect(nothing.contains("no cluster is running"))
        try? FileManager.default.removeItem(atPath: state)
    }

    @Test("in the foreground on an existing Redis: the prefix reaches Redis, Ctrl-C stops every node")
    func foregroundOnRedis() async throws {
        guard TestServerKind.redis.isAvailable else { return }
        try await TestSupport.TestServer.withServer(.redis) { server in
            let state = try Self.stateDirectory()
            let up = try RunningProcess.spawn(
                "/usr/bin/env",
                [
                    Self.up, "--bin-dir", Self.binDir, "--state-dir", state, "--nodes", "3",
                    "--redis", "redis://127.0.0.1:\(server.port)", "--channel-prefix", "demo.",
                ])
            let output = try await up.waitForOutput(containing: "Stop: Ctrl-C", timeout: .seconds(300))
            let processes = try Self.recorded(in: state)
            defer { for process in processes where Self.isRunning(process.pid) { kill(process.pid, SIGKILL) } }
            // No broker of its own: three nodes on the given Redis.
            #expect(processes.map(\.name) == ["web-node-1", "api-node-2", "web-node-3"])
            #expect(output.contains("joined through the Redis at redis://127.0.0.1:\(server.port)"))
            #expect(
                output.contains(
                    "redis-cli -u redis://127.0.0.1:\(server.port) pubsub channels 'demo.SignalRHubs.LearningHub:*'"))
            let ports = Self.printedNodePorts(output)
            #expect(ports.count == 3)
            for port in ports { #expect(try await Self.health(port).contains(#""status":"ok""#)) }
            let channels = try await RedisCLI.run(port: server.port, ["pubsub", "channels", "*"])
            #expect(channels.output.contains("demo.SignalRHubs.LearningHub:all"))
            #expect(!channels.output.split(separator: "\n").contains { !$0.hasPrefix("demo.") })

            up.signal(SIGINT)
            #expect(try await up.waitForExit(timeout: .seconds(60)) == 130)
            #expect(try await up.output.waitForEnd(timeout: .seconds(30)).contains("stopped web-node-1"))
            for process in processes { #expect(!Self.isRunning(process.pid), "\(process.name) still runs") }
            try? FileManager.default.removeItem(atPath: state)
        }
    }

    @Test("in the foreground, a node that dies takes the cluster down with it: nothing half-running")
    func nodeDies() async throws {
        let state = try Self.stateDirectory()
        let up = try RunningProcess.spawn("/usr/bin/env", [Self.up, "--bin-dir", Self.binDir, "--state-dir", state])
        _ = try await up.waitForOutput(containing: "Stop: Ctrl-C", timeout: .seconds(300))
        let processes = try Self.recorded(in: state)
        defer { for process in processes where Self.isRunning(process.pid) { kill(process.pid, SIGKILL) } }
        kill(processes[1].pid, SIGKILL)
        #expect(try await up.waitForExit(timeout: .seconds(60)) == 1)
        #expect(
            try await up.output.waitForEnd(timeout: .seconds(30)).contains(
                "web-node-1 (pid \(processes[1].pid)) exited; stopping the rest"))
        for process in processes { #expect(!Self.isRunning(process.pid), "\(process.name) still runs") }
        try? FileManager.default.removeItem(atPath: state)
    }

    @Test("on a TLS Redis that wants a client certificate: the TLS flags after -- reach every node")
    func tlsRedis() async throws {
        guard TestServerKind.redis.isAvailable, TestCertificates.isAvailable else { return }
        let certificates = try await TestCertificates.make()
        defer { try? FileManager.default.removeItem(atPath: certificates.directory) }
        let port = try FreePort.find()
        let server = try await RedisServerProcess.start(
            arguments: certificates.redisServerArguments(tlsPort: port, clientCertificates: true))
        defer { server.stop() }
        let state = try Self.stateDirectory()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let (status, output) = try await Self.run([
            Self.up, "--detach", "--bin-dir", Self.binDir, "--state-dir", state,
            "--redis", "rediss://localhost:\(port)", "--",
            "--redis-cacert", certificates.ca, "--redis-cert", certificates.clientCertificate,
            "--redis-key", certificates.clientKey,
        ])
        let processes = try Self.recorded(in: state)
        defer { for process in processes where Self.isRunning(process.pid) { kill(process.pid, SIGKILL) } }
        try #require(status == 0, "cluster/up on TLS failed:\n\(output)")
        #expect(output.contains("redis-cli --tls -u rediss://localhost:\(port) pubsub channels"), "\(output)")
        let ports = Self.printedNodePorts(output)
        for port in ports { #expect(try await Self.health(port).contains(#""status":"ok""#)) }
        let onWeb = try await BackplanePeer.connect(port: ports[0], path: "/learningHub", learnId: false)
        let onAPI = try await BackplanePeer.connect(port: ports[1], path: "/learningHub", learnId: false)
        for peer in [onWeb, onAPI] { try await peer.call("SendToIndividual", "no-such-connection", "ready?") }
        try await onAPI.call("BroadcastMessage", "over TLS")
        #expect(try await onWeb.nextReceived("ReceiveMessage").hasSuffix("Message: over TLS"))
        await onWeb.disconnect()
        await onAPI.disconnect()
        #expect(try await Self.run([Self.down, "--state-dir", state]).0 == 0)
        for process in processes { #expect(!Self.isRunning(process.pid), "\(process.name) still runs") }
    }

    @Test("the nodes' TLS flags are refused without rediss://, alone, or with files they cannot read")
    func nodeTLSFlags() async throws {
        let node = try #require(BuiltExecutable.path("web-node"))
        let cases: [([String], String)] = [
            (["--redis-insecure"], "--redis-insecure needs a rediss:// --redis URL."),
            (
                ["--redis", "redis://127.0.0.1:6379", "--redis-cacert", "/etc/hostname"],
                "--redis-cacert needs a rediss:// --redis URL."
            ),
            (
                ["--redis", "rediss://127.0.0.1:6379", "--redis-cert", "/etc/hostname"],
                "--redis-cert and --redis-key go together."
            ),
            (
                ["--redis", "rediss://127.0.0.1:6379", "--redis-cacert", "/nonexistent/ca.pem"],
                "--redis-cacert: cannot read '/nonexistent/ca.pem'."
            ),
        ]
        for (arguments, message) in cases {
            let (status, output) = try await Self.run([node, "--port", "0"] + arguments, timeout: .seconds(30))
            #expect(status == 64, "\(arguments)")
            #expect(output.contains("Error: \(message)"), "\(arguments): \(output)")
        }
    }

    @Test("a port in use, a failed build and bad flags are clear errors, and nothing is left running")
    func errors() async throws {
        let state = try Self.stateDirectory()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let taken = try await TestSupport.TestServer.start(.broker)
        let cases: [(arguments: [String], message: String)] = [
            (
                [Self.up, "--bin-dir", Self.binDir, "--state-dir", state, "--broker-port", "\(taken.port)"],
                "port \(taken.port) (--broker-port) is already in use"
            ),
            (
                [Self.up, "--bin-dir", Self.binDir, "--state-dir", state, "--port", "\(taken.port)", "--nodes", "1"],
                "port \(taken.port) (node 1) is already in use"
            ),
            (["SWIFT=/bin/false", Self.up, "--state-dir", state], "the release build of broker failed"),
            (["SWIFT=/bin/false", Self.up, "--state-dir", state, "--debug"], "the debug build of broker failed"),
            ([Self.up, "--nodes", "0"], "--nodes must be between 1 and 64"),
            ([Self.up, "--redis", "http://example.com"], "--redis must be a redis://, rediss:// or unix:// URL"),
            ([Self.up, "--bin-dir", "/nonexistent"], "--bin-dir /nonexistent is not a directory"),
        ]
        for (arguments, message) in cases {
            let (status, output) = try await Self.run(arguments)
            #expect(status == 1, "\(arguments)")
            #expect(output.contains("cluster/up: \(message)"), "\(arguments): \(output)")
        }
        #expect(!FileManager.default.fileExists(atPath: state + "/cluster.state"))
        // A node that cannot start (its Redis URL is refused) stops the broker already started.
        let (status, output) = try await Self.run([
            Self.up, "--bin-dir", Self.binDir, "--state-dir", state, "--", "--redis-insecure",
        ])
        #expect(status == 1)
        #expect(output.contains("web-node-1 exited before it listened"), "\(output)")
        #expect(output.contains("--redis-insecure needs a rediss:// --redis URL"), "\(output)")
        #expect(output.contains("stopped broker"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: state + "/cluster.state"))
        await taken.stop()
    }
}
