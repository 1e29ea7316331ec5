import HubProtocol
import Hubs
import NIOCore
import Testing

@Suite("Client results")
struct HubClientResultTests {
    let endpoint = HubEndpoint(definition: TestHubs.definition(), options: .forTests)

    /// Starts `AskCaller`, answers the server's invocation with `outcome`, returns the completion.
    func ask(_ outcome: CompletionMessage.Outcome) async throws -> CompletionMessage {
        let client = try await TestHubClient.connect(endpoint)
        client.send(
            .invocation(InvocationMessage(invocationId: "ask", target: "AskCaller", arguments: HubArguments("q?"))))
        guard case .invocation(let question) = try await client.nextMessage(), let id = question.invocationId else {
            throw TestFailure("expected a blocking invocation from the server")
        }
        #expect(question.target == "Answer")
        #expect(try question.arguments.decode(String.self, at: 0) == "q?")
        client.send(.completion(CompletionMessage(invocationId: id, outcome: outcome)))
        return try await client.completion("ask")
    }

    @Test("the server invokes a client method and gets its value")
    func value() async throws {
        let completion = try await ask(.result(HubValue("forty-two")))
        #expect(try completion.result?.decode(String.self) == "forty-two")
    }

    @Test("a client's error reaches the waiting code")
    func clientError() async throws {
        let completion = try await ask(.error("Client didn't provide a result."))
        // ASP.NET Core raises the client's error as a HubException, so its text reaches the caller.
        #expect(
            completion.error
                == "An unexpected error occurred invoking 'AskCaller' on the server. HubException: Client didn't provide a result."
        )
    }

    @Test("a client result times out")
    func timeout() async throws {
        var options = HubOptions.forTests
        options.enableDetailedErrors = true
        let endpoint = HubEndpoint(definition: TestHubs.definition(), options: options)
        let client = try await TestHubClient.connect(endpoint)
        let completion = try await client.invoke("AskCallerBriefly")
        let error = try #require(completion.error)
        #expect(error.hasPrefix("An unexpected error occurred invoking 'AskCallerBriefly' on the server. HubError: "))
        #expect(error.contains("did not arrive within"))
    }

    @Test("cancelling the waiting task ends the wait with CancellationError")
    func cancellation() async throws {
        let client = try await TestHubClient.connect(endpoint)
        let context = endpoint.context
        let id = client.connectionId
        let waiting = Task { try await context.clients.client(id).invoke("Answer", returning: Int.self) }
        guard case .invocation = try await client.nextMessage() else { throw TestFailure("expected an invocation") }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }

    @Test("the hub context awaits a client result, and a disconnect fails it")
    func fromContextAndDisconnect() async throws {
        let client = try await TestHubClient.connect(endpoint)
        let context = endpoint.context
        let id = client.connectionId
        async let answer = context.clients.client(id).invoke("Answer", 1, returning: Int.self)
        guard case .invocation(let question) = try await client.nextMessage(), let invocationId = question.invocationId
        else {
            throw TestFailure("expected a blocking invocation")
        }
        client.send(.completion(CompletionMessage(invocationId: invocationId, outcome: .result(HubValue(2)))))
        #expect(try await answer == 2)

        let lost = Task { try await context.clients.client(id).invoke("Answer", returning: Int.self) }
        guard case .invocation = try await client.nextMessage() else { throw TestFailure("expected an invocation") }
        client.eventLoop.execute { client.session.transportClosed() }
        await #expect(throws: HubError.self) { try await lost.value }
        await #expect(throws: HubError.self) {
            try await context.clients.client("unknown").invoke("Answer", returning: Int.self)
        }
    }
}
