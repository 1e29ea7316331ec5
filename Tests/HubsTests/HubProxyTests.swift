import HubProtocol
import Hubs
import NIOCore
import Testing

@Suite("Client proxies, groups and users")
struct HubProxyTests {
    /// Four clients a, b, c (user "u1") and d (user "u2"); a and b in group "g", c in "h".
    struct World {
        let endpoint: HubEndpoint
        let a: TestHubClient
        let b: TestHubClient
        let c: TestHubClient
        let d: TestHubClient
        var all: [TestHubClient] { [a, b, c, d] }

        static func make() async throws -> World {
            let endpoint = HubEndpoint(definition: TestHubs.definition(), options: .forTests)
            let a = try await TestHubClient.connect(endpoint)
            let b = try await TestHubClient.connect(endpoint)
            let c = try await TestHubClient.connect(endpoint, user: HubUser(identifier: "u1"))
            let d = try await TestHubClient.connect(endpoint, user: HubUser(identifier: "u2"))
            for (client, group) in [(a, "g"), (b, "g"), (c, "h")] {
                #expect(try await client.invoke("Join", HubArguments(group)).error == nil)
            }
            return World(endpoint: endpoint, a: a, b: b, c: c, d: d)
        }

        /// Has `a` route `text` through `proxy`, then checks exactly `receivers` got it: each
        /// receiver's next message is the text, and a marker broadcast afterwards is the next
        /// message of everyone else (so nobody got an extra copy).
        func check(
            _ proxy: String, _ names: [String], receivers: [TestHubClient],
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            let text = "\(proxy)-\(names.joined(separator: ","))"
            #expect(
                try await a.invoke("Route", HubArguments(proxy, names, text)).error == nil,
                sourceLocation: sourceLocation)
            #expect(try await a.invoke("Route", HubArguments("all", [String](), "marker")).error == nil)
            for client in all {
                if receivers.contains(where: { $0 === client }) {
                    #expect(try await client.nextText("Got") == text, sourceLocation: sourceLocation)
                }
                #expect(try await client.nextText("Got") == "marker", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("every proxy reaches exactly its connections")
    func proxies() async throws {
        let w = try await World.make()
        try await w.check("all", [], receivers: w.all)
        try await w.check("allExcept", [w.b.connectionId, w.c.connectionId], receivers: [w.a, w.d])
        try await w.check("caller", [], receivers: [w.a])
        try await w.check("others", [], receivers: [w.b, w.c, w.d])
        try await w.check("client", [w.c.connectionId], receivers: [w.c])
        try await w.check("client", ["no-such-connection"], receivers: [])
        try await w.check("clients", [w.b.connectionId, w.d.connectionId], receivers: [w.b, w.d])
        try await w.check("group", ["g"], receivers: [w.a, w.b])
        try await w.check("group", ["G"], receivers: [])
        try await w.check("groups", ["h", "", "nobody"], receivers: [w.c])
        try await w.check("groupExcept", ["g", w.b.connectionId], receivers: [w.a])
        try await w.check("othersInGroup", ["g"], receivers: [w.b])
        try await w.check("user", ["u1"], receivers: [w.c])
        try await w.check("users", ["u1", "", "u2"], receivers: [w.c, w.d])
    }

    @Test("a connection in two of the groups gets one copy per group, as in ASP.NET Core")
    func overlappingGroups() async throws {
        let w = try await World.make()
        #expect(try await w.c.invoke("Join", HubArguments("g")).error == nil)
        // c is in both groups: two copies.
        let text = "twice"
        #expect(try await w.a.invoke("Route", HubArguments("groups", ["g", "h"], text)).error == nil)
        #expect(try await w.c.nextText("Got") == text)
        #expect(try await w.c.nextText("Got") == text)
    }

    @Test("leaving a group and disconnecting remove membership")
    func membership() async throws {
        let w = try await World.make()
        let manager = try #require(w.endpoint.lifetimeManager as? InMemoryHubLifetimeManager)
        #expect(await manager.groupMembers("g") == [w.a.connectionId, w.b.connectionId])
        #expect(try await w.b.invoke("Leave", HubArguments("g")).error == nil)
        #expect(await manager.groupMembers("g") == [w.a.connectionId])
        #expect(manager.connectionCount == 4)
        w.a.eventLoop.execute { w.a.session.transportClosed() }
        try await waitUntil { manager.connectionCount == 3 }
        #expect(await manager.groupMembers("g").isEmpty)
        try await w.endpoint.context.clients.all.send("Got", "after")
        for client in [w.b, w.c, w.d] { #expect(try await client.nextText("Got") == "after") }
    }

    @Test("the hub context sends from outside any hub method")
    func hubContext() async throws {
        let w = try await World.make()
        let context = w.endpoint.context
        try await context.clients.all.send("Got", "from outside")
        for client in w.all { #expect(try await client.nextText("Got") == "from outside") }
        try await context.clients.group("h").send("Got", "to h")
        #expect(try await w.c.nextText("Got") == "to h")
        try await context.groups.add(w.d.connectionId, to: "h")
        try await context.clients.group("h").send("Got", "to h again")
        #expect(try await w.c.nextText("Got") == "to h again")
        #expect(try await w.d.nextText("Got") == "to h again")
        try await context.clients.user("u2").send("Got", 1, "two", [3])
        guard case .invocation(let invocation) = try await w.d.nextMessage() else {
            Issue.record("expected an invocation")
            return
        }
        #expect(invocation.invocationId == nil)
        #expect(try invocation.arguments.decode(Int.self, at: 0) == 1)
        #expect(try invocation.arguments.decode(String.self, at: 1) == "two")
        #expect(try invocation.arguments.decode([Int].self, at: 2) == [3])
    }

    @Test("one message reaches JSON and MessagePack connections alike")
    func mixedProtocols() async throws {
        let endpoint = HubEndpoint(definition: TestHubs.definition(), options: .forTests)
        let json = try await TestHubClient.connect(endpoint)
        let messagePack = try await TestHubClient.connect(endpoint, hubProtocol: MessagePackHubProtocol())
        try await endpoint.context.clients.all.send("Got", "both")
        #expect(try await json.nextText("Got") == "both")
        #expect(try await messagePack.nextText("Got") == "both")
    }
}

/// Waits until `condition` holds, checking every 2 ms (the state it reads, such as a manager's
/// connection count, has no event to await); fails after 60 s.
func waitUntil(_ condition: @Sendable () async -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(60)
    while !(await condition()) {
        guard ContinuousClock.now < deadline else { throw TestFailure("condition not met within 60 s") }
        try await Task.sleep(for: .milliseconds(2))
    }
}
