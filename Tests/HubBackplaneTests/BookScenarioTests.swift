import Foundation
import HubTestSupport
import NIOCore
import Testing
import TestSupport

/// The book's chapter 9 scenario with the real executables: `web-node` and `api-node` as
/// processes on one Redis (the bundled broker, then redis-server), a third-party Python SignalR
/// client across them, the page and the HTTP API reaching the other node, and an outage.
@Suite(
    "The book's scenario: web-node and api-node on one backplane", .serialized,
    .enabled(if: NodeExecutables.areAvailable, "needs the web-node and api-node executables (swift build)"))
struct BookScenarioTests {
    static let index = "Index page has been opened by a client."

    typealias Node = NodeProcess

    static func post(_ node: Node, _ path: String, _ body: String? = nil) async throws -> Int {
        try await TestHTTPClient.request(
            "POST", port: node.port, path: path, headers: body == nil ? [] : [("Content-Type", "application/json")],
            body: body
        ).status
    }

    @Test(
        "a node starts while Redis is down, says degraded, and joins the cluster when Redis comes",
        arguments: TestServerKind.allCases)
    func startsWithoutRedis(_ kind: TestServerKind) async throws {
        guard kind.isAvailable else { return }
        // Below the ephemeral range: no other test's port-0 bind can take it before Redis starts.
        let port = try FreePort.findStable()
        let web = try await Node.start("web-node", redisPort: port)
        defer { web.process.signal(SIGKILL) }
        #expect(try await web.health().contains(#""status":"degraded""#))
        // Its own clients work meanwhile: a broadcast reaches this node's clients, and the call
        // reports that it reached no other node.
        let early = try await BackplanePeer.connect(port: web.port, path: "/learningHub", learnId: false)
        await #expect(throws: (any Error).self) { try await early.call("BroadcastMessage", "alone") }
        #expect(try await early.nextReceived("ReceiveMessage").hasSuffix("Message: alone"))
        let server = try await TestSupport.TestServer.start(kind, port: port)
        try await eventually("web-node reports ok") { try await web.health().contains(#""status":"ok""#) }
        let api = try await Node.start("api-node", redisPort: port)
        defer { api.process.signal(SIGKILL) }
        // A node listens before its backplane is up; sending earlier would reach its own clients only.
        try await eventually("api-node reports ok") { try await api.health().contains(#""status":"ok""#) }
        #expect(
            try await Self.post(
                api, "/api/messages", #"{"target":"all","method":"ReceiveMessage","arguments":["joined"]}"#) == 202)
        #expect(try await early.nextReceived("ReceiveMessage") == "joined")
        await early.disconnect()
        #expect(await web.process.terminate() == 0)
        #expect(await api.process.terminate() == 0)
        await server.stop()
    }

    @Test("a client on one node reaches the other; the page, the API and an outage", arguments: TestServerKind.allCases)
    func bookScenario(_ kind: TestServerKind) async throws {
        try await TestSupport.TestServer.withServer(kind) { server in
            let web = try await Node.start("web-node", redisPort: server.port)
            let api = try await Node.start("api-node", redisPort: server.port)
            defer {
                web.process.signal(SIGKILL)
                api.process.signal(SIGKILL)
            }
            #expect(try await web.health().contains(#""status":"ok""#))

            // The Python client (signalrcore): A on api-node broadcasts, B on web-node receives,
            // and every LearningHub method across the two nodes.
            if ContractScript.isAvailable {
                for protocolName in ["json", "messagepack"] {
                    let script = try RunningProcess.spawn(
                        "/usr/bin/env",
                        [
                            "python3", ContractScript.path, "--url", "http://127.0.0.1:\(api.port)/learningHub",
                            "--url2", "http://127.0.0.1:\(web.port)/learningHub", "--protocol", protocolName,
                            "--jobs", "2",
                        ])
                    let status = try await script.waitForExit(timeout: .seconds(120))
                    #expect(status == 0, "tools/learninghub-contract.py across nodes failed:\n\(script.output.text)")
                }
            }

            let onWeb = try await BackplanePeer.connect(port: web.port, path: "/learningHub", learnId: false)
            let onAPI = try await BackplanePeer.connect(port: api.port, path: "/learningHub", learnId: false)
            // A blocking call returns after onConnected: both are registered (and in HubUsers).
            for peer in [onWeb, onAPI] { try await peer.call("SendToIndividual", "no-such-connection", "ready?") }
            try await onWeb.call("BroadcastMessage", "who am I")
            let greeting = try await onWeb.nextReceived("ReceiveMessage")
            let webId = try #require(greeting.firstMatch(of: #/User connection id: (\S+)\. Message: who am I/#)?.1)
            #expect(try await onAPI.nextReceived("ReceiveMessage") == greeting)

            // Opening web-node's page sends to every client of every node, once.
            let page = try await TestHTTPClient.request("GET", port: web.port, path: "/")
            #expect(page.status == 200)
            try await expectDelivered(
                [(onWeb, [Self.index]), (onAPI, [Self.index])], markerFrom: onAPI, method: "BroadcastMessage",
                target: "ReceiveMessage")

            // api-node's HTTP API reaches web-node's client, and changes its groups (an ack across nodes).
            #expect(
                try await Self.post(
                    api, "/api/messages", #"{"target":"all","method":"ReceiveMessage","arguments":["from the API"]}"#)
                    == 202)
            #expect(try await Self.post(api, "/api/groups/room/connections/\(webId)") == 204)
            #expect(
                try await Self.post(
                    api, "/api/messages",
                    #"{"target":"group","group":"room","method":"ReceiveMessage","arguments":["to room"]}"#) == 202)
            try await expectDelivered(
                [(onWeb, ["from the API", "to room"]), (onAPI, ["from the API"])], markerFrom: onAPI,
                method: "BroadcastMessage", target: "ReceiveMessage")

            // Redis goes away: both nodes stay up and say so; it comes back: delivery resumes.
            let port = server.port
            await server.kill()
            try await eventually("both nodes report degraded") {
                let web = try await web.health()
                let api = try await api.health()
                return web.contains(#""status":"degraded""#) && api.contains(#""status":"degraded""#)
            }
            // Local clients keep working: a send to one local connection needs no Redis.
            try await onWeb.call("SendToIndividual", String(webId), "still here")
            #expect(try await onWeb.nextReceived("ReceiveMessage").hasSuffix("Message: still here"))
            let restarted = try await TestSupport.TestServer.start(kind, port: port)
            try await eventually("both nodes report ok again") {
                let web = try await web.health()
                let api = try await api.health()
                return web.contains(#""status":"ok""#) && api.contains(#""status":"ok""#)
            }
            #expect(
                try await Self.post(
                    api, "/api/messages",
                    #"{"target":"all","method":"ReceiveMessage","arguments":["after the outage"]}"#)
                    == 202)
            try await expectDelivered(
                [(onWeb, ["after the outage"]), (onAPI, ["after the outage"])], markerFrom: onWeb,
                method: "BroadcastMessage", target: "ReceiveMessage")

            await onWeb.disconnect()
            await onAPI.disconnect()
            #expect(await web.process.terminate() == 0)
            #expect(await api.process.terminate() == 0)
            await restarted.stop()
        }
    }
}

enum NodeExecutables {
    static let areAvailable = BuiltExecutable.path("web-node") != nil && BuiltExecutable.path("api-node") != nil
}
