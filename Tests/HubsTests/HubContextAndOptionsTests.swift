import Dispatch
import HubProtocol
import Hubs
import NIOCore
import Synchronization
import NIOPosix
import Testing

@Suite("Connection context, options and concurrency")
struct HubContextAndOptionsTests {
    @Test("the options default to ASP.NET Core's")
    func defaults() {
        let options = HubOptions()
        #expect(options.keepAliveInterval == .seconds(15))
        #expect(options.clientTimeoutInterval == .seconds(30))
        #expect(options.handshakeTimeout == .seconds(15))
        #expect(options.maximumReceiveMessageSize == 32_768)
        #expect(options.streamBufferCapacity == 10)
        #expect(options.maximumParallelInvocationsPerClient == 1)
        #expect(options.enableDetailedErrors == false)
        #expect(options.protocolNames == ["json", "messagepack"])
    }

    @Test("connection ids are 22 base64url characters, all different")
    func connectionIds() {
        let ids = (0..<1000).map { _ in HubEndpoint.makeConnectionId() }
        #expect(Set(ids).count == ids.count)
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        #expect(ids.allSatisfy { $0.count == 22 && $0.allSatisfy(alphabet.contains) })
    }

    @Test("hub code sees the caller's id, user, claims, request headers and query, and its items")
    func context() async throws {
        var hub = HubDefinition(name: "Context")
        hub.onConnected { hub in hub.items["joined"] = hub.connectionId }
        hub.on("Describe") { (hub: HubCallerContext) in
            let request = hub.connection.request
            return [
                hub.userIdentifier ?? "-",
                hub.user.claimValues("role").joined(separator: ","),
                request.header("x-tenant") ?? "-",
                request.queryItem("room") ?? "-",
                hub.items.value("joined", as: String.self) == hub.connectionId ? "items" : "-",
                hub.connection.hubProtocol.name,
            ]
        }
        hub.on("Count") { (hub: HubCallerContext) in
            hub.items.update("count") { value -> Int in
                let next = (value as? Int ?? 0) + 1
                value = next
                return next
            }
        }
        let endpoint = HubEndpoint(definition: hub, options: .forTests)
        let user = HubUser(
            identifier: "u7", claims: [.init(type: "role", value: "admin"), .init(type: "role", value: "user")])
        let request = HubConnectionRequest(
            path: "/context", headers: [(name: "X-Tenant", value: "acme")], query: [(name: "room", value: "blue")])
        let client = try await TestHubClient.connect(
            endpoint, hubProtocol: MessagePackHubProtocol(), user: user, request: request)
        let described = try await client.invoke("Describe").result?.decode([String].self)
        #expect(described == ["u7", "admin,user", "acme", "blue", "items", "messagepack"])
        #expect(try await client.invoke("Count").result?.decode(Int.self) == 1)
        #expect(try await client.invoke("Count").result?.decode(Int.self) == 2)
    }

    @Test("several hubs on one node keep their connections and groups apart")
    func severalHubs() async throws {
        let first = HubEndpoint(definition: TestHubs.definition(), options: .forTests)
        let second = HubEndpoint(definition: TestHubs.definition(), options: .forTests)
        let a = try await TestHubClient.connect(first)
        let b = try await TestHubClient.connect(second)
        #expect(try await a.invoke("Join", HubArguments("g")).error == nil)
        #expect(try await b.invoke("Join", HubArguments("g")).error == nil)
        try await first.context.clients.group("g").send("Got", "first")
        try await second.context.clients.all.send("Got", "second")
        #expect(try await a.nextText("Got") == "first")
        #expect(try await b.nextText("Got") == "second")
        #expect(a.drain().isEmpty)
        #expect(b.drain().isEmpty)
    }

