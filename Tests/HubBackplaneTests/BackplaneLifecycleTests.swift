import HubBackplane
import HubProtocol
import Hubs
import NIOCore
import RedisClient
import Testing
import TestSupport

/// Channels follow interest and nothing is left behind; an outage degrades a node without
/// stopping it, and everything comes back by itself.
@Suite("Redis backplane: subscriptions and outages", .serialized)
struct BackplaneLifecycleTests {
    static func channels(_ client: RedisClient, _ pattern: String) async throws -> Set<String> {
        guard case .array(let items) = try await client.send("PUBSUB", "CHANNELS", .string(pattern)) else {
            throw TestSupportError("PUBSUB CHANNELS did not answer an array")
        }
        return Set(
            items.compactMap { item in
                if case .bulkString(let name) = item { return String(buffer: name) }
                return nil
            })
    }

    static func numsub(_ client: RedisClient, _ channel: String) async throws -> Int {
        guard case .array(let items) = try await client.send("PUBSUB", "NUMSUB", .string(channel)),
            items.count == 2, case .integer(let count) = items[1]
        else { throw TestSupportError("PUBSUB NUMSUB did not answer [name, count]") }
        return Int(count)
    }

    @Test(
        "after many joins, leaves and disconnects no group, user or connection channel is left",
        arguments: TestServerKind.allCases)
    func noLeftoverChannels(_ kind: TestServerKind) async throws {
        try await TestSupport.TestServer.withServer(kind) { server in
            let inspector = RedisClient(configuration: try RedisClientConfiguration("redis://127.0.0.1:\(server.port)"))
            try await inspector.connect()
            defer { Task { await inspector.close() } }
            try await BackplaneTestNode.withNodes(redisPort: server.port) { nodes in
                var generator = SeededRandomNumberGenerator(seed: 7)
                var peers: [BackplanePeer] = []
                for index in 0..<24 {
                    let user = index % 3 == 0 ? "user\(index % 5)" : nil
                    peers.append(try await nodes[index % 2].connect(user: user))
                }
                // Joins and leaves racing each other on both nodes, over a few shared groups.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (index, peer) in peers.enumerated() {
                        let plan = (0..<12).map { _ in
                            (Int.random(in: 0..<6, using: &generator), Bool.random(using: &generator))
                        }
                        group.addTask {
                            for (number, join) in plan {
                                try await peer.call(join ? "Join" : "Leave", "group\(number)")
                            }
                            if index % 3 == 0 { try await peer.call("Join", "shared") }
                        }
                    }
                    try await group.waitForAll()
                }
                // One subscription per node, however many local members.
                #expect(try await Self.numsub(inspector, "TestHub:group:shared") == 2)
                #expect(try await Self.numsub(inspector, "TestHub:connection:\(peers[0].id)") == 1)

                // Half leave cleanly after leaving their groups, half just vanish.
                for (index, peer) in peers.enumerated() {
                    if index % 2 == 0 {
                        for number in 0..<6 { try await peer.call("Leave", "group\(number)") }
                    }
                    await peer.disconnect()
                }
                do {
                    try await eventually("both nodes dropped every connection's channels") {
                        nodes[0].manager.interestChannels.isEmpty && nodes[1].manager.interestChannels.isEmpty
                    }
                } catch {
                    Issue.record(
                        "still subscribed: \(nodes[0].manager.interestChannels) \(nodes[1].manager.interestChannels)")
                    throw error
                }
                var nodeChannels: Set<String> = ["TestHub:all", "TestHub:internal:groups"]
                for node in nodes {
                    nodeChannels.insert(node.manager.channels.ack(server: node.manager.serverName))
                    nodeChannels.insert(node.manager.channels.returnResults(server: node.manager.serverName))
                }
                let expected = nodeChannels
                // The nodes' unsubscribes are confirmed when their counts reach 0, but a
                // confirmation is not awaited; Redis's view may lag by a round trip.
                try await eventually("Redis shows only the node channels") {
                    try await Self.channels(inspector, "TestHub:*") == expected
                }
            }
        }
    }

    @Test("with a channel prefix every channel carries it, and nodes still meet", arguments: TestServerKind.allCases)
    func channelPrefix(_ kind: TestServerKind) async throws {
        try await TestSupport.TestServer.withServer(kind) { server in
            let inspector = RedisClient(configuration: try RedisClientConfiguration("redis://127.0.0.1:\(server.port)"))
            try await inspector.connect()
            defer { Task { await inspector.close() } }
            try await BackplaneTestNode.withNodes(redisPort: server.port, configure: { $0.channelPrefix = "prod" }) {
                nodes in
                let a = try await nodes[0].connect()
                let b = try await nodes[1].connect()
                try await a.call("Join", "g")
                try await b.call("ToGroup", "g", "prefixed")
                try await expectDelivered([(a, ["prefixed"]), (b, [])], markerFrom: b)
                let channels = try await Self.channels(inspector, "*")
                #expect(channels.contains("prodTestHub:all"))
                #expect(channels.contains("prodTestHub:group:g"))
                #expect(channels.contains("prodTestHub:connection:\(a.id)"))
                #expect(channels.allSatisfy { $0.hasPrefix("prodTestHub:") })
                await a.disconnect()
                await b.disconnect()
            }
        }
    }

    @Test(
        "a join racing the last member's leave never loses the group's subscription", arguments: TestServerKind.allCases
    )
    func joinRacingLeave(_ kind: TestServerKind) async throws {
        try await TestSupport.TestServer.withServer(kind) { server in
            try await BackplaneTestNode.withNodes(redisPort: server.port) { nodes in
                let first = try await nodes[0].connect()
                let second = try await nodes[0].connect()
                let sender = try await nodes[1].connect()
                try await first.call("Join", "race")
                for round in 0..<25 {
                    let (member, joiner) = round % 2 == 0 ? (first, second) : (second, first)
                    // The node's count for the group goes 1 → 0 → 1 or 1 → 2 → 1, in either order.
                    async let left = member.call("Leave", "race")
                    async let joined = joiner.call("Join", "race")
                    _ = try await (left, joined)
                    try await sender.call("ToGroup", "race", "round \(round)")
                    try await expectDelivered(
                        [(joiner, ["round \(round)"]), (member, []), (sender, [])], markerFrom: sender)
                }
                for peer in [first, second, sender] { await peer.disconnect() }
            }
        }
    }

    @Test(
        "Redis stops: nodes stay up, local clients keep working; it starts again: delivery resumes",
        arguments: TestServerKind.allCases)
    func survivesOutage(_ kind: TestServerKind) async throws {
        guard kind.isAvailable else { return }
        let first = try await TestSupport.TestServer.start(kind)
        let port = first.port
        try await BackplaneTestNode.withNodes(redisPort: port) { nodes in
            let a = try await nodes[0].connect()
            let b = try await nodes[1].connect()
            try await a.call("Join", "g")
            try await expectDelivered([(a, []), (b, [])], markerFrom: b)
            #expect(nodes[0].manager.isConnected)

            await first.kill()
            try await waitUntil("node 0 sees Redis gone", nodes[0].manager, connected: false)
            // The sender's own node still gets the broadcast; the call reports the failure.
            await #expect(throws: (any Error).self) { try await a.call("Broadcast", "local only") }
            #expect(try await a.nextReceived() == "local only")
            // New clients are accepted, and sends to one local connection need no Redis.
            let late = try await nodes[0].connect()
            try await late.call("ToConnection", a.id, "direct")
            #expect(try await a.nextReceived() == "direct")
            await #expect {
                try await nodes[0].context.clients.all.send("Receive", "x")
            } throws: { error in
                (error as? HubError)?.code == .deliveryFailed
            }
            #expect(try await a.nextReceived() == "x")
            #expect(try await late.nextReceived() == "x")

            let second = try await TestSupport.TestServer.start(kind, port: port)
            for node in nodes {
                try await waitUntil("both nodes reconnect and resubscribe", node.manager, connected: true)
            }
            // Every channel came back: all, the connections' (a's and late's, made during the
            // outage) and the group's.
            try await b.call("Broadcast", "back")
            try await b.call("ToConnection", late.id, "to late")
            try await b.call("ToGroup", "g", "to g")
            try await expectDelivered(
                [(a, ["back", "to g"]), (b, ["back"]), (late, ["back", "to late"])], markerFrom: b)
            for peer in [a, b, late] { await peer.disconnect() }
            await second.stop()
        }
    }
}
