import HubProtocol
import Hubs
import NIOCore
import Testing

@Suite("Hub invocations")
struct HubInvocationTests {
    let endpoint = HubEndpoint(definition: TestHubs.definition(), options: .forTests)

    func error(_ completion: CompletionMessage) -> String? { completion.error }

    @Test("typed arguments are bound and results returned, in JSON and MessagePack")
    func results() async throws {
        for hubProtocol in [JSONHubProtocol(), MessagePackHubProtocol()] as [any HubProtocol] {
            let client = try await TestHubClient.connect(endpoint, hubProtocol: hubProtocol)
            #expect(try await client.invoke("Add", HubArguments(2, 40)).result?.decode(Int.self) == 42)
            #expect(try await client.invoke("echo", HubArguments("hé")).result?.decode(String.self) == "hé")
            let mirrored = try await client.invoke("Mirror", HubArguments(TestHubs.Point(x: 1, y: 2)))
            #expect(try mirrored.result?.decode(TestHubs.Point.self) == TestHubs.Point(x: 2, y: 1))
            let nothing = try await client.invoke("NOTHING")
            guard case .void = nothing.outcome else {
                Issue.record("expected a void completion, got \(nothing.outcome)")
                return
            }
        }
    }

    @Test("binding errors use ASP.NET Core's texts, with details only when enabled")
    func bindingErrors() async throws {
        let client = try await TestHubClient.connect(endpoint)
        #expect(
            try await client.invoke("Missing").error
                == "Failed to invoke 'Missing' due to an error on the server. HubException: Method does not exist.")
        #expect(
            try await client.invoke("Add", HubArguments(1)).error
                == "Failed to invoke 'Add' due to an error on the server.")
        #expect(
            try await client.invoke("Add", HubArguments("x", 1)).error
                == "Failed to invoke 'Add' due to an error on the server.")

        var options = HubOptions.forTests
        options.enableDetailedErrors = true
        let detailed = HubEndpoint(definition: TestHubs.definition(), options: options)
        let other = try await TestHubClient.connect(detailed)
        #expect(
            try await other.invoke("Add", HubArguments(1)).error
                == "Failed to invoke 'Add' due to an error on the server. InvalidDataException: Invocation provides 1 argument(s) but target expects 2."
        )
        #expect(
            try await other.invoke("Add", HubArguments("x", 1)).error
                == "Failed to invoke 'Add' due to an error on the server. InvalidDataException: Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked."
        )
        #expect(
            try await other.invoke("Fails").error
                == "An unexpected error occurred invoking 'Fails' on the server. Boom: kaboom")
    }

    @Test("a thrown HubError reaches the client; other errors only with detailed errors")
    func methodErrors() async throws {
        let client = try await TestHubClient.connect(endpoint)
        #expect(
            try await client.invoke("HubFails").error
                == "An unexpected error occurred invoking 'HubFails' on the server. HubException: not today")
        #expect(
            try await client.invoke("Fails").error == "An unexpected error occurred invoking 'Fails' on the server.")
    }

    @Test("a non-blocking invocation gets no reply, not even an error")
    func nonBlocking() async throws {
        let client = try await TestHubClient.connect(endpoint)
        client.send(.invocation(InvocationMessage(target: "Fails")))
        client.send(.invocation(InvocationMessage(target: "Missing")))
        client.send(.invocation(InvocationMessage(target: "Add", arguments: HubArguments(1, 2))))
        // Invocations run in order: once this one completes, the three before it have run.
        #expect(try await client.invoke("Echo", HubArguments("done")).result?.decode(String.self) == "done")
        #expect(client.drain().isEmpty)
    }

    @Test("wrong invocation kinds are refused with ASP.NET Core's texts")
    func invocationKinds() async throws {
        let client = try await TestHubClient.connect(endpoint)
        #expect(
            try await client.invoke("Count", HubArguments(1)).error
                == "The client attempted to invoke the streaming 'Count' method with a non-streaming invocation.")
        client.send(
            .streamInvocation(StreamInvocationMessage(invocationId: "s1", target: "Echo", arguments: HubArguments("x")))
        )
        #expect(
            try await client.completion("s1").error
                == "The client attempted to invoke the non-streaming 'Echo' method with a streaming invocation.")
    }
}
