import Foundation
import HubClient
import HubProtocol
import HubTestSupport
import HubTransports
import Hubs
import Hummingbird
import Testing
import TestSupport

/// The client's connection type (Hubs has a server-side `HubConnection` too).
typealias ClientConnection = HubClient.HubConnection

/// The protocols every call is checked in.
enum ProtocolChoice: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case json, messagepack

    var hubProtocol: any HubProtocol {
        switch self {
        case .json: return JSONHubProtocol()
        case .messagepack: return MessagePackHubProtocol()
        }
    }

    var testDescription: String { rawValue }
}

@Suite("HubClient: calls against a Switchboard hub over real sockets")
struct HubConnectionTests {
    static func connection(
        port: Int, _ choice: ProtocolChoice = .json, configure: (inout HubConnectionOptions) -> Void = { _ in }
    ) -> ClientConnection {
        var options = HubConnectionOptions(
            url: "http://127.0.0.1:\(port)\(ClientTestHub.path)", hubProtocol: choice.hubProtocol,
            logger: ClientTestHub.quietLogger())
        configure(&options)
        return HubConnection(options: options)
    }

    @Test(
        "negotiate, WebSocket, handshake; invoke with typed results; send; on; stop", arguments: ProtocolChoice.allCases
    )
    func invokeSendOn(_ choice: ProtocolChoice) async throws {
        try await ClientTestHub.withServer { port in
            let connection = Self.connection(port: port, choice)
            let received = TestEventQueue<String>()
            await connection.on("Receive") { (text: String, sender: String) in received.push("\(text) from \(sender)") }
            try await connection.start()
            #expect(await connection.state == .connected)
            let id = try #require(await connection.connectionId)
            #expect(id.count == 22)
            #expect(await connection.negotiateResponse?.negotiateVersion == 1)

            #expect(try await connection.invoke("Echo", "héllo", returning: String.self) == "héllo")
            #expect(try await connection.invoke("Add", 40, 2, returning: Int.self) == 42)
            #expect(
                try await connection.invoke("Mirror", Point(x: 1, y: 2), returning: Point.self) == Point(x: 2, y: 1))
            try await connection.invoke("Nothing")
            #expect(try await connection.invoke("Nothing", arguments: []) == nil)

            try await connection.send("Broadcast", "fire and forget")
            #expect(try await received.next(timeout: .seconds(10)) == "fire and forget from \(id)")
            try await connection.invoke("Broadcast", "awaited")
            #expect(try await received.next(timeout: .seconds(10)) == "awaited from \(id)")
            // off() removes the handler: only the one added after it sees the next message.
            await connection.off("Receive")
            await connection.on("Receive") { (text: String, _: String) in received.push("again: \(text)") }
            try await connection.invoke("Broadcast", "after off")
            #expect(try await received.next(timeout: .seconds(10)) == "again: after off")

            await connection.stop()
            #expect(await connection.state == .disconnected)
            #expect(await connection.connectionId == nil)
            await #expect(throws: HubClientError.self) { try await connection.send("Broadcast", "after stop") }
        }
    }

    @Test("a server error, an unknown method and a bad result type are errors of the call only")
    func invocationErrors() async throws {
        try await ClientTestHub.withServer { port in
            let connection = Self.connection(port: port)
            try await connection.start()
            let failed = await #expect(throws: HubClientError.self) { try await connection.invoke("Fails") }
            #expect(failed?.code == .invocationFailed)
            #expect(
                failed?.message == "An error occurred while invoking 'Fails' on the server. HubException: not today"
                    || failed?.message.contains("not today") == true)
            let unknown = await #expect(throws: HubClientError.self) { try await connection.invoke("NoSuchMethod") }
            #expect(unknown?.code == .invocationFailed)
            #expect(unknown?.message.contains("NoSuchMethod") == true)
            let wrongType = await #expect(throws: HubClientError.self) {
                try await connection.invoke("Echo", "text", returning: Int.self)
            }
            #expect(wrongType?.code == .valueError)
            // The connection is still fine.
            #expect(try await connection.invoke("Add", 1, 2, returning: Int.self) == 3)
            await connection.stop()
        }
    }

    @Test(
        "server-to-client streams: items in order, the end, an error, and cancelling",
        arguments: ProtocolChoice.allCases)
    func serverStreams(_ choice: ProtocolChoice) async throws {
        let events = TestEventQueue<String>()
        try await ClientTestHub.withServer(events: events) { port in
            let connection = Self.connection(port: port, choice)
            try await connection.start()
            var items: [Int] = []
            for try await item in try await connection.stream("Count", 5, of: Int.self) { items.append(item) }
            #expect(items == [1, 2, 3, 4, 5])

            var beforeError: [Int] = []
            let streamError = await #expect(throws: HubClientError.self) {
                for try await item in try await connection.stream("StreamFails", of: Int.self) {
                    beforeError.append(item)
                }
            }
            #expect(beforeError == [1])
            #expect(streamError?.code == .invocationFailed)
            #expect(streamError?.message.contains("stream broke") == true)

            // Leaving the loop early cancels the stream on the server.
            var seen = 0
            for try await _ in try await connection.stream("Forever", of: Int.self) {
                seen += 1
                if seen == 3 { break }
            }
            #expect(try await events.next(timeout: .seconds(10)) == "Forever ended")
            #expect(try await connection.invoke("Echo", "still here", returning: String.self) == "still here")
            await connection.stop()
        }
    }

    @Test("client-to-server streams feed a hub method's stream parameter", arguments: ProtocolChoice.allCases)
    func uploadStreams(_ choice: ProtocolChoice) async throws {
        try await ClientTestHub.withServer { port in
            let connection = Self.connection(port: port, choice)
            try await connection.start()
            let sum = try await connection.invoke(
                "Sum", arguments: [], streams: [HubClientStream(items: [1, 2, 3, 4])])
            #expect(try sum?.decode(Int.self) == 10)

            let (words, input) = AsyncStream<String>.makeStream()
            let joined = Task {
                try await connection.invoke("Concat", arguments: [HubValue("-")], streams: [HubClientStream(words)])
            }
            for word in ["a", "b", "c"] { input.yield(word) }
            input.finish()
            #expect(try await joined.value?.decode(String.self) == "a-b-c")
            await connection.stop()
        }
    }

    @Test(
        "client results: a handler answers the server's invocation; no handler is an error",
        arguments: ProtocolChoice.allCases)
    func clientResults(_ choice: ProtocolChoice) async throws {
        try await ClientTestHub.withServer { port in
            let connection = Self.connection(port: port, choice)
            try await connection.start()
            let missing = await #expect(throws: HubClientError.self) {
                try await connection.invoke("AskCaller", "anyone?", returning: String.self)
            }
            #expect(
                missing?.message.contains("Client didn't provide a result.") == true, "\(String(describing: missing))")

            let answer = await connection.on(
                "Answer", returning: { (question: String) in "42 is the answer to \(question)" })
            #expect(
                try await connection.invoke("AskCaller", "everything", returning: String.self)
                    == "42 is the answer to everything")
            await connection.remove(answer)
            await connection.on("Answer", returning: { (_: String) -> String in throw HubError("no idea") })
            let refused = await #expect(throws: HubClientError.self) {
                try await connection.invoke("AskCaller", "why?", returning: String.self)
            }
            #expect(refused?.message.contains("no idea") == true, "\(String(describing: refused))")
            await connection.stop()
        }
    }

    @Test("skip-negotiation connects a WebSocket straight to ws://…/hub")
    func skipNegotiation() async throws {
        try await ClientTestHub.withServer { port in
            let connection = ClientConnection(
                options: HubConnectionOptions(
                    url: "ws://127.0.0.1:\(port)\(ClientTestHub.path)", skipNegotiation: true,
                    logger: ClientTestHub.quietLogger()))
            try await connection.start()
            #expect(await connection.negotiateResponse == nil)
            #expect(try await connection.invoke("Echo", "direct", returning: String.self) == "direct")
            await connection.stop()
        }
    }

    @Test("the access token provider is asked on every start; a refused token fails negotiate with 401")
    func accessToken() async throws {
        let authenticate: HubAuthenticator = { request in
            guard let token = request.token, token.hasPrefix("user-") else { return .reject }
            return .accept(HubUser(identifier: String(token.dropFirst(5))))
        }
        try await ClientTestHub.withServer(authenticate: authenticate) { port in
            // Each call of the provider hands out a new token, so the server says which one it got.
            let asks = TestCounter()
            let connection = Self.connection(port: port) { options in
                options.accessTokenProvider = { "user-ada-\(asks.next())" }
            }
            try await connection.start()
            #expect(try await connection.invoke("WhoAmI", returning: String.self) == "ada-1")
            await connection.stop()
            try await connection.start()
            #expect(try await connection.invoke("WhoAmI", returning: String.self) == "ada-2")
            await connection.stop()

            let refused = Self.connection(port: port) { options in options.accessTokenProvider = { "nobody" } }
            let error = await #expect(throws: HubClientError.self) { try await refused.start() }
            #expect(error?.code == .negotiationFailed)
            #expect(error?.message.hasPrefix("Response status code does not indicate success: 401") == true)
            #expect(await refused.state == .disconnected)
        }
    }

    @Test("a negotiate redirect is followed with its URL and access token")
    func redirect() async throws {
        let authenticate: HubAuthenticator = { request in
            request.token == "from-redirect" ? .accept(HubUser(identifier: "redirected")) : .reject
        }
        try await ClientTestHub.withServer(
            authenticate: authenticate,
            configure: { router in
                router.post("/entry/negotiate") { request, _ -> Response in
                    let host = request.head.authority ?? "127.0.0.1"
                    let body = #"{"url":"http://\#(host)\#(ClientTestHub.path)","accessToken":"from-redirect"}"#
                    return Response(
                        status: .ok, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
                }
            }
        ) { port in
            let connection = ClientConnection(
                options: HubConnectionOptions(
                    url: "http://127.0.0.1:\(port)/entry", logger: ClientTestHub.quietLogger()))
            try await connection.start()
            #expect(try await connection.invoke("WhoAmI", returning: String.self) == "redirected")
            await connection.stop()
        }
    }

    @Test("connect failures say what failed: 404 negotiate, no server, a refused protocol")
    func connectFailures() async throws {
        var hubOptions = HubOptions()
        hubOptions.protocolNames = ["json"]
        try await ClientTestHub.withServer(hubOptions: hubOptions) { port in
            let wrongPath = ClientConnection(
                options: HubConnectionOptions(
                    url: "http://127.0.0.1:\(port)/nothing", logger: ClientTestHub.quietLogger()))
            let notFound = await #expect(throws: HubClientError.self) { try await wrongPath.start() }
            #expect(
                notFound?.message.hasPrefix("Response status code does not indicate success: 404 (Not Found)") == true)

            let messagePack = Self.connection(port: port, ProtocolChoice.messagepack)
            let refused = await #expect(throws: HubClientError.self) { try await messagePack.start() }
            #expect(refused?.code == .handshakeFailed)
            #expect(
                refused?.message
                    == "Unable to complete handshake with the server due to an error: The protocol 'messagepack' is not supported."
            )
            #expect(await messagePack.state == .disconnected)
        }
        let refusing = try RefusingPort()
        let closedPort = refusing.port
        let nobody = ClientConnection(
            options: HubConnectionOptions(
                url: "http://127.0.0.1:\(closedPort)/hub", logger: ClientTestHub.quietLogger()))
        let noServer = await #expect(throws: HubClientError.self) { try await nobody.start() }
        #expect(noServer?.code == .negotiationFailed)
        let badURL = ClientConnection(url: "ftp://example/hub")
        let invalid = await #expect(throws: HubClientError.self) { try await badURL.start() }
        #expect(invalid?.code == .invalidURL)
    }

    @Test("a Close with an error ends the connection and fails waiting calls; onClosed gets the error")
    func closeWithError() async throws {
        try await ClientTestHub.withServer { port in
            let connection = Self.connection(port: port)
            let closed = TestEventQueue<String>()
            await connection.onClosed { error in closed.push(error.map { "\($0)" } ?? "nil") }
            try await connection.start()
            let items = try await connection.stream("Forever", of: Int.self)
            // Past the server's 32 KB limit: it answers with a Close carrying an error.
            try await connection.send("Echo", String(repeating: "x", count: 40_000))
            #expect(
                try await closed.next(timeout: .seconds(10))
                    == "The server closed the connection with the following error: Connection closed with an error.")
            let ended = await #expect(throws: HubClientError.self) { for try await _ in items {} }
            #expect(ended == HubClientError.connectionEndedDuringCall)
            #expect(await connection.state == .disconnected)
        }
    }

    @Test("nothing from the server within the server timeout ends the connection")
    func serverTimeout() async throws {
        var hubOptions = HubOptions()
        hubOptions.keepAliveInterval = .seconds(120)
        try await ClientTestHub.withServer(hubOptions: hubOptions) { port in
            let connection = Self.connection(port: port) { options in options.serverTimeout = Duration.milliseconds(300)
            }
            let closed = TestEventQueue<String>()
            await connection.onClosed { error in closed.push(error.map { "\($0)" } ?? "nil") }
            try await connection.start()
            #expect(
                try await closed.next(timeout: .seconds(10))
                    == "Server timeout elapsed without receiving a message from the server.")
        }
    }
}
