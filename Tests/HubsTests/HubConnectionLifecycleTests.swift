import HubProtocol
import Hubs
import NIOCore
import Synchronization
import MetricsTestKit
import Testing

@Suite("Handshake, keep-alive, timeouts, limits")
struct HubConnectionLifecycleTests {
    func handshake(
        _ endpoint: HubEndpoint, _ text: String, transferFormats: HubTransferFormat = [.text, .binary]
    )
        async throws -> (HandshakeResponse, TestHubClient)
    {
        let client = try await TestHubClient.open(endpoint, transferFormats: transferFormats)
        client.sendBytes(ByteBuffer(string: text))
        guard case .handshake(let response) = try await client.nextEvent() else {
            throw TestFailure("expected a handshake response")
        }
        return (response, client)
    }

    @Test("refused handshakes get ASP.NET Core's texts and the connection closes")
    func refusedHandshakes() async throws {
        let endpoint = HubEndpoint(definition: TestHubs.definition(), options: .forTests)
        let cases: [(String, HubTransferFormat, String)] = [
            ("{\"protocol\":\"xyz\",\"version\":1}\u{1e}", [.text, .binary], "The protocol 'xyz' is not supported."),
            (
                "{\"protocol\":\"json\",\"version\":9}\u{1e}", [.text, .binary],
                "The server does not support version 9 of the 'json' protocol."
            ),
            (
                "{\"protocol\":\"messagepack\",\"version\":1}\u{1e}", [.text],
                "Cannot use the 'messagepack' protocol on the current transport. The transport does not support 'Binary' transfer format."
            ),
            ("{\"version\":1}\u{1e}", [.text, .binary], "An unexpected error occurred during connection handshake."),
        ]
        for (text, formats, error) in cases {
            let (response, client) = try await handshake(endpoint, text, transferFormats: formats)
            #expect(response.error == error)
            guard case .closed(normal: false) = try await client.nextEvent() else {
                Issue.record("expected the connection to close after \(error)")
                continue
            }
        }
    }

    @Test("a handshake over the size limit, or too slow, is canceled")
    func canceledHandshakes() async throws {
        var options = HubOptions.forTests
        options.maximumReceiveMessageSize = 64
        options.handshakeTimeout = .milliseconds(100)
        let endpoint = HubEndpoint(definition: TestHubs.definition(), options: options)
        let big = "{\"protocol\":\"json\",\"version\":1,\"padding\":\"" + String(repeating: "x", count: 100)
        let (response, _) = try await handshake(endpoint, big)
        #expect(response.error == "Handshake was canceled.")
        let (slow, _) = try await handshake(endpoint, "{\"protocol\":")
        #expect(slow.error == "Handshake was canceled.")
    }

    @Test("the handshake and the first messages may arrive in one read")
    func handshakeWithMessages() async throws {
        let endpoint = HubEndpoint(definition: TestHubs.definition(), options: .forTests)
        let client = try await TestHubClient.open(endpoint)
        client.sendBytes(
            ByteBuffer(
                string:
                    "{\"protocol\":\"json\",\"version\":1}\u{1e}{\"type\":1,\"invocationId\":\"1\",\"target\":\"Add\",\"arguments\":[1,2]}\u{1e}{\"type\":1,\"invoca"
            ))
        client.sendBytes(ByteBuffer(string: "tionId\":\"2\",\"target\":\"Add\",\"arguments\":[3,4]}\u{1e}"))
        guard case .handshake(let response) = try await client.nextEvent() else { throw TestFailure("no handshake") }
        #expect(response.error == nil)
        #expect(try await client.completion("1").result?.decode(Int.self) == 3)
        #expect(try await client.completion("2").result?.decode(Int.self) == 7)
    }

    @Test("the server pings a quiet connection, and drops a client gone silent after its first Ping")
    func keepAliveAndTimeout() async throws {
        var options = HubOptions.forTests
        options.keepAliveInterval = .milliseconds(40)
        options.clientTimeoutInterval = .milliseconds(400)
        let endpoint = HubEndpoint(definition: TestHubs.definition(), options: options)
        let client = try await TestHubClient.connect(endpoint)
        // As in ASP.NET Core, the client timeout is enforced from the client's first Ping on.
        client.send(.ping)
        // Bounded by time, not by a count of pings: if this task is starved, pings pile up.
        let deadline = ContinuousClock.now + .seconds(60)
        var pings = 0
        while true {
            let event = try await client.nextEvent()
            if case .message(.ping) = event {
                pings += 1
                if ContinuousClock.now > deadline {
                    Issue.record("the client was never dropped (\(pings) pings)")
                    return
                }
                continue
            }
            guard case .message(.close(let close)) = event else {
                Issue.record("unexpected \(event)")
                return
            }
            #expect(close == CloseMessage(error: nil, allowReconnect: true))
            break
        }
        #expect(pings >= 2)
        guard case .closed = try await client.nextEvent() else {
            Issue.record("expected the transport to close")
            return
        }
    }

