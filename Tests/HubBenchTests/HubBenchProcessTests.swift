import Foundation
import HubTestSupport
import NIOCore
import Testing
import TestSupport

private let hubBench = BuiltExecutable.path("hub-bench")

/// The JSON object on the last line of a tool's output that starts one (hub-bench's `--json`
/// report, loopback-floor's result).
func jsonReport(_ output: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let line = try #require(
        output.split(separator: "\n").last(where: { $0.hasPrefix("{") }), "\(output)", sourceLocation: sourceLocation)
    return try #require(
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], sourceLocation: sourceLocation)
}

/// hub-bench as a user runs it, against web-node and api-node processes on the bundled broker:
/// each scenario's counts must add up exactly (every message to every recipient once), and the
/// JSON report must carry what tools/bench-hub reads. Small and short: what is checked is the
/// accounting, never the speed.
@Suite(
    "hub-bench against web-node and api-node processes",
    .enabled(
        if: hubBench != nil && BuiltExecutable.path("web-node") != nil && BuiltExecutable.path("api-node") != nil,
        "needs the hub-bench, web-node and api-node executables (swift build)"))
struct HubBenchProcessTests {
    struct Cluster {
        var web: NodeProcess
        var api: NodeProcess
        var nodeArguments: [String] { ["--node", web.hubURL, "--node", api.hubURL] }
        var pidArguments: [String] { ["--node-pid", "\(web.process.pid)", "--node-pid", "\(api.process.pid)"] }
    }

    static func withCluster(_ body: (Cluster) async throws -> Void) async throws {
        try await NodeProcess.withCluster { web, api in try await body(Cluster(web: web, api: api)) }
    }

