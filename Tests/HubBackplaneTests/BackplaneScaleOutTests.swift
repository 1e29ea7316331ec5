import Foundation
import HubBackplane
import HubProtocol
import HubTestSupport
import Hubs
import NIOCore
import RedisClient
import Synchronization
import Testing
import TestSupport

/// Two hub nodes in-process, joined by the backplane on the bundled broker and on redis-server,
/// with clients over real WebSockets: every kind of send across nodes, exactly once.
@Suite("Redis backplane: sends across nodes", .serialized)
struct BackplaneScaleOutTests {
    @Test(
        "all, others, one and several connections, groups and users reach every node once",
        arguments: TestServerKind.allCases)
    func sendsAcrossNodes(_ kind: TestServerKind) async throws {
        try await TestSupport.TestServer.withServer(kind) { server in
            try await BackplaneTestNode.withNodes(redisPort: server.port) { nodes in
                let a = try await nodes[0].connect(user: "alice")
                let b = try await nodes[1].connect()
                let c = try await nodes[1].connect(user: "alice", protocolName: "messagepack")
                let everyone = [a, b, c]

                try await a.call("Broadcast", "to all")
                try await expectDelivered(everyone.map { ($0, ["to all"]) }, markerFrom: b)

                try await b.call("Others", "not b")
                try await expectDelivered([(a, ["not b"]), (b, []), (c, ["not b"])], markerFrom: a)

                try await a.call("ToConnection", c.id, "remote one")
                try await a.call("ToConnection", a.id, "local one")
                try await a.call("ToConnection", "no-such-connection", "lost")
                try await expectDelivered([(a, ["local one"]), (b, []), (c, ["remote one"])], markerFrom: a)

                try await b.call("ToConnections", [a.id, b.id], "several")
                try await expectDelivered([(a, ["several"]), (b, ["several"]), (c, [])], markerFrom: c)

                try await a.call("Join", "room")
                try await b.call("Join", "room")
                try await c.call("Join", "hall")
                try await c.call("ToGroup", "room", "to room")
                try await expectDelivered([(a, ["to room"]), (b, ["to room"]), (c, [])], markerFrom: c)

                try await a.call("ToOthersInGroup", "room", "room but a")
                try await expectDelivered([(a, []), (b, ["room but a"]), (c, [])], markerFrom: c)

                try await b.call("ToGroups", ["room", "hall", ""], "two groups")
                try await expectDelivered(
                    [(a, ["two groups"]), (b, ["two groups"]), (c, ["two groups"])], markerFrom: c)

                try await b.call("ToUser", "alice", "for alice")
                try await b.call("ToUsers", ["alice", "nobody", ""], "for users")
                try await expectDelivered(
                    [(a, ["for alice", "for users"]), (b, []), (c, ["for alice", "for users"])], markerFrom: b)

                try await a.call("Leave", "room")
                try await c.call("ToGroup", "room", "a left")
                try await expectDelivered([(a, []), (b, ["a left"]), (c, [])], markerFrom: c)

                // Through the hub context of either node, as from an HTTP handler.
                try await nodes[1].context.clients.all.send("Receive", "context all")
                try await nodes[0].context.clients.user("alice").send("Receive", "context user")
                try await nodes[0].context.clients.group("hall").send("Receive", "context group")
                try await expectDelivered(
                    [
                        (a, ["context all", "context user"]), (b, ["context all"]),
                        (c, ["context all", "context user", "context group"]),
                    ], markerFrom: b)
                for peer in everyone { await peer.disconnect() }
            }
        }
    }

    @Test("server-to-client streams stay on the caller's node", arguments: TestServerKind.allCases)
    func streamsStayLocal(_ kind: TestServerKind) async throws {
        try await TestSupport.TestServer.withServer(kind) { server in
            try await BackplaneTestNode.withNodes(redisPort: server.port) { nodes in
                let a = try await nodes[0].connect()
                let b = try await nodes[1].connect()
                try await a.write(
                    .streamInvocation(
                        StreamInvocationMessage(invocationId: "s1", target: "Count", arguments: [HubValue(3)])))
                var items: [Int] = []
                while true {
                    let message = try await a.next()
                    if case .streamItem(let item) = message {
                        items.append(try item.item.decode(Int.self))
                    } else if case .completion(let completion) = message {
                        #expect(completion.invocationId == "s1")
                        break
                    }
                }
                #expect(items == [0, 1, 2])
                try await expectDelivered([(a, []), (b, [])], markerFrom: a)
                await a.disconnect()
                await b.disconnect()
            }
        }
    }
}
