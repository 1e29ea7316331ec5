import HubProtocol
import Hubs
import LearningHub
import NIOCore
import Testing

@Suite("LearningHub contract (in process)")
struct LearningHubTests {
    let endpoint = HubEndpoint(definition: LearningHub.definition(jobDelay: .milliseconds(5)), options: .forTests)

    func standard(_ client: TestHubClient, _ text: String) -> String {
        "User connection id: \(client.connectionId). Message: \(text)"
    }

    @Test("broadcast, others, individual and the caller's refusal")
    func sends() async throws {
        let a = try await TestHubClient.connect(endpoint)
        let b = try await TestHubClient.connect(endpoint)
        #expect(try await a.invoke("BroadcastMessage", HubArguments("hi")).error == nil)
        #expect(try await a.nextText() == standard(a, "hi"))
        #expect(try await b.nextText() == standard(a, "hi"))

        #expect(try await a.invoke("SendToOthers", HubArguments("psst")).error == nil)
        #expect(try await b.nextText() == standard(a, "psst"))

        #expect(try await b.invoke("SendToIndividual", HubArguments(a.connectionId, "just you")).error == nil)
        #expect(try await a.nextText() == standard(b, "just you"))
        #expect(try await b.invoke("SendToIndividual", HubArguments("nobody", "lost")).error == nil)

        #expect(
            try await a.invoke("SendToCaller", HubArguments("me")).error
                == "An unexpected error occurred invoking 'SendToCaller' on the server.")
        // Nothing else arrived: the next message anyone gets is this broadcast.
        #expect(try await b.invoke("broadcastmessage", HubArguments("end")).error == nil)
        #expect(try await a.nextText() == standard(b, "end"))
        #expect(try await b.nextText() == standard(b, "end"))
    }

    @Test("SendToCaller's detailed error names the book's Exception")
    func detailedSendToCaller() async throws {
        var options = HubOptions.forTests
        options.enableDetailedErrors = true
        let endpoint = HubEndpoint(definition: LearningHub.definition(), options: options)
        let a = try await TestHubClient.connect(endpoint)
        #expect(
            try await a.invoke("SendToCaller", HubArguments("me")).error
                == "An unexpected error occurred invoking 'SendToCaller' on the server. Exception: You cannot send messages to yourself."
        )
    }

    @Test("groups: HubUsers by default, join and leave notices, group sends")
    func groups() async throws {
        let a = try await TestHubClient.connect(endpoint)
        let b = try await TestHubClient.connect(endpoint)
        let c = try await TestHubClient.connect(endpoint)
        #expect(try await c.invoke("SendToGroup", HubArguments("HubUsers", "everyone")).error == nil)
        for client in [a, b, c] { #expect(try await client.nextText() == standard(c, "everyone")) }

        #expect(try await a.invoke("AddUserToGroup", HubArguments("Room")).error == nil)
        #expect(try await a.nextText() == "Current user added to Room group")
        #expect(try await b.nextText() == "User \(a.connectionId) added to Room group")
        #expect(try await c.nextText() == "User \(a.connectionId) added to Room group")

        // A non-member may send; only members receive.
        #expect(try await b.invoke("SendToGroup", HubArguments("Room", "knock")).error == nil)
        #expect(try await a.nextText() == standard(b, "knock"))

        #expect(try await a.invoke("RemoveUserFromGroup", HubArguments("Room")).error == nil)
        #expect(try await a.nextText() == "Current user removed from Room group")
        #expect(try await b.nextText() == "User \(a.connectionId) removed from Room group")
        #expect(try await c.nextText() == "User \(a.connectionId) removed from Room group")
        #expect(try await b.invoke("SendToGroup", HubArguments("Room", "empty")).error == nil)
        #expect(try await b.invoke("BroadcastMessage", HubArguments("after")).error == nil)
        #expect(try await a.nextText() == standard(b, "after"))
    }

    @Test("BroadcastStream answers each uploaded item to the caller only")
    func broadcastStream() async throws {
        let a = try await TestHubClient.connect(endpoint)
        let b = try await TestHubClient.connect(endpoint)
        a.send(.invocation(InvocationMessage(target: "BroadcastStream", streamIds: ["1"])))
        for part in ["one", "two", "three"] {
            a.send(.streamItem(StreamItemMessage(invocationId: "1", item: HubValue(part))))
        }
        a.send(.completion(CompletionMessage(invocationId: "1")))
        for part in ["one", "two", "three"] { #expect(try await a.nextText() == "Server received \(part)") }
        #expect(try await a.invoke("BroadcastMessage", HubArguments("x")).error == nil)
        #expect(try await b.nextText() == standard(a, "x"))
    }

    @Test("TriggerStream streams the book's job texts and can be cancelled")
    func triggerStream() async throws {
        let a = try await TestHubClient.connect(endpoint, hubProtocol: MessagePackHubProtocol())
        a.send(
            .streamInvocation(
                StreamInvocationMessage(invocationId: "t", target: "TriggerStream", arguments: HubArguments(3))))
        var items: [String] = []
        while true {
            let message = try await a.nextMessage()
            if case .streamItem(let item) = message { items.append(try item.item.decode(String.self)) }
            if case .completion(let completion) = message {
                #expect(completion.error == nil)
                break
            }
        }
        #expect(items == ["Job 0 executed succesfully", "Job 1 executed succesfully", "Job 2 executed succesfully"])

        let slow = HubEndpoint(definition: LearningHub.definition(jobDelay: .seconds(60)), options: .forTests)
        let b = try await TestHubClient.connect(slow)
        b.send(
            .streamInvocation(
                StreamInvocationMessage(invocationId: "t", target: "TriggerStream", arguments: HubArguments(5))))
        guard case .streamItem = try await b.nextMessage() else { throw TestFailure("expected an item") }
        b.send(.cancelInvocation(CancelInvocationMessage(invocationId: "t")))
        #expect(try await b.completion("t").error == nil)
    }

    @Test("the hub context's index-page message reaches every client")
    func indexMessage() async throws {
        let a = try await TestHubClient.connect(endpoint)
        let b = try await TestHubClient.connect(endpoint, hubProtocol: MessagePackHubProtocol())
        try await endpoint.context.clients.all.send(LearningHub.clientMethod, LearningHub.indexPageMessage)
        #expect(try await a.nextText() == "Index page has been opened by a client.")
        #expect(try await b.nextText() == "Index page has been opened by a client.")
    }
}