    /// Runs hub-bench to its end: (exit status, stdout and stderr together).
    static func run(_ arguments: [String]) async throws -> (Int32, String) {
        let process = try RunningProcess.spawn(try #require(hubBench), arguments)
        let output = try await process.output.waitForEnd(timeout: .seconds(120))
        return (try await process.waitForExit(timeout: .seconds(120)), output)
    }

    /// Runs hub-bench with --json and returns the report (the JSON object is stdout's last line).
    static func report(_ arguments: [String]) async throws -> [String: Any] {
        let (status, output) = try await run(
            arguments + ["--json", "--no-progress", "--warmup", "0.3", "--duration", "1", "--drain-timeout", "20"])
        #expect(status == 0, "\(output)")
        return try jsonReport(output)
    }

    static func int(_ report: [String: Any], _ key: String) -> Int { (report[key] as? NSNumber)?.intValue ?? -1 }

    /// Something was sent, each measured message was expected at `recipients` connections and
    /// reached each of them exactly once; returns the messages sent.
    @discardableResult
    static func expectEveryDelivery(
        _ report: [String: Any], recipients: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) -> Int {
        let sent = int(report, "sent")
        #expect(sent > 0, sourceLocation: sourceLocation)
        #expect(int(report, "expected") == sent * recipients, sourceLocation: sourceLocation)
        #expect(int(report, "delivered") == sent * recipients, sourceLocation: sourceLocation)
        #expect(report["exactlyOnce"] as? Bool == true, sourceLocation: sourceLocation)
        return sent
    }

    @Test("broadcast, echo and both group shapes count every delivery exactly once; idle holds its connections")
    func scenarios() async throws {
        try await Self.withCluster { cluster in
            // Broadcast in MessagePack: every measured message reaches all 20 connections once.
            // A 300-byte payload makes the server's frames use the 16-bit extended length.
            var report = try await Self.report(
                cluster.nodeArguments + cluster.pidArguments + [
                    "--scenario", "broadcast", "--connections", "20", "--window", "2", "--protocol", "messagepack",
                    "--payload", "300",
                ])
            Self.expectEveryDelivery(report, recipients: 20)
            #expect((report["deliveredPerSecond"] as? NSNumber)?.doubleValue ?? 0 > 0)
            #expect(Self.int(report, "errors") == 0)
            let watched = try #require(report["watched"] as? [String: Any])
            #expect((watched["residentBytesAfter"] as? [Any])?.count == 2)
            #expect(watched["residentBytesPerConnection"] != nil)
            let bench = try #require(report["bench"] as? [String: Any])
            #expect(bench["cpuSeconds"] != nil && bench["loopLagMicroseconds"] != nil)
            #expect(bench["senderLoop"] as? Bool == true)
            // While measuring, the receiving loop reads all but the sender's connection itself.
            #expect(bench["receive"] as? String == "raw")
            #expect(Self.int(bench, "rawConnections") == 19)

            // The same through SwiftNIO's channels.
            report = try await Self.report(
                cluster.nodeArguments + ["--connections", "6", "--window", "2", "--receive", "nio"])
            Self.expectEveryDelivery(report, recipients: 6)
            let nioBench = try #require(report["bench"] as? [String: Any])
            #expect(nioBench["receive"] as? String == "nio")
            #expect(Self.int(nioBench, "rawConnections") == 0)

            // Open loop, the sender on the receiving loop or on one of its own: every measured
            // send's lateness is recorded, and the deliveries still add up.
            // With --trace-file, one line per measured message, each seen by all 6 (timed) connections.
            let trace = FileManager.default.temporaryDirectory.appendingPathComponent("hub-bench-trace-\(getpid()).csv")
            defer { try? FileManager.default.removeItem(at: trace) }
            for separate in [true, false] {
                report = try await Self.report(
                    cluster.nodeArguments + ["--connections", "6", "--rate", "100", "--threads", "1"]
                        + (separate ? ["--trace-file", trace.path] : ["--no-sender-loop"]))
                let sent = Self.expectEveryDelivery(report, recipients: 6)
                let lateness = try #require(report["sendLatenessMicroseconds"] as? [String: Any])
                #expect(Self.int(lateness, "samples") == sent)
                #expect((report["bench"] as? [String: Any])?["senderLoop"] as? Bool == separate)
                guard separate else { continue }
                let lines = try String(contentsOf: trace, encoding: .utf8).split(separator: "\n")
                #expect(
                    lines.first
                        == "sender,sequence,due_ms,send_late_us,round_trip_us,timed_receivers,first_receive_us,last_receive_us"
                )
                #expect(lines.count == sent + 1)
                for line in lines.dropFirst() {
                    let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                    #expect(fields.count == 8 && fields[0] == "0" && fields[5] == "6", "\(line)")
                    let first = Int(fields[6]) ?? -1
                    let last = Int(fields[7]) ?? -1
                    #expect(first >= 0 && first <= last && !fields[4].isEmpty, "\(line)")
                }
                // tools/hub-trace reads it back.
                guard RunningProcess.find("python3") != nil else { continue }
                let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                    .deletingLastPathComponent()
                let summary = try RunningProcess.spawn(
                    "/usr/bin/env", ["python3", root.appendingPathComponent("tools/hub-trace").path, trace.path])
                #expect(try await summary.waitForExit(timeout: .seconds(30)) == 0)
                let text = try await summary.output.waitForEnd(timeout: .seconds(30))
                #expect(
                    text.contains(": \(sent) messages\n") && text.contains("episodes (first receive > 2 ms): "),
                    "\(text)")
            }

            // Echo: each of 10 connections sends to itself (SendToIndividual across both nodes).
            report = try await Self.report(
                cluster.nodeArguments + ["--scenario", "echo", "--connections", "10", "--rate", "200"])
            Self.expectEveryDelivery(report, recipients: 1)
            #expect(Self.int(report, "senders") == 10)
            // Every connection sends: no loop of the senders' own.
            #expect((report["bench"] as? [String: Any])?["senderLoop"] as? Bool == false)
            // The senders share the receiving loops, which therefore read through SwiftNIO.
            #expect(Self.int(report["bench"] as? [String: Any] ?? [:], "rawConnections") == 0)

            // Small groups: 12 connections in groups of 4, two senders cycling through the three
            // groups. The joins' notices (12² of them) arrive before measuring and are not counted.
            report = try await Self.report(
                cluster.nodeArguments + [
                    "--scenario", "group", "--group-size", "4", "--senders", "2", "--connections", "12", "--window",
                    "2",
                ])
            Self.expectEveryDelivery(report, recipients: 4)
            #expect(Self.int(report, "senders") == 2)
            #expect(Self.int(report, "unmarked") == 144)

            // The one big group: LearningHub puts every connection in HubUsers.
            report = try await Self.report(
                cluster.nodeArguments + ["--scenario", "group", "--connections", "6", "--window", "2"])
            Self.expectEveryDelivery(report, recipients: 6)

            // Idle: connections opened, held and still open at the end; nothing sent.
            report = try await Self.report(
                cluster.nodeArguments + cluster.pidArguments + ["--scenario", "idle", "--connections", "30"])
            #expect(Self.int(report, "connected") == 30)
            #expect(Self.int(report, "openAtEnd") == 30)
            #expect(Self.int(report, "sent") == 0)
            #expect(report["connectionsPerSecond"] != nil)

            // The text report and its RESULT line.
            let (status, output) = try await Self.run(
                cluster.nodeArguments + ["--connections", "4", "--duration", "0.5", "--warmup", "0.2", "--no-progress"])
            #expect(status == 0)
            #expect(output.contains("every message reached every receiver exactly once"), "\(output)")
            #expect(output.contains("RESULT scenario=broadcast connections=4 "), "\(output)")
        }
    }

    @Test("a node killed mid-run: its connections count as disconnects and the run ends normally")
    func nodeGoneMidRun() async throws {
        try await Self.withCluster { cluster in
            // Connection i goes to node i mod 2: the sender (0) and 4 others to web-node, 5 to
            // api-node, all but the sender read raw.
            let process = try RunningProcess.spawn(
                try #require(hubBench),
                cluster.nodeArguments + [
                    "--connections", "10", "--rate", "100", "--warmup", "0.3", "--duration", "3",
                    "--drain-timeout", "5", "--json",
                ])
            _ = try await process.waitForOutput(containing: "hub-bench: 1.", timeout: .seconds(60))
            cluster.api.process.signal(SIGKILL)
            let output = try await process.output.waitForEnd(timeout: .seconds(60))
            #expect(try await process.waitForExit(timeout: .seconds(60)) == 0, "\(output)")
            let report = try jsonReport(output)
            #expect(Self.int(report, "disconnects") == 5)
            #expect(Self.int(report, "delivered") > 0)
            #expect(Self.int(report, "openAtEnd") == 5)
            #expect(Self.int(report["bench"] as? [String: Any] ?? [:], "rawConnections") == 9)
        }
    }

    @Test("bad arguments are refused with exit status 64")
    func usage() async throws {
        for arguments in [
            ["--node", "http://127.0.0.1:1/learningHub", "--scenario", "echo", "--skip-negotiation"],
            ["--node", "http://127.0.0.1:1/learningHub", "--scenario", "fanout"],
            ["--node", "http://127.0.0.1:1/learningHub", "--group-size", "-1"],
            ["--scenario", "broadcast"],
        ] {
            let (status, output) = try await Self.run(arguments)
            #expect(status == 64, "\(arguments): \(output)")
        }
    }
}
