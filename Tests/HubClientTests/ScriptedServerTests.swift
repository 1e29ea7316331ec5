import HubClient
import HubProtocol
import HubTestSupport
import Synchronization
import Testing

/// The client against a server scripted byte by byte from the protocol spec: what it writes on
/// the wire (handshake version, Pings, Acks, Sequence and resends), and stateful reconnect, which
/// Switchboard's hubs do not offer yet.
@Suite("HubClient: wire behaviour against a scripted server")
struct ScriptedServerTests {
    static let rs = "\u{1e}"
    static let webSockets = #"[{"transport":"WebSockets","transferFormats":["Text","Binary"]}]"#

    /// A negotiate answer with id `cid` and token `tok`; stateful reconnect agreed only when the
    /// client asked for it (as ASP.NET Core answers).
    static func negotiateAnswer(offersStatefulReconnect: Bool) -> @Sendable (String) -> String {
        { target in
            let agreed = offersStatefulReconnect && target.contains("useStatefulReconnect=true")
            return (agreed ? #"{"useStatefulReconnect":true,"# : "{")
                + #""negotiateVersion":1,"connectionId":"cid","connectionToken":"tok","availableTransports":\#(webSockets)}"#
        }
    }

    static func connection(port: Int, configure: (inout HubConnectionOptions) -> Void = { _ in }) -> ClientConnection {
        var options = HubConnectionOptions(url: "http://127.0.0.1:\(port)/hub", logger: ClientTestHub.quietLogger())
        configure(&options)
        return ClientConnection(options: options)
    }

    /// The next frame that is not a Ping or an Ack (the client's timers send those whenever they
    /// are due, which a loaded machine can make any moment).
    static func nextCall(_ socket: ScriptedHubServer.Socket) async throws -> String {
        while true {
            let text = try await socket.nextText()
            if !text.hasPrefix(#"{"type":6"#) && !text.hasPrefix(#"{"type":8,"#) { return text }
        }
    }

    /// Starts `connection` against `server`, answering its handshake; returns the socket and the
    /// handshake's text.
    static func start(
        _ connection: ClientConnection, on server: ScriptedHubServer
    ) async throws -> (ScriptedHubServer.Socket, String) {
        let starting = Task { try await connection.start() }
        let accepted = try await accept(server)
        try await starting.value
        return accepted
    }

    /// Accepts the next socket and answers the handshake; returns it with the handshake's text.
    static func accept(_ server: ScriptedHubServer) async throws -> (ScriptedHubServer.Socket, String) {
        let socket = try await server.sockets.next(timeout: .seconds(10))
        let handshake = try await socket.nextText()
        try await socket.send(text: "{}" + rs)
        return (socket, handshake)
    }

    @Test(
        "the handshake says version 1, and a Ping goes out when the client has sent nothing for the keep-alive interval"
    )
    func keepAlivePings() async throws {
        let server = try await ScriptedHubServer.start(negotiate: Self.negotiateAnswer(offersStatefulReconnect: false))
        let connection = Self.connection(port: server.port) { options in
            options.keepAliveInterval = .milliseconds(200)
        }
        let (socket, handshake) = try await Self.start(connection, on: server)
        #expect(socket.uri == "/hub?id=tok")
        #expect(handshake == #"{"protocol":"json","version":1}"# + Self.rs)
        // Nothing else was sent, so the next frames are Pings.
        #expect(try await socket.nextText() == #"{"type":6}"# + Self.rs)
        #expect(try await socket.nextText() == #"{"type":6}"# + Self.rs)
        // Sending something puts the next Ping off; the call itself goes first.
        try await connection.send("Hello")
        #expect(try await Self.nextCall(socket) == #"{"type":1,"target":"Hello","arguments":[]}"# + Self.rs)
        await connection.stop()
        await server.stop()
    }

    @Test("a message right behind the handshake response is handled; stop() during start() makes start() throw")
    func handshakeEdges() async throws {
        let server = try await ScriptedHubServer.start(negotiate: Self.negotiateAnswer(offersStatefulReconnect: false))
        let connection = Self.connection(port: server.port)
        let received = TestEventQueue<String>()
        await connection.on("Receive") { (text: String) in received.push(text) }
        let starting = Task { try await connection.start() }
        let socket = try await server.sockets.next(timeout: .seconds(10))
        _ = try await socket.nextText()
        try await socket.send(text: "{}" + Self.rs + #"{"type":1,"target":"Receive","arguments":["first"]}"# + Self.rs)
        try await starting.value
        #expect(try await received.next(timeout: .seconds(10)) == "first")
        await connection.stop()

        // The server never answers this handshake; stop() ends the start.
        let stalled = Self.connection(port: server.port)
        let stalledStart = Task { try await stalled.start() }
        let silent = try await server.sockets.next(timeout: .seconds(10))
        _ = try await silent.nextText()
        await stalled.stop()
        await #expect(throws: HubClientError.self) { try await stalledStart.value }
        #expect(await stalled.state == .disconnected)
        try await silent.closed.next(timeout: .seconds(10))
        await server.stop()
    }

    @Test("stop() called from a handler returns (it does not wait for the socket task it runs on)")
    func stopFromHandler() async throws {
        let server = try await ScriptedHubServer.start(negotiate: Self.negotiateAnswer(offersStatefulReconnect: false))
        let connection = Self.connection(port: server.port)
        let events = TestEventQueue<String>()
        await connection.on("Stop") {
            await connection.stop()
            events.push("stop returned")
        }
        await connection.onClosed { _ in events.push("closed") }
        let (socket, _) = try await Self.start(connection, on: server)
        try await socket.send(text: #"{"type":1,"target":"Stop","arguments":[]}"# + Self.rs)
        #expect(try await events.next(timeout: .seconds(10)) == "closed")
        #expect(try await events.next(timeout: .seconds(10)) == "stop returned")
        #expect(await connection.state == .disconnected)
        await server.stop()
    }

    @Test("cancelling the task of an invoke ends its wait")
    func invokeCancelled() async throws {
        let server = try await ScriptedHubServer.start(negotiate: Self.negotiateAnswer(offersStatefulReconnect: false))
        let connection = Self.connection(port: server.port)
        let (socket, _) = try await Self.start(connection, on: server)
        let call = Task { try await connection.invoke("Slow", arguments: []) }
        _ = try await socket.nextText()
        call.cancel()
        let error = await #expect(throws: HubClientError.self) { try await call.value }
        #expect(error?.code == .cancelled)
        // A late completion for it is ignored; the connection goes on.
        try await socket.send(text: #"{"type":3,"invocationId":"0","result":1}"# + Self.rs)
        let next = Task { try await connection.invoke("Next", arguments: []) }
        #expect(
            try await Self.nextCall(socket) == #"{"type":1,"invocationId":"1","target":"Next","arguments":[]}"#
                + Self.rs)
        try await socket.send(text: #"{"type":3,"invocationId":"1","result":2}"# + Self.rs)
        #expect(try await next.value?.decode(Int.self) == 2)
        await connection.stop()
        await server.stop()
    }

    @Test(
        "stateful reconnect: a dropped WebSocket is replaced, both sides resend, duplicates are skipped, calls survive")
    func statefulReconnect() async throws {
        let server = try await ScriptedHubServer.start(negotiate: Self.negotiateAnswer(offersStatefulReconnect: true))
        let connection = Self.connection(port: server.port) { options in options.useStatefulReconnect = true }
        let received = TestEventQueue<String>()
        await connection.on("Receive") { (text: String) in received.push(text) }
        await connection.onReconnecting { _ in received.push("reconnecting") }
        let (first, handshake) = try await Self.start(connection, on: server)
        #expect(try await server.negotiations.next(timeout: .seconds(1)).contains("useStatefulReconnect=true"))
        #expect(handshake == #"{"protocol":"json","version":2}"# + Self.rs)
        #expect(first.uri == "/hub?id=tok")

        // Two trackable messages from the server (ids 1 and 2); the client acks the highest.
        try await first.send(text: #"{"type":1,"target":"Receive","arguments":["one"]}"# + Self.rs)
        try await first.send(text: #"{"type":1,"target":"Receive","arguments":["two"]}"# + Self.rs)
        #expect(try await received.next(timeout: .seconds(10)) == "one")
        #expect(try await received.next(timeout: .seconds(10)) == "two")
        // The client's own trackable messages (ids 1 and 2), which the server never acks.
        try await connection.send("Note", "a")
        let pending = Task { try await connection.invoke("Slow", arguments: []) }
        var frames: [String] = []
        while !frames.contains(#"{"type":1,"invocationId":"0","target":"Slow","arguments":[]}"# + Self.rs) {
            frames.append(try await first.nextText())
        }
        while !frames.contains(#"{"type":8,"sequenceId":2}"# + Self.rs) { frames.append(try await first.nextText()) }
        // In the order they were made (the Ack may come anywhere among them).
        #expect(
            frames.filter { !$0.hasPrefix(#"{"type":8,"#) } == [
                #"{"type":1,"target":"Note","arguments":["a"]}"# + Self.rs,
                #"{"type":1,"invocationId":"0","target":"Slow","arguments":[]}"# + Self.rs,
            ])

        // The network fails. No negotiate, no handshake: the same id, Sequence, then the resend.
        await first.drop()
        let second = try await server.sockets.next(timeout: .seconds(10))
        #expect(second.uri == "/hub?id=tok")
        #expect(try await second.nextText() == #"{"type":9,"sequenceId":1}"# + Self.rs)
        #expect(try await Self.nextCall(second) == #"{"type":1,"target":"Note","arguments":["a"]}"# + Self.rs)
        #expect(
            try await Self.nextCall(second) == #"{"type":1,"invocationId":"0","target":"Slow","arguments":[]}"#
                + Self.rs)
        try await connection.send("Note", "b")
        #expect(try await Self.nextCall(second) == #"{"type":1,"target":"Note","arguments":["b"]}"# + Self.rs)

        // The server resends from its id 2: "two" again is a duplicate, "three" is new.
        try await second.send(text: #"{"type":9,"sequenceId":2}"# + Self.rs)
        try await second.send(text: #"{"type":1,"target":"Receive","arguments":["two"]}"# + Self.rs)
        try await second.send(text: #"{"type":1,"target":"Receive","arguments":["three"]}"# + Self.rs)
        #expect(try await received.next(timeout: .seconds(10)) == "three")
        // The call made before the drop completes on the new socket.
        try await second.send(text: #"{"type":3,"invocationId":"0","result":"done"}"# + Self.rs)
        #expect(try await pending.value?.decode(String.self) == "done")
        #expect(await connection.state == .connected)
        // The first negotiate was taken above; the reconnect made none.
        #expect(server.negotiations.queuedCount == 0)
        // No duplicate "two" and no reconnecting event: the replacement was invisible.
        #expect(received.queuedCount == 0)
        await connection.stop()
        await server.stop()
    }

    /// A started client that asks for stateful reconnect, on a scripted server (which offers it when
    /// `offered`), with its first socket handshaken and its `onClosed` errors queued.
    struct StatefulSetup {
        let server: ScriptedHubServer
        let connection: ClientConnection
        let socket: ScriptedHubServer.Socket
        let handshake: String
        let closed: TestEventQueue<String>
    }

    static func startStateful(
        offered: Bool, acceptsUpgrade: @escaping @Sendable (String) -> Bool = { _ in true }
    ) async throws -> StatefulSetup {
        let server = try await ScriptedHubServer.start(
            negotiate: negotiateAnswer(offersStatefulReconnect: offered), acceptsUpgrade: acceptsUpgrade)
        let connection = connection(port: server.port) { options in options.useStatefulReconnect = true }
        let closed = TestEventQueue<String>()
        await connection.onClosed { error in closed.push(error.map { "\($0)" } ?? "nil") }
        let (socket, handshake) = try await start(connection, on: server)
        return StatefulSetup(
            server: server, connection: connection, socket: socket, handshake: handshake, closed: closed)
    }

    @Test("stateful reconnect: a Sequence beyond what was received is a protocol error that ends the connection")
    func sequenceTooHigh() async throws {
        let setup = try await Self.startStateful(offered: true)
        try await setup.socket.send(text: #"{"type":9,"sequenceId":5}"# + Self.rs)
        #expect(
            try await setup.closed.next(timeout: .seconds(10))
                == "Sequence ID greater than amount of messages we've received.")
        await setup.server.stop()
    }

    @Test("stateful reconnect: when the server no longer takes the connection, it is lost and waiting calls fail")
    func statefulReconnectRefused() async throws {
        let upgrades = TestCounter()
        let setup = try await Self.startStateful(offered: true, acceptsUpgrade: { _ in upgrades.next() == 1 })
        let pending = Task { try await setup.connection.invoke("Slow", arguments: []) }
        _ = try await setup.socket.nextText()
        await setup.socket.drop()
        // Every attempt to reconnect the WebSocket is refused (as a server that forgot the id).
        let failure = await #expect(throws: HubClientError.self) { try await pending.value }
        #expect(failure == HubClientError.connectionEndedDuringCall)
        #expect(
            try await setup.closed.next(timeout: .seconds(30)).hasPrefix(
                "Unable to connect to the server with WebSockets"))
        // The first upgrade, then at least one refused resume attempt.
        #expect(upgrades.count >= 2)
        await setup.server.stop()
    }

    @Test("stateful reconnect not offered: version 1, and a dropped socket is an ordinary loss")
    func statefulNotOffered() async throws {
        let setup = try await Self.startStateful(offered: false)
        let running = TestEventQueue<Bool>()
        // onClosed runs in a task of its own, not in the cancelled one of the socket that ended.
        await setup.connection.onClosed { _ in running.push(!Task.isCancelled) }
        #expect(setup.handshake == #"{"protocol":"json","version":1}"# + Self.rs)
        let pending = Task { try await setup.connection.invoke("Slow", arguments: []) }
        _ = try await setup.socket.nextText()
        await setup.socket.drop()
        let failure = await #expect(throws: HubClientError.self) { try await pending.value }
        #expect(failure == HubClientError.connectionEndedDuringCall)
        #expect(try await setup.closed.next(timeout: .seconds(10)).hasPrefix("The "))
        #expect(try await running.next(timeout: .seconds(10)))
        await setup.server.stop()
    }
}

/// Counts events from any thread (upgrades on a server's event loop, calls of a provider).
final class TestCounter: Sendable {
    private let value = Mutex(0)

    /// How many were counted.
    var count: Int { value.withLock { $0 } }

    /// Adds one and returns the new count.
    func next() -> Int {
        value.withLock {
            $0 += 1
            return $0
        }
    }
}
