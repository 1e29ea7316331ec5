import HubProtocol
import Hubs
import NIOCore
import Testing

/// Cases a review of the first version found: each hung or leaked before its fix.
@Suite("Hub regressions")
struct HubRegressionTests {
    @Test("a client that leaves while its own method awaits its client result does not hang the cleanup")
    func clientResultOfLeavingCaller() async throws {
        let manager = InMemoryHubLifetimeManager()
        let endpoint = HubEndpoint(definition: TestHubs.definition(), options: .forTests, lifetimeManager: manager)
        let client = try await TestHubClient.connect(endpoint)
        client.send(
            .invocation(InvocationMessage(invocationId: "ask", target: "AskCaller", arguments: HubArguments("q"))))
        guard case .invocation = try await client.nextMessage() else { throw TestFailure("expected the question") }
        client.eventLoop.execute { client.session.transportClosed() }
        try await waitUntil { manager.connectionCount == 0 }
    }

    @Test("a CancelInvocation that overtakes its queued StreamInvocation still cancels it")
    func cancelBeforeDispatch() async throws {
        var hub = TestHubs.definition()
        let gate = AsyncStream<Void>.makeStream()
        hub.on("Wait") { (_: HubCallerContext) in
            var iterator = gate.stream.makeAsyncIterator()
            await iterator.next()
        }
        let endpoint = HubEndpoint(definition: hub, options: .forTests)
        let client = try await TestHubClient.connect(endpoint)
        // "Wait" holds the queue, so the stream invocation is still queued when the cancel arrives.
        client.send(.invocation(InvocationMessage(invocationId: "w", target: "Wait")))
        client.send(.streamInvocation(StreamInvocationMessage(invocationId: "f", target: "Forever")))
        client.send(.cancelInvocation(CancelInvocationMessage(invocationId: "f")))
        gate.continuation.yield()
        let completion = try await client.completion("f")
        #expect(completion.error == nil)
        // No item was sent: the stream never ran.
        #expect(!client.drain().contains { if case .message(.streamItem) = $0 { true } else { false } })
    }

    @Test("a method that stops reading a full upload buffer does not leave the connection paused")
    func abandonedUpload() async throws {
        var options = HubOptions.forTests
        options.streamBufferCapacity = 1
        var hub = HubDefinition(name: "Abandon")
        hub.on("First") { (_: HubCallerContext, items: HubStream<Int>) in
            for try await item in items { return item }
            return -1
        }
        hub.on("Echo") { (_: HubCallerContext, text: String) in text }
        let endpoint = HubEndpoint(definition: hub, options: options)
        let client = try await TestHubClient.connect(endpoint)
        client.send(.invocation(InvocationMessage(invocationId: "f", target: "First", streamIds: ["s"])))
        for n in 1...3 { client.send(.streamItem(StreamItemMessage(invocationId: "s", item: HubValue(n)))) }
        #expect(try await client.completion("f").result?.decode(Int.self) == 1)
        var reading = client.transport.reading
        for event in client.drain() { if case .reading(let enabled) = event { reading = enabled } }
        if !reading {
            guard case .reading(true) = try await client.nextEvent() else { throw TestFailure("reading stayed paused") }
        }
        #expect(try await client.invoke("Echo", HubArguments("alive")).result?.decode(String.self) == "alive")
    }

    @Test("a closed connection's session is released")
    func sessionReleased() async throws {
        let manager = InMemoryHubLifetimeManager()
        let endpoint = HubEndpoint(definition: TestHubs.definition(), options: .forTests, lifetimeManager: manager)
        final class WeakBox: @unchecked Sendable {
            // @unchecked: written once before the waits that read it.
            weak var session: HubConnectionSession?
        }
        let box = WeakBox()
        do {
            let client = try await TestHubClient.connect(endpoint)
            box.session = client.session
            client.eventLoop.execute { client.session.transportClosed() }
            try await waitUntil { manager.connectionCount == 0 }
        }
        try await waitUntil { box.session == nil }
    }
}
