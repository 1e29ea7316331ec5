import HubBackplane
import HubProtocol
import Hubs
import Testing
import TestSupport

/// What a hub context does to connections on another node: group changes with the owner's ack,
/// and client results through the return channel.
@Suite("Redis backplane: groups and client results across nodes", .serialized)
struct BackplaneContextTests {
    @Test(
        "a hub context adds and removes a connection on another node, after its owner's ack",
        arguments: TestServerKind.allCases)
    func remoteGroupChanges(_ kind: TestServerKind) async throws {
        try await TestSupport.TestServer.withServer(kind) { server in
            try await BackplaneTestNode.withNodes(
                redisPort: server.port, configure: { $0.groupAckTimeout = .seconds(5) }
            ) {
                nodes in
                let a = try await nodes[0].connect()
                let b = try await nodes[1].connect()
                // b lives on node 1; node 0's context asks for it. The add returns after the ack, so
                // the send that follows reaches b.
                try await nodes[0].context.groups.add(b.id, to: "remote")
                #expect(await nodes[1].manager.localGroupMembers("remote") == [b.id])
                try await nodes[0].context.clients.group("remote").send("Receive", "via remote add")
                try await a.call("ToGroup", "remote", "from a")
                try await expectDelivered(
                    [(a, []), (b, ["via remote add", "from a"])], markerFrom: a)

                try await nodes[0].context.groups.remove(b.id, from: "remote")
                #expect(await nodes[1].manager.localGroupMembers("remote").isEmpty)
                try await a.call("ToGroup", "remote", "nobody")
                try await expectDelivered([(a, []), (b, [])], markerFrom: a)

                // No node owns the connection: no ack comes, and the caller gets an error after
                // the (shortened) ack timeout.
                await #expect {
                    try await nodes[0].context.groups.add("no-such-connection", to: "remote")
                } throws: { error in
                    let error = error as? HubError
                    return error?.code == .deliveryFailed && error?.message.contains("no-such-connection") == true
                }
                await a.disconnect()
                await b.disconnect()
            }
        }
    }

    @Test(
        "a client result from a connection on another node, in JSON and MessagePack", arguments: TestServerKind.allCases
    )
    func remoteClientResults(_ kind: TestServerKind) async throws {
        try await TestSupport.TestServer.withServer(kind) { server in
            try await BackplaneTestNode.withNodes(redisPort: server.port) { nodes in
                let json = try await nodes[1].connect()
                let messagePack = try await nodes[1].connect(protocolName: "messagepack")
                for peer in [json, messagePack] {
                    let context = nodes[0].context
                    let id = peer.id
                    async let answer = context.clients.client(id).invoke("GetAnswer", "question", returning: Int.self)
                    let invocation = try await Self.nextInvocation(peer)
                    #expect(invocation.target == "GetAnswer")
                    #expect(try invocation.arguments.decode(String.self, at: 0) == "question")
                    // ASP.NET Core's Redis manager: a GUID's 16 bytes in base64, padding cut.
                    #expect(invocation.invocationId?.count == 22)
                    try await peer.write(
                        .completion(
                            CompletionMessage(invocationId: invocation.invocationId!, outcome: .result(HubValue(42)))))
                    #expect(try await answer == 42)

                    let refused = Task { try await context.clients.client(id).invoke("GetAnswer", returning: Int.self) }
                    let second = try await Self.nextInvocation(peer)
                    try await peer.write(
                        .completion(CompletionMessage(invocationId: second.invocationId!, outcome: .error("no answer")))
                    )
                    await #expect {
                        try await refused.value
                    } throws: { error in
                        (error as? HubError)?.message == "no answer"
                    }
                }

                // A connection no node has: PUBLISH reaches nobody, so it fails at once.
                await #expect {
                    try await nodes[0].context.clients.client("no-such-connection").invoke(
                        "GetAnswer", returning: Int.self)
                } throws: { error in
                    let error = error as? HubError
                    return error?.code == .connectionNotFound
                        && error?.message == "Connection 'no-such-connection' does not exist."
                }

                // The client leaves before answering: its node answers for it.
                let context = nodes[0].context
                let jsonId = json.id
                let abandoned = Task {
                    try await context.clients.client(jsonId).invoke("GetAnswer", returning: Int.self)
                }
                _ = try await Self.nextInvocation(json)
                await json.disconnect()
                await #expect {
                    try await abandoned.value
                } throws: { error in
                    (error as? HubError)?.message == "Connection disconnected."
                }
                await messagePack.disconnect()
            }
        }
    }

    static func nextInvocation(_ peer: BackplanePeer) async throws -> InvocationMessage {
        let message = try await peer.next()
        guard case .invocation(let invocation) = message else {
            throw TestSupportError("expected an invocation, got \(message)")
        }
        return invocation
    }
}