    @Test("a client that never pings is not timed out; one that keeps pinging is not either")
    func pingsKeepAlive() async throws {
        var options = HubOptions.forTests
        options.keepAliveInterval = .milliseconds(20)
        options.clientTimeoutInterval = .milliseconds(100)
        let endpoint = HubEndpoint(definition: TestHubs.definition(), options: options)
        let quiet = try await TestHubClient.connect(endpoint)
        let pinging = try await TestHubClient.connect(endpoint)
        // The pinging client pings from its event loop every 20 ms, so a starved test task cannot
        // make it late.
        let session = pinging.session
        let ping = try JSONHubProtocol().serialize(.ping)
        let pinger = pinging.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(20)) { _ in
            var bytes = ping
            session.receive(&bytes)
        }
        defer { pinger.cancel() }
        // Ten server pings to the quiet client span 2× the client timeout.
        var serverPings = 0
        while serverPings < 10 {
            switch try await quiet.nextEvent() {
            case .message(.ping): serverPings += 1
            case let other: Issue.record("unexpected \(other)")
            }
        }
        #expect(pinging.drain().allSatisfy { if case .message(.ping) = $0 { true } else { false } })
        #expect(try await quiet.invoke("Echo", HubArguments("x")).error == nil)
        #expect(try await pinging.invoke("Echo", HubArguments("y")).error == nil)
    }

    @Test("an over-size message closes only that connection, with the spec's Close error")
    func oversize() async throws {
        var options = HubOptions.forTests
        options.maximumReceiveMessageSize = 100
        let endpoint = HubEndpoint(definition: TestHubs.definition(), options: options)
        let victim = try await TestHubClient.connect(endpoint)
        let bystander = try await TestHubClient.connect(endpoint)
        victim.send(
            .invocation(InvocationMessage(target: "Echo", arguments: HubArguments(String(repeating: "y", count: 200)))))
        guard case .message(.close(let close)) = try await victim.nextEvent() else {
            throw TestFailure("expected a Close message")
        }
        #expect(close == CloseMessage(error: "Connection closed with an error.", allowReconnect: false))
        guard case .closed(normal: false) = try await victim.nextEvent() else { throw TestFailure("expected close") }
        #expect(
            try await bystander.invoke("Echo", HubArguments("still here")).result?.decode(String.self) == "still here")

        options.enableDetailedErrors = true
        let detailed = HubEndpoint(definition: TestHubs.definition(), options: options)
        let other = try await TestHubClient.connect(detailed)
        other.send(
            .invocation(InvocationMessage(target: "Echo", arguments: HubArguments(String(repeating: "y", count: 200)))))
        guard case .message(.close(let detailedClose)) = try await other.nextEvent() else {
            throw TestFailure("expected a Close message")
        }
        #expect(
            detailedClose.error
                == "Connection closed with an error. InvalidDataException: The maximum message size of 100B was exceeded. The message size can be configured in AddHubOptions."
        )
    }

    @Test("a client that stops reading is cut off at the outbound limit; the others keep receiving")
    func slowConsumer() async throws {
        var options = HubOptions.forTests
        options.maximumOutboundBufferedBytes = 4096
        let metrics = TestMetrics()
        let endpoint = HubEndpoint(definition: TestHubs.definition(), options: options, metricsFactory: metrics)
        let slow = try await TestHubClient.connect(endpoint)
        let fast = try await TestHubClient.connect(endpoint)
        try await slow.eventLoop.submit { slow.transport.isWritable = false }.get()
        let text = String(repeating: "z", count: 500)
        for _ in 0..<20 { try await endpoint.context.clients.all.send("Got", text) }
        for _ in 0..<20 { #expect(try await fast.nextText("Got") == text) }
        var received = 0
        loop: while true {
            switch try await slow.nextEvent() {
            case .message(.invocation): received += 1
            case .message(.ping): continue  // a stalled test can outlast the keep-alive interval
            case .closed(normal: false): break loop
            case let other: Issue.record("unexpected \(other)")
            }
        }
        #expect(received < 20)
        let counter = try metrics.expectCounter(
            "switchboard_hub_slow_consumer_disconnects", [("hub", "Tests.TestHub")])
        #expect(counter.totalValue == 1)
    }

    @Test("filters wrap invocations and connection hooks, in order; a filter can refuse a call")
    func filters() async throws {
        final class Log: Sendable {
            let lines = Mutex<[String]>([])
            func add(_ line: String) { lines.withLock { $0.append(line) } }
        }
        struct Recorder: HubFilter {
            let name: String
            let log: Log
            func invoke(
                _ invocation: HubInvocationContext, next: @Sendable (HubInvocationContext) async throws -> HubValue?
            ) async throws -> HubValue? {
                log.add("\(name)>\(invocation.methodName)")
                if invocation.methodName == "Add", try invocation.arguments.decode(Int.self, at: 0) < 0 {
                    throw HubError.unauthorized
                }
                defer { log.add("\(name)<\(invocation.methodName)") }
                return try await next(invocation)
            }
            func onConnected(
                _ context: HubCallerContext, next: @Sendable (HubCallerContext) async throws -> Void
            )
                async throws
            {
                log.add("\(name) connected")
                try await next(context)
            }
            func onDisconnected(
                _ context: HubCallerContext, error: (any Error)?,
                next: @Sendable (HubCallerContext, (any Error)?) async throws -> Void
            ) async throws {
                log.add("\(name) disconnected")
                try await next(context, error)
            }
        }
        let log = Log()
        var hub = TestHubs.definition()
        hub.addFilter(Recorder(name: "outer", log: log))
        hub.addFilter(Recorder(name: "inner", log: log))
        hub.onConnected { _ in log.add("hub connected") }
        hub.onDisconnected { _, _ in log.add("hub disconnected") }
        let endpoint = HubEndpoint(definition: hub, options: .forTests)
        let client = try await TestHubClient.connect(endpoint)
        #expect(log.lines.withLock { $0 } == ["outer connected", "inner connected", "hub connected"])
        log.lines.withLock { $0.removeAll() }
        #expect(try await client.invoke("Add", HubArguments(1, 2)).result?.decode(Int.self) == 3)
        #expect(log.lines.withLock { $0 } == ["outer>Add", "inner>Add", "inner<Add", "outer<Add"])
        #expect(
            try await client.invoke("Add", HubArguments(-1, 2)).error
                == "Failed to invoke 'Add' because user is unauthorized")
        log.lines.withLock { $0.removeAll() }
        client.eventLoop.execute { client.session.transportClosed() }
        try await waitUntil { log.lines.withLock { $0.count } == 3 }
        #expect(log.lines.withLock { $0 } == ["outer disconnected", "inner disconnected", "hub disconnected"])
    }

    @Test("onConnected that throws closes the connection with an error")
    func failingOnConnected() async throws {
        var hub = TestHubs.definition()
        hub.onConnected { _ in throw HubError("go away") }
        let endpoint = HubEndpoint(definition: hub, options: .forTests)
        let client = try await TestHubClient.open(endpoint)
        var handshake = ByteBuffer()
        HandshakeRequest(protocolName: "json", version: 1).write(into: &handshake)
        client.sendBytes(handshake)
        guard case .handshake(let response) = try await client.nextEvent() else { throw TestFailure("no handshake") }
        #expect(response.error == nil)
        guard case .message(.close(let close)) = try await client.nextEvent() else { throw TestFailure("no close") }
        #expect(close.error == "Connection closed with an error. HubException: go away")
    }

    @Test("invocations read while onConnected is failing are dropped, and onDisconnected does not run")
    func failingOnConnectedDropsQueuedInvocations() async throws {
        let gate = Gate()
        let ran = Mutex(0)
        let disconnected = Mutex(false)
        var hub = HubDefinition(name: "Failing")
        hub.onConnected { _ in
            await gate.wait()
            throw HubError("go away")
        }
        hub.onDisconnected { _, _ in disconnected.withLock { $0 = true } }
        hub.on("Count") { (_: HubCallerContext) in ran.withLock { $0 += 1 } }
        let manager = InMemoryHubLifetimeManager()
        let endpoint = HubEndpoint(definition: hub, options: .forTests, lifetimeManager: manager)
        let client = try await TestHubClient.open(endpoint)
        var handshake = ByteBuffer()
        HandshakeRequest(protocolName: "json", version: 1).write(into: &handshake)
        client.sendBytes(handshake)
        guard case .handshake = try await client.nextEvent() else { throw TestFailure("no handshake") }
        client.send(.invocation(InvocationMessage(invocationId: "1", target: "Count")))
        client.send(.invocation(InvocationMessage(target: "Count")))
        // Both are queued once the loop has run what was sent before this.
        try await client.eventLoop.submit {}.get()
        gate.open()
        guard case .message(.close(let close)) = try await client.nextEvent() else { throw TestFailure("no close") }
        #expect(close.error == "Connection closed with an error. HubException: go away")
        try await waitUntil { manager.connectionCount == 0 }
        #expect(ran.withLock { $0 } == 0)
        #expect(!disconnected.withLock { $0 })
        #expect(!client.drain().contains { if case .message(.completion) = $0 { true } else { false } })
    }

    @Test(
        "endpoint shutdown sends every connection a Close without an error, allowing a reconnect",
        arguments: [true, false])
    func shutdown(allowReconnect: Bool) async throws {
        let endpoint = HubEndpoint(definition: TestHubs.definition(), options: .forTests)
        let clients = [try await TestHubClient.connect(endpoint), try await TestHubClient.connect(endpoint)]
        await endpoint.shutdown(allowReconnect: allowReconnect)
        for client in clients {
            guard case .message(.close(let close)) = try await client.nextEvent() else { throw TestFailure("no close") }
            #expect(close == CloseMessage(allowReconnect: allowReconnect))
            guard case .closed(normal: true) = try await client.nextEvent() else { throw TestFailure("not closed") }
        }
    }
}
