import HubTestSupport
import Hubs
import NIOCore
import NIOPosix
import TestSupport
import Testing

@testable import HubTransports

@Suite("Direct socket writes")
struct DirectSocketWriterTests {
    @Test("The descriptor is read from a SwiftNIO socket channel's description")
    func descriptorFromDescription() {
        #expect(
            NIOSocketDescriptor.parse(
                "SocketChannel { BaseSocket { fd=17 }, active = true, localAddress = nil }") == 17)
        #expect(NIOSocketDescriptor.parse("EmbeddedChannel") == nil)
        #expect(NIOSocketDescriptor.parse("BaseSocket { fd=-1 }") == nil)
    }

    @Test("A server-side channel's socket is found and verified, its writes reach the peer, and none after it closes")
    func writesReachThePeerUntilClose() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let accepted = TestEventQueue<any Channel>()
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ActiveChannels(accepted))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let port = try #require(server.localAddress?.port)

        let client = try BlockingSocket.connect(port: port)  // closed when released
        let channel = try await accepted.next(timeout: .seconds(10))
        let sent = try await channel.eventLoop.submit { () -> Int? in
            guard let writer = DirectSocketWriter(channel: channel) else { return nil }
            return writer.send(ByteBuffer(string: "hello"))
        }.get()
        #expect(sent == 5)
        let received = try await client.receive { $0.count >= 5 }
        #expect(received == Array("hello".utf8))
        // The client's own socket has the server's addresses the other way round: refused.
        let local = try #require(channel.localAddress)
        let remote = try #require(channel.remoteAddress)
        #expect(NIOSocketDescriptor.socket(client.descriptor, hasLocal: local, remote: remote) == false)
        #expect(NIOSocketDescriptor.socket(client.descriptor, hasLocal: remote, remote: local) == true)

        let afterClose = try await channel.eventLoop.flatSubmit { () -> EventLoopFuture<Int?> in
            guard let writer = DirectSocketWriter(channel: channel) else {
                return channel.eventLoop.makeFailedFuture(TestTimeoutError(description: "no writer"))
            }
            return channel.close().map { writer.send(ByteBuffer(string: "late")) }
        }.get()
        #expect(afterClose == nil)
    }

    #if DEBUG
        @Test(
            "The hub's WebSocket handler writes the short way only on the direct path",
            arguments: [HubWebSocketDataPath.direct, .channelHandler])
        func handlerTakesTheDirectPath(path: HubWebSocketDataPath) async throws {
            try await TestHub.withServer(routeOptions: .dataPath(path)) { port in
                let client = try await TestHub.connect(port: port)
                let ports = DirectSocketWriter.Ports(local: port, peer: try #require(client.localPort))
                try await client.sendText(
                    "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"hi\"]}\u{1e}")
                #expect(try await client.nextMessage() == "{\"type\":3,\"invocationId\":\"1\",\"result\":\"hi\"}")
                try await Self.pingPong(client)
                let sent = DirectSocketWriter.bytesSent.withLock { $0[ports] }
                // Two frames (2 header bytes each): the handshake reply (`{}`, written once the
                // client's handshake, its first data, had arrived) and the completion.
                let frames =
                    "{}\u{1e}".utf8.count + 2 + "{\"type\":3,\"invocationId\":\"1\",\"result\":\"hi\"}\u{1e}".utf8.count
                    + 2
                #expect(sent == (path == .direct ? frames : nil))
                await client.disconnect()
            }
        }

    #endif

    @Test(
        "A client that stalls gets every message in order once it reads again, and later ones too",
        arguments: [HubWebSocketDataPath.direct, .channelHandler])
    func stalledClientGetsEverythingInOrder(path: HubWebSocketDataPath) async throws {
        let queued = TestEventQueue<Int>()
        var definition = HubDefinition(name: "FloodHub")
        definition.on("Flood") { (hub: HubCallerContext, first: Int, count: Int, size: Int) in
            let filler = String(repeating: "x", count: size)
            for index in first..<(first + count) { try await hub.clients.caller.send("Item", index, filler) }
            queued.push(count)
        }
        var options = HubOptions()
        options.maximumOutboundBufferedBytes = 64 << 20
        try await TestHub.withServer(definition: definition, hubOptions: options, routeOptions: .dataPath(path)) {
            port in
            let client = try await TestHub.connect(port: port)
            // 8 MB: more than the client's receive buffer and the server's send buffer hold, so the
            // server's writes stop being taken by the kernel and queue in the channel.
            try await client.setReading(false)
            try await client.sendText(
                "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Flood\",\"arguments\":[0,500,16000]}\u{1e}")
            #expect(try await queued.next(timeout: .seconds(30)) == 500)
            // Reading again, the client asks for more at once: the server writes those while the
            // channel is still sending the first 8 MB (one small invocation against 8 MB through a
            // debug build's client), so on the direct path they are the writes that must not
            // overtake the queue: they must come after it.
            try await client.setReading(true)
            try await client.sendText(
                "{\"type\":1,\"invocationId\":\"2\",\"target\":\"Flood\",\"arguments\":[500,500,100]}\u{1e}")
            try await Self.expectItems(0..<500, size: 16000, from: client)
            #expect(try await client.nextMessage() == "{\"type\":3,\"invocationId\":\"1\"}")
            try await Self.expectItems(500..<1000, size: 100, from: client)
            #expect(try await client.nextMessage() == "{\"type\":3,\"invocationId\":\"2\"}")
            #expect(try await queued.next(timeout: .seconds(10)) == 500)

            // Everything has drained: small messages go the short way again, still in order.
            #if DEBUG
                try await Self.pingPong(client)
                let ports = DirectSocketWriter.Ports(local: port, peer: try #require(client.localPort))
                let before = DirectSocketWriter.bytesSent.withLock { $0[ports] ?? 0 }
            #endif
            try await client.sendText(
                "{\"type\":1,\"invocationId\":\"3\",\"target\":\"Flood\",\"arguments\":[1000,20,10]}\u{1e}")
            try await Self.expectItems(1000..<1020, size: 10, from: client)
            #expect(try await client.nextMessage() == "{\"type\":3,\"invocationId\":\"3\"}")
            #expect(try await queued.next(timeout: .seconds(10)) == 20)
            #if DEBUG
                try await Self.pingPong(client)
                let after = DirectSocketWriter.bytesSent.withLock { $0[ports] ?? 0 }
                // 20 items of 10 bytes and the completion: at least 20 × 50 bytes the short way.
                #expect(path == .direct ? after - before >= 1000 : after == 0)
            #endif
            await client.disconnect()
        }
    }

    /// Sends a WebSocket ping and waits for its pong. The server reads the ping only once its loop
    /// has finished the task that wrote what the client read before, so the bytes that task
    /// counted are in `DirectSocketWriter.bytesSent` by then (the pong itself goes through the
    /// channel and is not counted).
    static func pingPong(_ client: TestWebSocketClient) async throws {
        try await client.send(opcode: TestWebSocketClient.ping, Array("barrier".utf8))
        while true {
            let event = try await client.next()
            if case .frame(TestWebSocketClient.ping, _) = event { continue }
            #expect(event == .frame(opcode: TestWebSocketClient.pong, payload: Array("barrier".utf8)))
            return
        }
    }

    static func expectItems(_ indices: Range<Int>, size: Int, from client: TestWebSocketClient) async throws {
        let filler = String(repeating: "x", count: size)
        for index in indices {
            let message = try await client.nextMessage(timeout: .seconds(30))
            let expected = "{\"type\":1,\"target\":\"Item\",\"arguments\":[\(index),\"\(filler)\"]}"
            guard message == expected else {
                Issue.record("Message \(index): got \(message.prefix(80))…")
                return
            }
        }
    }
}

/// Passes on each channel once it is active.
private final class ActiveChannels: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let channels: TestEventQueue<any Channel>

    init(_ channels: TestEventQueue<any Channel>) { self.channels = channels }

    func channelActive(context: ChannelHandlerContext) {
        channels.push(context.channel)
        context.fireChannelActive()
    }
}
