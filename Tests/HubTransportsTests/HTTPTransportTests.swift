import HubTestSupport
import Hubs
import NIOCore
import Testing
import TestSupport

@testable import HubTransports

/// Server-Sent Events and long polling over real sockets, driven by raw HTTP (`signalr-protocol.md`
/// §b): negotiate, the transport's GETs, POST sends and DELETE.
@Suite("Server-Sent Events and long polling")
struct HTTPTransportTests {
    static let rs = "\u{1e}"

    /// The test hub, with an `onDisconnected` that reports each connection id that left.
    static func hub(disconnected: TestEventQueue<String>) -> HubDefinition {
        var hub = TestHub.definition
        hub.onDisconnected { hub, _ in disconnected.push(hub.connectionId) }
        return hub
    }

    /// Quick keep-alives and short polls, so the tests see them; `disconnect` is how long a
    /// long-polling client may go without a poll (long by default: a loaded machine may take a
    /// while between two requests of one test).
    static func quick(disconnect: TimeAmount = .seconds(60)) -> (HubOptions, HubRouteOptions) {
        var hubOptions = HubOptions()
        hubOptions.keepAliveInterval = .milliseconds(200)
        var routeOptions = HubRouteOptions()
        routeOptions.longPollingTimeout = .seconds(1)
        routeOptions.longPollingDisconnectTimeout = disconnect
        return (hubOptions, routeOptions)
    }

    /// Negotiates (version 1): (connection id, token).
    static func negotiate(port: Int) async throws -> (id: String, token: String) {
        let response = try await TestHTTPClient.request(
            "POST", port: port, path: TestHub.path + "/negotiate?negotiateVersion=1")
        let id = try #require(response.body.firstMatch(of: #/"connectionId":"([^"]+)"/#)?.1)
        let token = try #require(response.body.firstMatch(of: #/"connectionToken":"([^"]+)"/#)?.1)
        return (String(id), String(token))
    }

    static let jsonHandshake = #"{"protocol":"json","version":1}"# + rs

    /// Negotiates, opens the event stream and completes the JSON handshake over it.
    static func openEventStream(port: Int) async throws -> (id: String, token: String, events: TestEventStreamClient) {
        let (id, token) = try await negotiate(port: port)
        let events = try await TestEventStreamClient.connect(port: port, path: TestHub.path + "?id=\(token)")
        #expect(try await post(port: port, token: token, jsonHandshake).status == 200)
        #expect(try await events.nextEvent() == "{}" + rs)
        return (id, token, events)
    }

    static func post(port: Int, token: String, _ text: String) async throws -> TestHTTPClient.Response {
        try await TestHTTPClient.request("POST", port: port, path: TestHub.path + "?id=\(token)", body: text)
    }

    static func poll(port: Int, token: String) async throws -> TestHTTPClient.Response {
        try await TestHTTPClient.request("GET", port: port, path: TestHub.path + "?id=\(token)")
    }

    /// Polls until `text` has arrived (polls return what was buffered; a message may come in a later
    /// poll), returning everything received.
    static func poll(port: Int, token: String, until text: String) async throws -> String {
        var received = ""
        while !received.contains(text) {
            let response = try await poll(port: port, token: token)
            try #require(response.status == 200, "poll: \(response.status) \(response.body)")
            received += response.body
        }
        return received
    }

