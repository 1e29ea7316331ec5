import Foundation
import HubTestSupport
import Logging
import Testing
import TestSupport

@testable import LearningHubNodes

@Suite("Sample nodes")
struct NodeTests {
    static func options() -> LearningHubNodeOptions {
        var logger = Logger(label: "node-test")
        logger.logLevel = .warning
        return LearningHubNodeOptions(port: 0, logger: logger)
    }

    static func connect(port: Int) async throws -> TestWebSocketClient {
        let client = try await TestWebSocketClient.connect(port: port, path: "/learningHub")
        try await client.sendHandshake()
        _ = try await client.nextData()
        return client
    }

    @Test("web-node: GET / sends the Index text to every client, /health answers")
    func webNodeIndex() async throws {
        try await TestServer.withRunning({ WebNode.makeApplication(options: Self.options(), onListening: $0) }) {
            port in
            let first = try await Self.connect(port: port)
            let second = try await Self.connect(port: port)
            let page = try await TestHTTPClient.request("GET", port: port, path: "/")
            #expect(page.status == 200)
            #expect(page.headers["content-type"]?.hasPrefix("text/html") == true)
            for client in [first, second] {
                #expect(
                    try await client.nextMessage()
                        == #"{"type":1,"target":"ReceiveMessage","arguments":["Index page has been opened by a client."]}"#
                )
            }
            let health = try await TestHTTPClient.request("GET", port: port, path: "/health")
            #expect(health.status == 200)
            #expect(health.headers["content-type"] == "application/json")
            let negotiate = try await TestHTTPClient.request(
                "POST", port: port, path: "/learningHub/negotiate?negotiateVersion=1")
            #expect(negotiate.body.contains("\"connectionToken\""))
            // The book's node 1: WebSockets and long polling, no Server-Sent Events.
            #expect(
                negotiate.body.hasSuffix(
                    #""availableTransports":[{"transport":"WebSockets","transferFormats":["Text","Binary"]},{"transport":"LongPolling","transferFormats":["Text","Binary"]}]}"#
                ), "\(negotiate.body)")
            await first.disconnect()
            await second.disconnect()
        }
    }

    @Test("api-node: POST /api/messages delivers to all, one connection, a group; bad bodies are refused")
    func apiNodeMessages() async throws {
        try await TestServer.withRunning({ APINode.makeApplication(options: Self.options(), onListening: $0) }) {
            port in
            let first = try await Self.connect(port: port)
            let second = try await Self.connect(port: port)
            let json = [("Content-Type", "application/json")]
            // The book's node 2: ASP.NET Core's defaults, every transport.
            let negotiate = try await TestHTTPClient.request(
                "POST", port: port, path: "/learningHub/negotiate?negotiateVersion=1")
            #expect(negotiate.body.contains(#"{"transport":"ServerSentEvents","transferFormats":["Text"]}"#))
            #expect(negotiate.body.contains(#"{"transport":"LongPolling","transferFormats":["Text","Binary"]}"#))

            let all = try await TestHTTPClient.request(
                "POST", port: port, path: "/api/messages", headers: json,
                body: #"{"target":"all","method":"ReceiveMessage","arguments":["hello",{"n":1},[true,null]]}"#)
            #expect(all.status == 202)
            for client in [first, second] {
                let message = try await client.nextMessage()
                #expect(
                    message.hasPrefix(#"{"type":1,"target":"ReceiveMessage","arguments":["hello",{"n":1},[true,null]]"#)
                )
            }

            // Learn the second client's id from a broadcast it makes.
            try await second.sendText(#"{"type":1,"target":"BroadcastMessage","arguments":["me"]}"# + "\u{1e}")
            let text = try await second.nextMessage()
            let id = try #require(text.firstMatch(of: #/User connection id: ([A-Za-z0-9_-]{22})\./#)?.1)
            _ = try await first.nextMessage()

            let excluding = try await TestHTTPClient.request(
                "POST", port: port, path: "/api/messages", headers: json,
                body: #"{"target":"all","excluding":[""# + id
                    + #""],"method":"ReceiveMessage","arguments":["not you"]}"#)
            #expect(excluding.status == 202)
            #expect(try await first.nextMessage().contains("not you"))

            let one = try await TestHTTPClient.request(
                "POST", port: port, path: "/api/messages", headers: json,
                body: #"{"target":"connection","connectionId":""# + id
                    + #"","method":"ReceiveMessage","arguments":["just you"]}"#)
            #expect(one.status == 202)
            #expect(try await second.nextMessage().contains("just you"))

            let join = try await TestHTTPClient.request(
                "POST", port: port, path: "/api/groups/team%20a/connections/\(id)")
            #expect(join.status == 204)
            let group = try await TestHTTPClient.request(
                "POST", port: port, path: "/api/messages", headers: json,
                body: #"{"target":"group","group":"team a","method":"ReceiveMessage","arguments":["team"]}"#)
            #expect(group.status == 202)
            #expect(try await second.nextMessage().contains("team"))
            let leave = try await TestHTTPClient.request(
                "DELETE", port: port, path: "/api/groups/team%20a/connections/\(id)")
            #expect(leave.status == 204)

            let wrongType = try await TestHTTPClient.request(
                "POST", port: port, path: "/api/messages", headers: [("Content-Type", "text/plain")], body: "{}")
            #expect(wrongType.status == 415)
            #expect(wrongType.body == #"{"error":"Content-Type must be application/json."}"#)
            let notJSON = try await TestHTTPClient.request(
                "POST", port: port, path: "/api/messages", headers: json, body: "{nope")
            #expect(notJSON.status == 400)
            #expect(notJSON.body == #"{"error":"The body is not valid JSON."}"#)
            let badTarget = try await TestHTTPClient.request(
                "POST", port: port, path: "/api/messages", headers: json,
                body: #"{"target":"everyone","method":"ReceiveMessage"}"#)
            #expect(badTarget.status == 400)
            let noId = try await TestHTTPClient.request(
                "POST", port: port, path: "/api/messages", headers: json,
                body: #"{"target":"connection","method":"ReceiveMessage"}"#)
            #expect(noId.status == 400)
            #expect(noId.body.contains("connectionId"))
            let noMethod = try await TestHTTPClient.request(
                "POST", port: port, path: "/api/messages", headers: json, body: #"{"target":"all"}"#)
            #expect(noMethod.status == 400)
            let unknown = try await TestHTTPClient.request("GET", port: port, path: "/api/nothing")
            #expect(unknown.status == 404)
            #expect(unknown.headers["content-type"] == "application/json")
            await first.disconnect()
            await second.disconnect()
        }
    }

    @Test(
        "a node runs one hub event loop per CPU it may run on (taskset), or NIO_SINGLETON_GROUP_LOOP_COUNT of them",
        .enabled(
            if: BuiltExecutable.path("web-node") != nil
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset"),
            "needs the web-node executable and taskset"))
    func eventLoopsFollowTheAffinityMask() async throws {
        let node = try #require(BuiltExecutable.path("web-node"))
        let arguments = [node, "--port", "0", "--host", "127.0.0.1", "--log-level", "error"]
        for (launcher, expected) in [
            (["/usr/bin/taskset", "-c", "0"], 1),
            (["/usr/bin/env", "NIO_SINGLETON_GROUP_LOOP_COUNT=3"], 3),
        ] {
            let process = try RunningProcess.spawn(launcher[0], Array(launcher.dropFirst()) + arguments)
            _ = try await process.waitForOutput(containing: "listening on http://", timeout: .seconds(60))
            let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.pid)/task")
            let loops = tasks.filter { task in
                let name =
                    (try? String(contentsOfFile: "/proc/\(process.pid)/task/\(task)/comm", encoding: .utf8)) ?? ""
                return name.hasPrefix("NIO-HUB-")
            }
            _ = await process.terminate()
            #expect(loops.count == expected, "\(launcher): \(loops.count) hub loops")
        }
    }

    @Test("The listening line tests and scripts parse")
    func listeningLine() {
        #expect(
            NodeCommandSupport.listeningLine(name: "web-node", host: "127.0.0.1", port: 54321)
                == "web-node listening on http://127.0.0.1:54321")
    }
}
