import HubBackplane
import HubProtocol
import Hubs
import MetricsTestKit
import NIOCore
import RedisClient
import Testing
import TestSupport

/// What a node publishes, seen by a raw subscriber: the layouts and worked examples of
/// signalr-protocol.md §g, produced by real sends.
@Suite("Redis backplane: bytes on the wire", .serialized)
struct BackplaneWireTests {
    /// Example 3: `Clients.AllExcept(["connA"]).SendAsync("Send", "hello")` for `MyApp.ChatHub`.
    static let example3: [UInt8] =
        [0x92, 0x91, 0xa5] + Array("connA".utf8) + [0x82, 0xa4] + Array("json".utf8) + [0xc4, 0x31]
        + Array(#"{"type":1,"target":"Send","arguments":["hello"]}"#.utf8) + [0x1e, 0xab]
        + Array("messagepack".utf8) + [0xc4, 0x12, 0x11, 0x96, 0x01, 0x80, 0xc0, 0xa4] + Array("Send".utf8)
        + [0x91, 0xa5] + Array("hello".utf8) + [0x90]

    static func str(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        if bytes.count < 32 { return [0xa0 | UInt8(bytes.count)] + bytes }
        return [0xd9, UInt8(bytes.count)] + bytes
    }

    @Test("sends, group commands, acks and client results are §g's bytes", arguments: TestServerKind.allCases)
    func publishedBytes(_ kind: TestServerKind) async throws {
        try await TestSupport.TestServer.withServer(kind) { server in
            try await BackplaneTestNode.withNodes(redisPort: server.port, hubName: "MyApp.ChatHub") { nodes in
                let sender = nodes[0].manager
                let channels = sender.channels
                let peer = try await nodes[1].connect()
                let watcher = RedisSubscriber(
                    configuration: try RedisClientConfiguration("redis://127.0.0.1:\(server.port)"))
                let watched = [
                    channels.all, channels.internalGroups, channels.ack(server: sender.serverName),
                    channels.returnResults(server: sender.serverName), channels.connection(peer.id),
                ]
                let messages = try await watcher.messages(.channel, watched)
                var iterator = messages.makeAsyncIterator()
                func next() async throws -> (String, [UInt8]) {
                    guard let message = await iterator.next() else { throw TestSupportError("the watcher ended") }
                    return (String(buffer: message.channel), Array(message.payload.readableBytesView))
                }

                try await nodes[0].context.clients.allExcept(["connA"]).send("Send", "hello")
                var (channel, payload) = try await next()
                #expect(channel == "MyApp.ChatHub:all")
                #expect(payload.count == 97)
                #expect(payload == Self.example3)
                _ = try await peer.next()  // the peer got it too

                try await nodes[0].context.clients.all.send("Send", "hello")
                (channel, payload) = try await next()
                #expect(payload == [0x92, 0x90] + Self.example3[8...])
                _ = try await peer.next()

                // A group add for a connection on node 1: the command, then node 1's ack.
                try await nodes[0].context.groups.add(peer.id, to: "room")
                (channel, payload) = try await next()
                #expect(channel == "MyApp.ChatHub:internal:groups")
                let command: [UInt8] =
                    [0x95, 0x01] + Self.str(sender.serverName) + [0x01] + Self.str("room") + Self.str(peer.id)
                #expect(payload == command)
                #expect(sender.serverName.utf8.count >= 34)
                (channel, payload) = try await next()
                #expect(channel == "MyApp.ChatHub:internal:ack:\(sender.serverName)")
                #expect(payload == [0x91, 0x01])

                // A client result: the 4-item invocation to the connection, and its answer back.
                async let answer = nodes[0].context.clients.client(peer.id).invoke("Ask", returning: Int.self)
                let invocation = try await BackplaneContextTests.nextInvocation(peer)
                let invocationId = try #require(invocation.invocationId)
                (channel, payload) = try await next()
                #expect(channel == "MyApp.ChatHub:connection:\(peer.id)")
                let json =
                    Array(#"{"type":1,"invocationId":"\#(invocationId)","target":"Ask","arguments":[]}"#.utf8) + [0x1e]
                let messagePackBody: [UInt8] =
                    [0x96, 0x01, 0x80] + Self.str(invocationId) + Self.str("Ask") + [0x90, 0x90]
                let expectedRequest: [UInt8] =
                    [0x94, 0x90, 0x82] + Self.str("json") + [0xc4, UInt8(json.count)] + json
                    + Self.str("messagepack") + [0xc4, UInt8(messagePackBody.count + 1), UInt8(messagePackBody.count)]
                    + messagePackBody + Self.str(invocationId)
                    + Self.str(channels.returnResults(server: sender.serverName))
                #expect(payload == expectedRequest)
                try await peer.write(
                    .completion(CompletionMessage(invocationId: invocationId, outcome: .result(HubValue(42)))))
                #expect(try await answer == 42)
                (channel, payload) = try await next()
                #expect(channel == "MyApp.ChatHub:internal:return:\(sender.serverName)")
                let completion = Array(#"{"type":3,"invocationId":"\#(invocationId)","result":42}"#.utf8) + [0x1e]
                #expect(payload == [0x92] + Self.str("json") + [0xc4, UInt8(completion.count)] + completion)

                await watcher.close()
                await peer.disconnect()
            }
        }
    }

    @Test(
        "a message without a connection's protocol is dropped for it and counted; others get it",
        arguments: TestServerKind.allCases)
    func missingProtocolIsDroppedAndCounted(_ kind: TestServerKind) async throws {
        try await TestSupport.TestServer.withServer(kind) { server in
            let metrics = TestMetrics()
            try await BackplaneTestNode.withNodes(1, redisPort: server.port, metricsFactory: metrics) { nodes in
                let json = try await nodes[0].connect()
                let messagePack = try await nodes[0].connect(protocolName: "messagepack")
                // What a node offering JSON only (an ASP.NET Core server without
                // AddMessagePackProtocol) publishes.
                let framed = try JSONHubProtocol().serialize(
                    .invocation(InvocationMessage(target: "Receive", arguments: [HubValue("json only")])))
                let payload = BackplaneInvocation(serializations: [("json", framed)]).payload
                let publisher = RedisClient(
                    configuration: try RedisClientConfiguration("redis://127.0.0.1:\(server.port)"))
                try await publisher.connect()
                #expect(try await publisher.publish("TestHub:all", .buffer(payload)) == 1)
                await publisher.close()
                try await expectDelivered(
                    [(json, ["json only"]), (messagePack, [])], markerFrom: json)
                let dropped = try metrics.expectCounter(
                    "switchboard_hub_messages_dropped", [("hub", "TestHub"), ("reason", "serialization")])
                #expect(dropped.totalValue == 1)
                await json.disconnect()
                await messagePack.disconnect()
            }
        }
    }
}