    @Test("Long polling: first poll, handshake, invocation, streams both ways, no pings, the poll timeout, DELETE")
    func longPolling() async throws {
        let disconnected = TestEventQueue<String>()
        let (hubOptions, routeOptions) = Self.quick()
        try await TestHub.withServer(
            definition: Self.hub(disconnected: disconnected), hubOptions: hubOptions, routeOptions: routeOptions
        ) { port in
            let (id, token) = try await Self.negotiate(port: port)
            // The first poll returns at once, empty.
            let first = try await Self.poll(port: port, token: token)
            #expect(first.status == 200)
            #expect(first.body.isEmpty)
            #expect(first.headers["cache-control"] == "no-cache")

            let handshake = try await Self.post(port: port, token: token, Self.jsonHandshake)
            #expect(handshake.status == 200)
            #expect(handshake.body.isEmpty)
            #expect(try await Self.poll(port: port, token: token, until: "{}" + Self.rs) == "{}" + Self.rs)

            // A broadcast reaches the polling client.
            #expect(
                try await Self.post(
                    port: port, token: token, #"{"type":1,"target":"Broadcast","arguments":["hi"]}"# + Self.rs
                ).status == 200)
            let broadcast = try await Self.poll(port: port, token: token, until: "Receive")
            #expect(broadcast == #"{"type":1,"target":"Receive","arguments":["hi"]}"# + Self.rs)

            // A server-to-client stream.
            _ = try await Self.post(
                port: port, token: token,
                #"{"type":4,"invocationId":"1","target":"Count","arguments":[3]}"# + Self.rs)
            let streamed = try await Self.poll(port: port, token: token, until: #""type":3"#)
            #expect(
                streamed
                    == [
                        #"{"type":2,"invocationId":"1","item":0}"#, #"{"type":2,"invocationId":"1","item":1}"#,
                        #"{"type":2,"invocationId":"1","item":2}"#, #"{"type":3,"invocationId":"1"}"#,
                    ].map { $0 + Self.rs }.joined())

            // A client-to-server stream, its items in one POST.
            _ = try await Self.post(
                port: port, token: token,
                #"{"type":1,"invocationId":"2","target":"Sum","arguments":[],"streamIds":["s"]}"# + Self.rs
                    + #"{"type":2,"invocationId":"s","item":4}"# + Self.rs
                    + #"{"type":2,"invocationId":"s","item":5}"# + Self.rs + #"{"type":3,"invocationId":"s"}"# + Self.rs
            )
            #expect(
                try await Self.poll(port: port, token: token, until: #""result""#)
                    == #"{"type":3,"invocationId":"2","result":9}"# + Self.rs)

            // No Pings on long polling (keep-alive is 200 ms here): a poll with nothing to send waits
            // for the poll timeout (1 s here) and returns 200, empty.
            let idle = try await Self.poll(port: port, token: token)
            #expect(idle.status == 200)
            #expect(idle.body.isEmpty)
            #expect(idle.headers["content-type"] == "text/plain")

            // Another transport for the same connection is refused.
            let events = try await TestHTTPClient.request(
                "GET", port: port, path: TestHub.path + "?id=\(token)", headers: [("Accept", "text/event-stream")])
            #expect(events.status == 400)
            #expect(events.body == "Cannot change transports mid-connection")

            // DELETE ends it (202), then the id is gone. A poll still outstanding gets 204 (whether
            // this one reached the server before the DELETE is up to the scheduler, so it may get 404
            // instead; `endAnswersTheWaitingPoll` checks the 204 deterministically).
            async let pending = Self.poll(port: port, token: token)
            let deleted = try await TestHTTPClient.request("DELETE", port: port, path: TestHub.path + "?id=\(token)")
            #expect(deleted.status == 202)
            #expect([204, 404].contains(try await pending.status))
            #expect(try await disconnected.next(timeout: .seconds(10)) == id)
            #expect(try await Self.poll(port: port, token: token).status == 404)
            #expect(try await Self.post(port: port, token: token, "x").status == 404)
        }
    }

    @Test("Long polling: a handshake sent before the first poll waits for it (signalrcore sends it first)")
    func handshakeBeforeFirstPoll() async throws {
        try await TestHub.withServer { port in
            let (_, token) = try await Self.negotiate(port: port)
            let handshake = try await Self.post(port: port, token: token, Self.jsonHandshake)
            #expect(handshake.status == 200)
            let first = try await Self.poll(port: port, token: token)
            #expect(first.status == 200)
            #expect(first.headers["content-type"] == "application/octet-stream")
            #expect(try await Self.poll(port: port, token: token, until: "{}" + Self.rs) == "{}" + Self.rs)
        }
    }

    @Test("Long polling: a newer poll ends the older with 204; a client that stops polling is cleaned up")
    func longPollingSupersededAndVanished() async throws {
        let disconnected = TestEventQueue<String>()
        let (hubOptions, routeOptions) = Self.quick(disconnect: .seconds(10))
        try await TestHub.withServer(
            definition: Self.hub(disconnected: disconnected), hubOptions: hubOptions, routeOptions: routeOptions
        ) { port in
            let (id, token) = try await Self.negotiate(port: port)
            _ = try await Self.poll(port: port, token: token)
            // As a real client does, a poll is always outstanding while it works.
            async let handshakeReply = Self.poll(port: port, token: token, until: "{}" + Self.rs)
            _ = try await Self.post(port: port, token: token, Self.jsonHandshake)
            _ = try await handshakeReply
            // Two polls at once: whichever the server sees second ends the other with 204, and then
            // returns 200 itself (empty, at the poll timeout: nothing is sent).
            async let one = Self.poll(port: port, token: token)
            async let two = Self.poll(port: port, token: token)
            let statuses = try await [one.status, two.status].sorted()
            #expect(statuses == [200, 204])
            // The client stops polling: after the disconnect timeout (10 s here) it is gone.
            #expect(try await disconnected.next(timeout: .seconds(60)) == id)
            #expect(try await Self.post(port: port, token: token, "x").status == 404)
        }
    }

    @Test("Server-Sent Events: handshake, broadcast, streams both ways, pings, 409, DELETE refused, the client leaving")
    func serverSentEvents() async throws {
        let disconnected = TestEventQueue<String>()
        let (hubOptions, routeOptions) = Self.quick()
        try await TestHub.withServer(
            definition: Self.hub(disconnected: disconnected), hubOptions: hubOptions, routeOptions: routeOptions
        ) { port in
            let (id, token, events) = try await Self.openEventStream(port: port)
            #expect(events.status == 200)
            #expect(events.headers["content-type"] == "text/event-stream")
            #expect(events.headers["cache-control"] == "no-cache")
            _ = try await Self.post(
                port: port, token: token, #"{"type":1,"target":"Broadcast","arguments":["over SSE"]}"# + Self.rs)
            var received: [String] = []
            while !received.contains(where: { $0.contains("over SSE") }) {
                received.append(try #require(try await events.nextEvent()))
            }
            #expect(received.last == #"{"type":1,"target":"Receive","arguments":["over SSE"]}"# + Self.rs)
            // Pings flow on Server-Sent Events (keep-alive 200 ms here).
            while try #require(try await events.nextEvent()) != #"{"type":6}"# + Self.rs {}

            _ = try await Self.post(
                port: port, token: token, #"{"type":4,"invocationId":"7","target":"Count","arguments":[2]}"# + Self.rs)
            var stream: [String] = []
            while stream.last != #"{"type":3,"invocationId":"7"}"# + Self.rs {
                let event = try #require(try await events.nextEvent())
                if event != #"{"type":6}"# + Self.rs { stream.append(event) }
            }
            #expect(stream.count == 3)

            // A client-to-server stream over POSTs, its result on the event stream.
            _ = try await Self.post(
                port: port, token: token,
                #"{"type":1,"invocationId":"8","target":"Sum","arguments":[],"streamIds":["u"]}"# + Self.rs)
            _ = try await Self.post(port: port, token: token, #"{"type":2,"invocationId":"u","item":20}"# + Self.rs)
            _ = try await Self.post(
                port: port, token: token,
                #"{"type":2,"invocationId":"u","item":22}"# + Self.rs + #"{"type":3,"invocationId":"u"}"# + Self.rs)
            var sum: String?
            while sum == nil {
                let event = try #require(try await events.nextEvent())
                if event.contains(#""invocationId":"8""#) { sum = event }
            }
            #expect(sum == #"{"type":3,"invocationId":"8","result":42}"# + Self.rs)

            // A second event stream for the same connection: 409. DELETE is for long polling only.
            let second = try await TestHTTPClient.request(
                "GET", port: port, path: TestHub.path + "?id=\(token)", headers: [("Accept", "text/event-stream")])
            #expect(second.status == 409)
            let delete = try await TestHTTPClient.request("DELETE", port: port, path: TestHub.path + "?id=\(token)")
            #expect(delete.status == 400)
            #expect(delete.body == "Cannot terminate this connection using the DELETE endpoint.")

            // The client goes away without a word.
            await events.close()
            #expect(try await disconnected.next(timeout: .seconds(10)) == id)
            #expect(try await Self.post(port: port, token: token, "x").status == 404)
        }
    }

    @Test("Server-Sent Events: a client that closes its stream is gone at once, with no write to find out")
    func serverSentEventsClientCloses() async throws {
        let disconnected = TestEventQueue<String>()
        var hubOptions = HubOptions()
        hubOptions.keepAliveInterval = .seconds(3600)  // no Ping will come to reveal the closed socket
        try await TestHub.withServer(definition: Self.hub(disconnected: disconnected), hubOptions: hubOptions) { port in
            let (id, token, events) = try await Self.openEventStream(port: port)
            await events.close()
            #expect(try await disconnected.next(timeout: .seconds(30)) == id)
            #expect(try await Self.post(port: port, token: token, "x").status == 404)
        }
    }

    @Test("Long polling: a client that goes away during a poll ends that poll, and then times out")
    func longPollingClientGoesAway() async throws {
        let disconnected = TestEventQueue<String>()
        var (hubOptions, routeOptions) = Self.quick(disconnect: .seconds(5))
        routeOptions.longPollingTimeout = .seconds(3600)  // only the client's leaving can end the poll
        try await TestHub.withServer(
            definition: Self.hub(disconnected: disconnected), hubOptions: hubOptions, routeOptions: routeOptions
        ) { port in
            let (id, token) = try await Self.negotiate(port: port)
            _ = try await Self.post(port: port, token: token, Self.jsonHandshake)
            _ = try await Self.poll(port: port, token: token, until: "{}" + Self.rs)
            // A poll whose socket then closes (the socket is closed when it goes out of scope).
            do {
                let socket = try BlockingSocket.connect(port: port)
                try socket.send("GET \(TestHub.path)?id=\(token) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            }
            #expect(try await disconnected.next(timeout: .seconds(60)) == id)
        }
    }

    @Test("Graceful shutdown with an event stream open: the stream gets a Close allowing reconnect and ends")
    func serverSentEventsAtShutdown() async throws {
        // Hummingbird waits for requests in flight before it stops; an event stream ends only when
        // the hubs close their connections, so shutdown must reach them (it hung before).
        let events = try await TestHub.withServer { port in
            let (_, _, events) = try await Self.openEventStream(port: port)
            return events
        }
        var last: String?
        while let event = try await events.nextEvent() { last = event }
        #expect(last == #"{"type":7,"allowReconnect":true}"# + Self.rs)
    }

    @Test("Server-Sent Events carry text only: MessagePack is refused with ASP.NET Core's handshake error")
    func serverSentEventsRefuseMessagePack() async throws {
        try await TestHub.withServer { port in
            let (_, token) = try await Self.negotiate(port: port)
            let events = try await TestEventStreamClient.connect(port: port, path: TestHub.path + "?id=\(token)")
            _ = try await Self.post(port: port, token: token, #"{"protocol":"messagepack","version":1}"# + Self.rs)
            #expect(
                try await events.nextEvent()
                    == #"{"error":"Cannot use the 'messagepack' protocol on the current transport. The transport does not support 'Binary' transfer format."}"#
                    + Self.rs)
            // The server then ends the stream.
            #expect(try await events.nextEvent() == nil)
        }
    }

    @Test("A send while another is still being fed gets busy (409); the first completes when reading resumes")
    func concurrentSend() async throws {
        let loop = NIOSingletons.posixEventLoopGroup.next()
        let connection = HTTPHubConnection(
            eventLoop: loop, kind: .longPolling, token: "t", connectionId: "c", logger: .init(label: "test"),
            onEnd: {})
        // No handshake timeout may end the connection while a loaded machine runs this.
        var options = HubOptions()
        options.handshakeTimeout = .seconds(3600)
        let endpoint = HubEndpoint(definition: TestHub.definition, options: options)
        // Everything on the loop in one go, so nothing can happen in between.
        let (first, second) = try await loop.submit {
            connection.start(
                endpoint: endpoint, user: .anonymous, request: HubConnectionRequest(path: TestHub.path),
                disconnectTimeout: .seconds(3600), earlyInput: nil)
            // As a full client-to-server stream buffer does, the session stops reading.
            connection.setReading(false)
            return (
                connection.send(ByteBuffer(string: Self.jsonHandshake)),
                connection.send(ByteBuffer(string: "{}" + Self.rs))
            )
        }.get()
        let secondResult = try await second.get()
        #expect(secondResult == .busy)
        try await loop.submit { connection.setReading(true) }.get()
        #expect(try await first.get() == .accepted)
        // Once it ended, a send finds the connection gone.
        let late = try await loop.flatSubmit {
            connection.end()
            return connection.send(ByteBuffer(string: "{}" + Self.rs))
        }.get()
        #expect(late == .gone)
    }

    @Test("A waiting poll is answered: data, the poll timeout, a newer poll, the connection's end")
    func endAnswersTheWaitingPoll() async throws {
        let loop = NIOSingletons.posixEventLoopGroup.next()
        let connection = HTTPHubConnection(
            eventLoop: loop, kind: .longPolling, token: "t", connectionId: "c", logger: .init(label: "test"),
            onEnd: {})
        func kind(_ delivery: HTTPHubConnection.Delivery) -> String {
            switch delivery {
            case .data(let bytes): return "data \(String(buffer: bytes))"
            case .timedOut: return "timedOut"
            case .superseded: return "superseded"
            case .closed: return "closed"
            }
        }
        let first = try await loop.submit { connection.next(timeout: nil) }.get()
        let second = try await loop.submit { connection.next(timeout: nil) }.get()
        try await loop.submit {
            connection.write(ByteBuffer(string: "x"))
            connection.flush()
        }.get()
        #expect(kind(try await first.get()) == "superseded")
        #expect(kind(try await second.get()) == "data x")
        let timed = try await loop.submit { connection.next(timeout: .milliseconds(10)) }.get()
        #expect(kind(try await timed.get()) == "timedOut")
        let waiting = try await loop.submit { connection.next(timeout: nil) }.get()
        try await loop.submit { connection.end() }.get()
        #expect(kind(try await waiting.get()) == "closed")
        let after = try await loop.submit { connection.next(timeout: nil) }.get()
        #expect(kind(try await after.get()) == "closed")
    }

    @Test("Server-Sent Events framing: data lines per LF, a CR before each LF dropped, a blank line after")
    func eventFraming() {
        func framed(_ text: String) -> String {
            String(buffer: ServerSentEventsWire.frame(ByteBuffer(string: text)))
        }
        #expect(framed("{}\u{1e}") == "data: {}\u{1e}\r\n\r\n")
        #expect(framed("a\nb") == "data: a\r\ndata: b\r\n\r\n")
        #expect(framed("a\r\nb\n") == "data: a\r\ndata: b\r\n\r\n")
        #expect(framed("") == "\r\n")
    }
}