    @Test(
        "messages sent to many connections in one turn of the loop leave in one write and one flush per connection, in order"
    )
    func burstIsFlushedOncePerConnection() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let endpoint = HubEndpoint(definition: TestHubs.definition(), options: .forTests)
        let a = try await TestHubClient.connect(endpoint, eventLoop: loop)
        let b = try await TestHubClient.connect(endpoint, eventLoop: loop)
        let flushes = {
            try await loop.submit {
                [a.transport.flushCount, b.transport.flushCount, a.transport.writeCount, b.transport.writeCount]
            }.get()
        }
        let before = try await flushes()
        // Hold the loop while three messages are queued for it, as a burst from the backplane
        // arrives in one read: each send only queues a task on the connections' loop.
        let held = DispatchSemaphore(value: 0)
        let holding = DispatchSemaphore(value: 0)
        loop.execute {
            holding.signal()
            held.wait()
        }
        holding.wait()
        for text in ["one", "two", "three"] {
            try await endpoint.context.clients.all.send("Got", text)
        }
        held.signal()
        for client in [a, b] {
            #expect(try await client.nextText("Got") == "one")
            #expect(try await client.nextText("Got") == "two")
            #expect(try await client.nextText("Got") == "three")
        }
        #expect(try await flushes() == before.map { $0 + 1 })
        try await group.shutdownGracefully()
    }

    @Test(
        "a message that arrives while a long fan-out is being flushed joins the connections not flushed yet: one write for both"
    )
    func messageDuringFlushIsCoalesced() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let manager = InMemoryHubLifetimeManager()
        let endpoint = HubEndpoint(definition: TestHubs.definition(), options: .forTests, lifetimeManager: manager)
        var connecting: [TestHubClient] = []
        for _ in 0..<(3 * 32 + 5) {
            connecting.append(try await TestHubClient.connect(endpoint, eventLoop: loop))
        }
        let clients = connecting
        let counts = {
            try await loop.submit { clients.map { [$0.transport.flushCount, $0.transport.writeCount] } }.get()
        }
        let before = try await counts()
        // The first flush of "one", whichever connection it is for, hands "two" to the loop, as
        // the backplane would while the fan-out is under way.
        try await loop.submit {
            var sent = false
            for client in clients {
                client.transport.onFlush = {
                    guard !sent else { return }
                    sent = true
                    manager.deliver(
                        SerializedHubMessage(
                            .invocation(InvocationMessage(target: "Got", arguments: HubArguments("two")))),
                        to: .all(excluding: []))
                }
            }
        }.get()
        try await endpoint.context.clients.all.send("Got", "one")
        for client in clients {
            #expect(try await client.nextText("Got") == "one")
            #expect(try await client.nextText("Got") == "two")
        }
        let after = try await counts()
        let flushes = zip(before, after).map { $0.1[0] - $0.0[0] }
        let writes = zip(before, after).map { $0.1[1] - $0.0[1] }
        // At most one flush task's worth of connections (32) went out before "two" arrived; every
        // other connection got both messages in one write and one flush.
        #expect(flushes.allSatisfy { $0 == 1 || $0 == 2 })
        #expect(flushes.filter { $0 == 1 }.count >= clients.count - 32, "\(flushes)")
        #expect(zip(flushes, writes).allSatisfy { $0 == $1 }, "\(writes)")
        try await loop.submit { for client in clients { client.transport.onFlush = nil } }.get()
        try await group.shutdownGracefully()
    }

    @Test("one invocation at a time by default; more when the option allows")
    func parallelInvocations() async throws {
        for limit in [1, 2] {
            var options = HubOptions.forTests
            options.maximumParallelInvocationsPerClient = limit
            let running = Mutex((now: 0, most: 0))
            // A gate rather than an AsyncStream: with the limit above 1, several methods wait at once,
            // and an AsyncStream wakes only one of its concurrent readers.
            let release = Gate()
            var hub = HubDefinition(name: "Parallel")
            hub.on("Hold") { (_: HubCallerContext) in
                running.withLock {
                    $0.now += 1
                    $0.most = max($0.most, $0.now)
                }
                await release.wait()
                running.withLock { $0.now -= 1 }
            }
            let endpoint = HubEndpoint(definition: hub, options: options)
            let client = try await TestHubClient.connect(endpoint)
            for i in 0..<4 { client.send(.invocation(InvocationMessage(invocationId: "h\(i)", target: "Hold"))) }
            try await waitUntil { running.withLock { $0.now } == limit }
            release.open()
            for i in 0..<4 { #expect(try await client.completion("h\(i)").error == nil) }
            #expect(running.withLock { $0.most } == limit)
        }
    }

    @Test("a client that piles up invocations behind a slow method is paused, then resumed")
    func workQueueBound() async throws {
        let release = AsyncStream<Void>.makeStream()
        var hub = HubDefinition(name: "Queue")
        hub.on("Hold") { (_: HubCallerContext) in
            var iterator = release.stream.makeAsyncIterator()
            await iterator.next()
        }
        let endpoint = HubEndpoint(definition: hub, options: .forTests)
        let client = try await TestHubClient.connect(endpoint)
        for i in 0..<20 { client.send(.invocation(InvocationMessage(invocationId: "q\(i)", target: "Hold"))) }
        guard case .reading(false) = try await client.nextEvent() else { throw TestFailure("reading did not pause") }
        for _ in 0..<20 { release.continuation.yield() }
        var resumed = false
        var completed = 0
        while completed < 20 {
            switch try await client.nextEvent() {
            case .reading(true): resumed = true
            case .message(.completion): completed += 1
            case .message(.ping): continue  // a stalled test can outlast the keep-alive interval
            case let other: Issue.record("unexpected \(other)")
            }
        }
        #expect(resumed)
    }

    @Test("no pings on a transport with its own keep-alive")
    func noPings() async throws {
        var options = HubOptions.forTests
        options.keepAliveInterval = .milliseconds(10)
        let endpoint = HubEndpoint(definition: TestHubs.definition(), options: options)
        let quiet = try await TestHubClient.connect(endpoint, sendsKeepAlive: false)
        let pinged = try await TestHubClient.connect(endpoint)
        for _ in 0..<5 {
            guard case .message(.ping) = try await pinged.nextEvent() else { throw TestFailure("expected a ping") }
        }
        #expect(quiet.drain().isEmpty)
    }

    @Test("a client's Close error reaches onDisconnected as a HubError")
    func closeErrorReachesOnDisconnected() async throws {
        let seen = Mutex<String?>(nil)
        var hub = TestHubs.definition()
        hub.onDisconnected { _, error in seen.withLock { $0 = (error as? HubError)?.message ?? "none" } }
        let endpoint = HubEndpoint(definition: hub, options: .forTests)
        let client = try await TestHubClient.connect(endpoint)
        client.send(.close(CloseMessage(error: "bye for now")))
        try await waitUntil { seen.withLock { $0 } != nil }
        #expect(seen.withLock { $0 } == "bye for now")
    }
}

/// Holds every waiter until opened, then lets all of them (and later ones) through.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let passed = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if passed { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
