import HubClient
import HubProtocol
import HubTestSupport
import LearningHub
import LearningHubNodes
import Logging
import Testing
import TestSupport

@Suite("HubClient: automatic reconnect against a LearningHub node that restarts")
struct ReconnectTests {
    static func startNode(port: Int) async throws -> HubTestSupport.TestServer {
        try await HubTestSupport.TestServer.start { onListening in
            WebNode.makeApplication(
                options: LearningHubNodeOptions(port: port, logger: ClientTestHub.quietLogger()),
                onListening: onListening)
        }
    }

    @Test(
        "the node stops (Close with allowReconnect) and starts again on its port: the client reconnects",
        arguments: ProtocolChoice.allCases)
    func reconnectAfterRestart(_ choice: ProtocolChoice) async throws {
        // Below the ephemeral range, so nothing else takes the port while the node is down.
        let first = try await Self.startNode(port: try FreePort.findStable())
        let port = first.port
        var options = HubConnectionOptions(
            url: "http://127.0.0.1:\(port)\(LearningHub.path)", hubProtocol: choice.hubProtocol,
            logger: ClientTestHub.quietLogger())
        // Retries every 100 ms for up to a minute: the node is restarted below, not after a delay.
        options.reconnectPolicy = DefaultHubReconnectPolicy(delays: Array(repeating: .milliseconds(100), count: 600))
        let connection = ClientConnection(options: options)
        let events = TestEventQueue<String>()
        await connection.on("ReceiveMessage") { (text: String) in events.push("message: \(text)") }
        await connection.onReconnecting { error in events.push("reconnecting: \(error.map { "\($0)" } ?? "nil")") }
        await connection.onReconnected { id in events.push("reconnected: \(id ?? "nil")") }
        await connection.onClosed { error in events.push("closed: \(error.map { "\($0)" } ?? "nil")") }
        try await connection.start()
        let firstId = try #require(await connection.connectionId)

        try await first.stop()
        #expect(try await events.next(timeout: .seconds(20)) == "reconnecting: nil")
        #expect(await connection.state == .reconnecting)
        let failedCall = await #expect(throws: HubClientError.self) {
            try await connection.invoke("BroadcastMessage", "lost")
        }
        #expect(failedCall?.code == .notConnected)

        let second = try await Self.startNode(port: port)
        let reconnected = try await events.next(timeout: .seconds(30))
        let secondId = try #require(await connection.connectionId)
        #expect(reconnected == "reconnected: \(secondId)")
        #expect(secondId != firstId)
        #expect(await connection.state == .connected)

        // Handlers survive the reconnect, and calls work on the new connection.
        try await connection.invoke("BroadcastMessage", "back again")
        #expect(
            try await events.next(timeout: .seconds(10))
                == "message: User connection id: \(secondId). Message: back again")

        await connection.stop()
        #expect(try await events.next(timeout: .seconds(10)) == "closed: nil")
        try await second.stop()
    }

    @Test("without a reconnect policy a node shutting down closes the connection for good")
    func noPolicy() async throws {
        let node = try await Self.startNode(port: 0)
        let connection = ClientConnection(
            options: HubConnectionOptions(
                url: "http://127.0.0.1:\(node.port)\(LearningHub.path)", logger: ClientTestHub.quietLogger()))
        let events = TestEventQueue<String>()
        await connection.onClosed { error in events.push("closed: \(error.map { "\($0)" } ?? "nil")") }
        try await connection.start()
        try await node.stop()
        #expect(try await events.next(timeout: .seconds(20)) == "closed: nil")
        #expect(await connection.state == .disconnected)
    }

    @Test("the policy gives up: onClosed gets the last attempt's error")
    func policyGivesUp() async throws {
        let node = try await Self.startNode(port: 0)
        var options = HubConnectionOptions(
            url: "http://127.0.0.1:\(node.port)\(LearningHub.path)", logger: ClientTestHub.quietLogger())
        options.reconnectPolicy = DefaultHubReconnectPolicy(delays: [.zero, .milliseconds(50)])
        let connection = ClientConnection(options: options)
        let events = TestEventQueue<String>()
        await connection.onReconnecting { _ in events.push("reconnecting") }
        await connection.onClosed { error in
            events.push("closed: \((error as? HubClientError)?.code.rawValue ?? "nil")")
        }
        try await connection.start()
        try await node.stop()
        #expect(try await events.next(timeout: .seconds(20)) == "reconnecting")
        #expect(try await events.next(timeout: .seconds(20)) == "closed: negotiationFailed")
    }
}
