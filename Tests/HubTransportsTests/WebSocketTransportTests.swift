import HubProtocol
import HubTestSupport
import HubTransports
import Hubs
import NIOCore
import Testing

@Suite("WebSockets")
struct WebSocketTransportTests {
    static func negotiate(port: Int, version: Int) async throws -> (id: String, token: String?) {
        let response = try await TestHTTPClient.request(
            "POST", port: port, path: TestHub.path + "/negotiate?negotiateVersion=\(version)")
        let id = try #require(response.body.firstMatch(of: #/"connectionId":"([^"]+)"/#)?.1)
        let token = response.body.firstMatch(of: #/"connectionToken":"([^"]+)"/#)?.1
        return (String(id), token.map(String.init))
    }

    @Test(
        "Negotiated v1 token opens the connection; a second socket gets 409, an unknown id 404",
        arguments: HubWebSocketDataPath.allCases)
    func negotiatedVersionOne(path: HubWebSocketDataPath) async throws {
        try await TestHub.withServer(routeOptions: .dataPath(path)) { port in
            let negotiated = try await Self.negotiate(port: port, version: 1)
            let token = try #require(negotiated.token)
            let client = try await TestHub.connect(port: port, query: "?id=\(token)")
            try await client.sendText(#"{"type":1,"invocationId":"1","target":"Echo","arguments":["hi"]}"# + "\u{1e}")
            #expect(try await client.nextMessage() == #"{"type":3,"invocationId":"1","result":"hi"}"#)

            await #expect(throws: TestWebSocketClient.UpgradeRefused.self) {
                _ = try await TestWebSocketClient.connect(port: port, path: TestHub.path + "?id=\(token)")
            }
            do {
                _ = try await TestWebSocketClient.connect(port: port, path: TestHub.path + "?id=\(token)")
            } catch let refused as TestWebSocketClient.UpgradeRefused {
                #expect(refused.status == 409)
            }
            do {
                _ = try await TestWebSocketClient.connect(port: port, path: TestHub.path + "?id=unknown")
                Issue.record("An unknown id was accepted")
            } catch let refused as TestWebSocketClient.UpgradeRefused {
                #expect(refused.status == 404)
            }
            await client.disconnect()
        }
    }

    @Test("Negotiated v0: the id itself is the token")
    func negotiatedVersionZero() async throws {
        try await TestHub.withServer { port in
            let (id, token) = try await Self.negotiate(port: port, version: 0)
            #expect(token == nil)
            let client = try await TestHub.connect(port: port, query: "?id=\(id)")
            try await client.sendText(#"{"type":1,"invocationId":"7","target":"Echo","arguments":["v0"]}"# + "\u{1e}")
            #expect(try await client.nextMessage() == #"{"type":3,"invocationId":"7","result":"v0"}"#)
            await client.disconnect()
        }
    }

    @Test("Skipping negotiation, JSON in text frames; pings get pongs", arguments: HubWebSocketDataPath.allCases)
    func skipNegotiationJSON(path: HubWebSocketDataPath) async throws {
        try await TestHub.withServer(routeOptions: .dataPath(path)) { port in
            let client = try await TestHub.connect(port: port)
            try await client.sendText(#"{"type":1,"invocationId":"1","target":"Echo","arguments":["x"]}"# + "\u{1e}")
            let frame = try await client.nextData()
            #expect(frame.opcode == TestWebSocketClient.text)
            #expect(
                String(decoding: frame.payload, as: UTF8.self) == #"{"type":3,"invocationId":"1","result":"x"}"#
                    + "\u{1e}")
            try await client.send(opcode: TestWebSocketClient.ping, [1, 2, 3])
            var pong: [UInt8]?
            while pong == nil {
                if case .frame(let opcode, let payload) = try await client.next(), opcode == TestWebSocketClient.pong {
                    pong = payload
                }
            }
            #expect(pong == [1, 2, 3])
            await client.disconnect()
        }
    }

    @Test("MessagePack in binary frames, the handshake reply included", arguments: HubWebSocketDataPath.allCases)
    func messagePack(path: HubWebSocketDataPath) async throws {
        try await TestHub.withServer(routeOptions: .dataPath(path)) { port in
            let client = try await TestWebSocketClient.connect(port: port, path: TestHub.path)
            try await client.sendHandshake("messagepack")
            let reply = try await client.nextData()
            #expect(reply.opcode == TestWebSocketClient.binary)
            #expect(reply.payload == Array("{}\u{1e}".utf8))
            let hubProtocol = MessagePackHubProtocol()
            let invocation = try hubProtocol.serialize(
                .invocation(InvocationMessage(invocationId: "5", target: "Echo", arguments: [HubValue("packed")])))
            try await client.send(opcode: TestWebSocketClient.binary, Array(invocation.readableBytesView))
            let frame = try await client.nextData()
            #expect(frame.opcode == TestWebSocketClient.binary)
            var decoder = HubMessageDecoder(hubProtocol: hubProtocol)
            var bytes = ByteBuffer(bytes: frame.payload)
            guard case .completion(let completion) = try decoder.next(&bytes) else {
                Issue.record("Expected a completion")
                return
            }
            #expect(completion.invocationId == "5")
            guard case .result(let value) = completion.outcome else {
                Issue.record("Expected a result")
                return
            }
            #expect(try value.decode(String.self) == "packed")
            await client.disconnect()
        }
    }

    @Test("A broadcast reaches every connection, JSON and MessagePack alike", arguments: HubWebSocketDataPath.allCases)
    func broadcast(path: HubWebSocketDataPath) async throws {
        try await TestHub.withServer(routeOptions: .dataPath(path)) { port in
            let clients = [
                try await TestHub.connect(port: port), try await TestHub.connect(port: port),
                try await TestHub.connect(port: port),
            ]
            let packed = try await TestWebSocketClient.connect(port: port, path: TestHub.path)
            try await packed.sendHandshake("messagepack")
            _ = try await packed.nextData()
            try await clients[0].sendText(#"{"type":1,"target":"Broadcast","arguments":["to all"]}"# + "\u{1e}")
            for client in clients {
                #expect(try await client.nextMessage() == #"{"type":1,"target":"Receive","arguments":["to all"]}"#)
            }
            let frame = try await packed.nextData()
            #expect(frame.opcode == TestWebSocketClient.binary)
            var decoder = HubMessageDecoder(hubProtocol: MessagePackHubProtocol())
            var bytes = ByteBuffer(bytes: frame.payload)
            guard case .invocation(let invocation) = try decoder.next(&bytes) else {
                Issue.record("Expected an invocation")
                return
            }
            #expect(invocation.target == "Receive")
            #expect(try invocation.arguments.decode(String.self, at: 0) == "to all")
            for client in clients + [packed] { await client.disconnect() }
        }
    }

    @Test("A server-to-client stream: items then a completion", arguments: HubWebSocketDataPath.allCases)
    func serverStream(path: HubWebSocketDataPath) async throws {
        try await TestHub.withServer(routeOptions: .dataPath(path)) { port in
            let client = try await TestHub.connect(port: port)
            try await client.sendText(#"{"type":4,"invocationId":"s","target":"Count","arguments":[3]}"# + "\u{1e}")
            var messages: [String] = []
            while messages.count < 4 {
                messages.append(try await client.nextMessage())
            }
            #expect(
                messages == [
                    #"{"type":2,"invocationId":"s","item":0}"#, #"{"type":2,"invocationId":"s","item":1}"#,
                    #"{"type":2,"invocationId":"s","item":2}"#, #"{"type":3,"invocationId":"s"}"#,
                ])
            await client.disconnect()
        }
    }

    @Test(
        "A client-to-server stream past the buffer capacity pauses reading and resumes",
        arguments: HubWebSocketDataPath.allCases)
    func uploadStream(path: HubWebSocketDataPath) async throws {
        var options = HubOptions()
        options.streamBufferCapacity = 2
        try await TestHub.withServer(hubOptions: options, routeOptions: .dataPath(path)) { port in
            let client = try await TestHub.connect(port: port)
            var frame = #"{"type":1,"invocationId":"u","target":"Sum","arguments":[],"streamIds":["s"]}"# + "\u{1e}"
            for item in 1...50 { frame += #"{"type":2,"invocationId":"s","item":\#(item)}"# + "\u{1e}" }
            try await client.sendText(frame)
            try await client.sendText(#"{"type":3,"invocationId":"s"}"# + "\u{1e}")
            #expect(try await client.nextMessage() == #"{"type":3,"invocationId":"u","result":1275}"#)
            await client.disconnect()
        }
    }

    @Test("Keep-alive pings arrive on an idle connection", arguments: HubWebSocketDataPath.allCases)
    func keepAlive(path: HubWebSocketDataPath) async throws {
        var options = HubOptions()
        options.keepAliveInterval = .milliseconds(100)
        try await TestHub.withServer(hubOptions: options, routeOptions: .dataPath(path)) { port in
            let client = try await TestHub.connect(port: port)
            #expect(try await client.nextText(timeout: .seconds(5)) == "{\"type\":6}\u{1e}")
            await client.disconnect()
        }
    }

    @Test(
        "A client gone silent after its first Ping is dropped after the client timeout, allowed to reconnect",
        arguments: HubWebSocketDataPath.allCases)
    func clientTimeout(path: HubWebSocketDataPath) async throws {
        var options = HubOptions()
        options.clientTimeoutInterval = .milliseconds(200)
        try await TestHub.withServer(hubOptions: options, routeOptions: .dataPath(path)) { port in
            let client = try await TestHub.connect(port: port)
            // As in ASP.NET Core, the timeout is enforced from the client's first Ping on.
            try await client.sendText("{\"type\":6}\u{1e}")
            #expect(try await client.nextMessage(timeout: .seconds(5)) == #"{"type":7,"allowReconnect":true}"#)
            #expect(try await Self.closeCode(client) == 1011)
        }
    }

    @Test("An over-size message closes only its own connection", arguments: HubWebSocketDataPath.allCases)
    func overSize(path: HubWebSocketDataPath) async throws {
        var options = HubOptions()
        options.maximumReceiveMessageSize = 1000
        try await TestHub.withServer(hubOptions: options, routeOptions: .dataPath(path)) { port in
            let offender = try await TestHub.connect(port: port)
            let bystander = try await TestHub.connect(port: port)
            let big = String(repeating: "a", count: 2000)
            try await offender.sendText(#"{"type":1,"target":"Echo","arguments":[""# + big + #""]}"# + "\u{1e}")
            #expect(try await offender.nextMessage() == #"{"type":7,"error":"Connection closed with an error."}"#)
            #expect(try await Self.closeCode(offender) == 1011)
            try await bystander.sendText(
                #"{"type":1,"invocationId":"b","target":"Echo","arguments":["ok"]}"# + "\u{1e}")
            #expect(try await bystander.nextMessage() == #"{"type":3,"invocationId":"b","result":"ok"}"#)
            await bystander.disconnect()
        }
    }

    @Test(
        "An unknown protocol gets the handshake error, then the socket closes", arguments: HubWebSocketDataPath.allCases
    )
    func badHandshake(path: HubWebSocketDataPath) async throws {
        try await TestHub.withServer(routeOptions: .dataPath(path)) { port in
            let client = try await TestWebSocketClient.connect(port: port, path: TestHub.path)
            try await client.sendHandshake("xyz")
            #expect(try await client.nextText() == "{\"error\":\"The protocol 'xyz' is not supported.\"}\u{1e}")
            #expect(try await Self.closeCode(client) == 1011)
        }
    }

    @Test("The authentication hook: 401 on negotiate and upgrade, the user reaches the hub")
    func authentication() async throws {
        let authenticate: HubAuthenticator = { request in
            switch request.token {
            case "alice-token":
                return .accept(HubUser(identifier: "alice", claims: [.init(type: "role", value: "user")]))
            case "bob-token": return .accept(HubUser(identifier: "bob"))
            default: return .reject
            }
        }
        try await TestHub.withServer(authenticate: authenticate) { port in
            let anonymous = try await TestHTTPClient.request("POST", port: port, path: TestHub.path + "/negotiate")
            #expect(anonymous.status == 401)
            let accepted = try await TestHTTPClient.request(
                "POST", port: port, path: TestHub.path + "/negotiate?negotiateVersion=1",
                headers: [("Authorization", "Bearer alice-token")])
            #expect(accepted.status == 200)
            do {
                _ = try await TestWebSocketClient.connect(port: port, path: TestHub.path + "?access_token=wrong")
                Issue.record("A wrong token was accepted")
            } catch let refused as TestWebSocketClient.UpgradeRefused {
                #expect(refused.status == 401)
            }
            let alice = try await TestHub.connect(port: port, headers: [("Authorization", "Bearer alice-token")])
            try await alice.sendText(#"{"type":1,"invocationId":"w","target":"WhoAmI","arguments":[]}"# + "\u{1e}")
            #expect(try await alice.nextMessage() == #"{"type":3,"invocationId":"w","result":"alice"}"#)
            let bob = try await TestHub.connect(port: port, query: "?access_token=bob-token")
            try await bob.sendText(#"{"type":1,"invocationId":"w","target":"WhoAmI","arguments":[]}"# + "\u{1e}")
            #expect(try await bob.nextMessage() == #"{"type":3,"invocationId":"w","result":"bob"}"#)
            await alice.disconnect()
            await bob.disconnect()
        }
    }

    @Test(
        "Calls a client sent just before closing still run, as in ASP.NET Core (close frame or a Close message)",
        arguments: HubWebSocketDataPath.allCases)
    func callsBeforeCloseRun(path: HubWebSocketDataPath) async throws {
        try await TestHub.withServer(routeOptions: .dataPath(path)) { port in
            let listener = try await TestHub.connect(port: port)
            // Sum waits for its upload stream and holds the connection's one invocation slot, so
            // the Broadcast behind it is still queued when the close arrives.
            let holdAndBroadcast =
                #"{"type":1,"invocationId":"1","target":"Sum","arguments":[],"streamIds":["s"]}"# + "\u{1e}"
                + #"{"type":1,"target":"Broadcast","arguments":["queued, then closed"]}"# + "\u{1e}"
            let sender = try await TestHub.connect(port: port)
            try await sender.sendText(holdAndBroadcast)
            try await sender.send(opcode: TestWebSocketClient.close, [0x03, 0xE8])
            #expect(
                try await listener.nextMessage()
                    == #"{"type":1,"target":"Receive","arguments":["queued, then closed"]}"#)
            let other = try await TestHub.connect(port: port)
            try await other.sendText(holdAndBroadcast + #"{"type":7}"# + "\u{1e}")
            #expect(
                try await listener.nextMessage()
                    == #"{"type":1,"target":"Receive","arguments":["queued, then closed"]}"#)
            await listener.disconnect()
        }
    }

    @Test("A client close frame is answered and the socket closes", arguments: HubWebSocketDataPath.allCases)
    func clientClose(path: HubWebSocketDataPath) async throws {
        try await TestHub.withServer(routeOptions: .dataPath(path)) { port in
            let client = try await TestHub.connect(port: port)
            try await client.send(opcode: TestWebSocketClient.close, [0x03, 0xE8])
            #expect(try await Self.closeCode(client) == 1000)
        }
    }

    @Test(
        "Graceful shutdown sends a Close message that allows reconnecting, and close code 1000",
        arguments: HubWebSocketDataPath.allCases)
    func shutdown(path: HubWebSocketDataPath) async throws {
        let client = try await TestHub.withServer(routeOptions: .dataPath(path)) { port in
            try await TestHub.connect(port: port)
        }
        #expect(try await client.nextMessage() == #"{"type":7,"allowReconnect":true}"#)
        #expect(try await Self.closeCode(client) == 1000)
    }

    /// Reads to the close frame and returns its status code, then expects the socket to end.
    static func closeCode(_ client: TestWebSocketClient) async throws -> Int? {
        while true {
            switch try await client.next() {
            case .frame(let opcode, let payload) where opcode == TestWebSocketClient.close:
                let code = payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : nil
                #expect(try await client.next() == .closed)
                return code
            case .frame:
                continue
            case .closed:
                return nil
            }
        }
    }

    @Test(
        "A client that vanishes (TCP closed, no close frame) is cleaned up at once",
        arguments: HubWebSocketDataPath.allCases)
    func vanishedClientIsCleanedUp(path: HubWebSocketDataPath) async throws {
        let disconnected = TestEventQueue<String>()
        var definition = TestHub.definition
        definition.onDisconnected { (hub: HubCallerContext, _: (any Error)?) in
            disconnected.push(hub.connectionId)
        }
        try await TestHub.withServer(definition: definition, routeOptions: .dataPath(path)) { port in
            let client = try await TestHub.connect(port: port)
            try await client.sendText(#"{"type":1,"invocationId":"1","target":"Echo","arguments":["hi"]}"# + "\u{1e}")
            #expect(try await client.nextMessage() == #"{"type":3,"invocationId":"1","result":"hi"}"#)
            await client.disconnect()
            // Before the fix the server allowed half-closure and never noticed: only a write or the
            // client timeout (30 s) ended the connection.
            _ = try await disconnected.next(timeout: .seconds(10))
        }
    }
}
