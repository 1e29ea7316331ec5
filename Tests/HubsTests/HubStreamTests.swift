import HubProtocol
import Hubs
import NIOCore
import Testing

@Suite("Streams in both directions")
struct HubStreamTests {
    let endpoint = HubEndpoint(definition: TestHubs.definition(), options: .forTests)

    @Test("a server-to-client stream sends its items, then a Completion")
    func serverStream() async throws {
        let client = try await TestHubClient.connect(endpoint)
        client.send(
            .streamInvocation(StreamInvocationMessage(invocationId: "s", target: "count", arguments: HubArguments(3))))
        var items: [Int] = []
        while true {
            let message = try await client.nextMessage()
            if case .streamItem(let item) = message {
                #expect(item.invocationId == "s")
                items.append(try item.item.decode(Int.self))
            } else if case .completion(let completion) = message {
                #expect(completion.invocationId == "s")
                #expect(completion.error == nil)
                break
            }
        }
        #expect(items == [1, 2, 3])
    }

    @Test("CancelInvocation stops a stream, which still completes without an error")
    func cancel() async throws {
        let client = try await TestHubClient.connect(endpoint)
        client.send(.streamInvocation(StreamInvocationMessage(invocationId: "f", target: "Forever")))
        guard case .streamItem = try await client.nextMessage() else {
            Issue.record("expected an item")
            return
        }
        client.send(.cancelInvocation(CancelInvocationMessage(invocationId: "f")))
        let completion = try await client.completion("f")
        #expect(completion.error == nil)
        // The connection still works.
        #expect(try await client.invoke("Add", HubArguments(1, 1)).result?.decode(Int.self) == 2)
    }

    @Test("a failing stream, a reused id and a stream-count mismatch get ASP.NET Core's texts")
    func streamErrors() async throws {
        let client = try await TestHubClient.connect(endpoint)
        client.send(.streamInvocation(StreamInvocationMessage(invocationId: "e", target: "StreamFails")))
        #expect(try await client.completion("e").error == "An error occurred on the server while streaming results.")

        client.send(.streamInvocation(StreamInvocationMessage(invocationId: "dup", target: "Forever")))
        guard case .streamItem = try await client.nextMessage() else {
            Issue.record("expected an item")
            return
        }
        client.send(
            .streamInvocation(StreamInvocationMessage(invocationId: "dup", target: "Count", arguments: HubArguments(1)))
        )
        #expect(try await client.completion("dup").error == "Invocation ID 'dup' is already in use.")
        client.send(.cancelInvocation(CancelInvocationMessage(invocationId: "dup")))
        #expect(try await client.completion("dup").error == nil)

        #expect(
            try await client.invoke("Sum", streamIds: []).error
                == "An unexpected error occurred invoking 'Sum' on the server. HubException: Client sent 0 stream(s), Hub method expects 1."
        )
        #expect(
            try await client.invoke("Add", HubArguments(1, 2), streamIds: ["x"]).error
                == "An unexpected error occurred invoking 'Add' on the server. HubException: Client sent 1 stream(s), Hub method expects 0."
        )
    }

    @Test("a client-to-server stream feeds the method's HubStream parameter")
    func uploadStream() async throws {
        let client = try await TestHubClient.connect(endpoint, hubProtocol: MessagePackHubProtocol())
        client.send(.invocation(InvocationMessage(invocationId: "sum", target: "Sum", streamIds: ["up"])))
        for n in 1...5 {
            client.send(.streamItem(StreamItemMessage(invocationId: "up", item: HubValue(n))))
        }
        // Items for unknown streams are dropped.
        client.send(.streamItem(StreamItemMessage(invocationId: "nope", item: HubValue(100))))
        client.send(.completion(CompletionMessage(invocationId: "up")))
        #expect(try await client.completion("sum").result?.decode(Int.self) == 15)
    }

    @Test("a stream completed with an error fails the method with the client's text")
    func uploadStreamError() async throws {
        let client = try await TestHubClient.connect(endpoint)
        client.send(.invocation(InvocationMessage(invocationId: "sum", target: "Sum", streamIds: ["up"])))
        client.send(.streamItem(StreamItemMessage(invocationId: "up", item: HubValue(1))))
        client.send(.completion(CompletionMessage(invocationId: "up", outcome: .error("client gave up"))))
        #expect(
            try await client.completion("sum").error
                == "An unexpected error occurred invoking 'Sum' on the server. HubException: client gave up")
    }

    @Test("a full upload buffer pauses reading until the method catches up")
    func backpressure() async throws {
        var options = HubOptions.forTests
        options.streamBufferCapacity = 2
        var hub = HubDefinition(name: "Slow")
        let gate = AsyncStream<Void>.makeStream()
        hub.on("Drain") { (_: HubCallerContext, items: HubStream<Int>) in
            var gateIterator = gate.stream.makeAsyncIterator()
            await gateIterator.next()
            var total = 0
            for try await n in items { total += n }
            return total
        }
        let endpoint = HubEndpoint(definition: hub, options: options)
        let client = try await TestHubClient.connect(endpoint)
        client.send(.invocation(InvocationMessage(invocationId: "d", target: "Drain", streamIds: ["s"])))
        client.send(.streamItem(StreamItemMessage(invocationId: "s", item: HubValue(1))))
        client.send(.streamItem(StreamItemMessage(invocationId: "s", item: HubValue(2))))
        guard case .reading(false) = try await client.nextEvent() else {
            Issue.record("expected reading to pause")
            return
        }
        gate.continuation.yield()
        guard case .reading(true) = try await client.nextEvent() else {
            Issue.record("expected reading to resume")
            return
        }
        client.send(.completion(CompletionMessage(invocationId: "s")))
        #expect(try await client.completion("d").result?.decode(Int.self) == 3)
    }
}
