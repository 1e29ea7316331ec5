import Foundation
import HubTestSupport
import Logging
import NIOCore
import Testing
import TestSupport

@testable import LearningHubNodes

/// The LearningHub contract driven by an independent SignalR client from PyPI (signalrcore, through
/// tools/learninghub-contract.py) against both sample apps, in JSON and in MessagePack; and the
/// same client's long-polling and Server-Sent Events transports (tools/signalr-transport-interop.py).
@Suite(
    "LearningHub contract with signalrcore (Python)",
    .enabled(
        if: ContractScript.isAvailable,
        "needs python3 and the signalrcore package (python3 -m pip install signalrcore; .ci/run installs it)"))
struct LearningHubContractTests {
    enum Node: String, CaseIterable, Sendable {
        case web = "web-node"
        case api = "api-node"
    }

    struct Run: Sendable, CustomTestStringConvertible {
        let node: Node
        let arguments: [String]
        var testDescription: String { "\(node.rawValue) \(arguments.joined(separator: " "))" }
    }

    static let runs: [Run] =
        Node.allCases.flatMap { node in
            [
                Run(node: node, arguments: ["--protocol", "json"]),
                Run(node: node, arguments: ["--protocol", "messagepack"]),
                Run(node: node, arguments: ["--protocol", "json", "--skip-negotiation"]),
                // signalrcore's own long-polling transport (tools/signalr-transport-interop.py).
                Run(node: node, arguments: ["--transport", "longPolling"]),
            ]
        } + [
            // Server-Sent Events: api-node only (web-node, as the book's node 1, does not offer them).
            Run(node: .api, arguments: ["--transport", "serverSentEvents"])
        ]

    // One run at a time: each starts two Python clients, and in parallel they load a 2-core machine.
    @Test("every hub method behaves as the book's hub", .serialized, arguments: runs)
    func contract(_ run: Run) async throws {
        var logger = Logger(label: "contract-test")
        logger.logLevel = .warning
        let options = LearningHubNodeOptions(port: 0, logger: logger)
        let body: @Sendable (Int) async throws -> Void = { port in
            let transport = run.arguments.firstIndex(of: "--transport").map { run.arguments[$0 + 1] }
            let script =
                transport == nil
                ? ContractScript.path
                : URL(fileURLWithPath: ContractScript.path).deletingLastPathComponent()
                    .appendingPathComponent("signalr-transport-interop.py").path
            let process = try RunningProcess.spawn(
                "/usr/bin/env",
                ["python3", script, "--url", "http://127.0.0.1:\(port)/learningHub", "--jobs", "2"] + run.arguments)
            let status = try await process.waitForExit(timeout: .seconds(90))
            // The exit can be seen before the last lines are read from the pipe: wait for its end.
            let output = try await process.output.waitForEnd(timeout: .seconds(30))
            #expect(status == 0, "\(script) failed:\n\(output)")
            #expect(
                output.contains(transport == nil ? "all LearningHub checks passed" : "all transport checks passed"),
                "\(output)")
        }
        switch run.node {
        case .web:
            try await TestServer.withRunning({ WebNode.makeApplication(options: options, onListening: $0) }, body)
        case .api:
            try await TestServer.withRunning({ APINode.makeApplication(options: options, onListening: $0) }, body)
        }
    }
}
