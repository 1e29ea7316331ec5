import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A stand-in SignalR server for client tests that says exactly what the test script says: it
/// answers negotiate with the JSON a test gives, accepts WebSocket upgrades, and hands each
/// socket to the test, which reads the client's frames and writes raw frames back (or drops the
/// socket). Nothing of the hub protocol is built in, so a test can play any server behaviour
/// the protocol describes, including ones Switchboard's hubs do not offer.
public final class ScriptedHubServer: Sendable {
    /// One accepted WebSocket.
    public final class Socket: Sendable {
        /// The request target of the upgrade (path and query).
        public let uri: String
        /// Each data frame the client sent (text or binary), payload only, in order.
        public let frames = TestEventQueue<ByteBuffer>()
        /// Fires once when the socket has closed (either side).
        public let closed = TestEventQueue<Void>()
        let channel: NIOLockedValueBox<(any Channel)?> = NIOLockedValueBox(nil)

        init(uri: String) {
            self.uri = uri
        }

        /// The next frame's payload as text.
        public func nextText(timeout: Duration = .seconds(10)) async throws -> String {
            String(buffer: try await frames.next(timeout: timeout))
        }

        /// Sends a text frame.
        public func send(text: String) async throws {
            try await write(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text)))
        }

        /// Drops the TCP connection without a WebSocket close (as a network failure would).
        public func drop() async {
            guard let channel = channel.withLockedValue({ $0 }) else { return }
            try? await channel.close()
        }

        private func write(_ frame: WebSocketFrame) async throws {
            guard let channel = channel.withLockedValue({ $0 }) else {
                throw TestTimeoutError(description: "socket closed")
            }
            try await channel.writeAndFlush(frame)
        }
    }

    /// The port it listens on (127.0.0.1).
    public let port: Int
    /// The request target of each negotiate request, in order.
    public let negotiations: TestEventQueue<String>
    /// Each WebSocket accepted, in order.
    public let sockets: TestEventQueue<Socket>
    private let channel: any Channel

    private init(
        port: Int, channel: any Channel, negotiations: TestEventQueue<String>, sockets: TestEventQueue<Socket>
    ) {
        self.port = port
        self.channel = channel
        self.negotiations = negotiations
        self.sockets = sockets
    }

    /// Starts a server on a free port. `negotiate` gets a negotiate request's target and returns the
    /// JSON body to answer with 200; `acceptsUpgrade` decides whether a WebSocket upgrade to a
    /// target succeeds (a refused one gets an HTTP error).
    public static func start(
        negotiate: @escaping @Sendable (String) -> String,
        acceptsUpgrade: @escaping @Sendable (String) -> Bool = { _ in true }
    ) async throws -> ScriptedHubServer {
        let negotiations = TestEventQueue<String>()
        let sockets = TestEventQueue<Socket>()
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOWebSocketServerUpgrader(
                        maxFrameSize: 1 << 24,
                        shouldUpgrade: { channel, head in
                            channel.eventLoop.makeSucceededFuture(acceptsUpgrade(head.uri) ? HTTPHeaders() : nil)
                        },
                        upgradePipelineHandler: { channel, head in
                            let socket = Socket(uri: head.uri)
                            socket.channel.withLockedValue { $0 = channel }
                            return channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(FrameHandler(socket: socket))
                                sockets.push(socket)
                            }
                        })
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (
                            upgraders: [upgrader],
                            completionHandler: { context in
                                context.pipeline.syncOperations.removeHandler(name: "negotiate", promise: nil)
                            }
                        ))
                    try channel.pipeline.syncOperations.addHandler(
                        NegotiateHandler(negotiate: negotiate, negotiations: negotiations), name: "negotiate")
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        return ScriptedHubServer(
            port: channel.localAddress?.port ?? 0, channel: channel, negotiations: negotiations, sockets: sockets)
    }

    /// Stops listening (sockets already accepted stay until dropped or closed).
    public func stop() async {
        try? await channel.close()
    }

    /// Answers `POST …/negotiate` with the test's JSON; anything else gets 404.
    private final class NegotiateHandler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let negotiate: @Sendable (String) -> String
        let negotiations: TestEventQueue<String>
        var head: HTTPRequestHead?

        init(negotiate: @escaping @Sendable (String) -> String, negotiations: TestEventQueue<String>) {
            self.negotiate = negotiate
            self.negotiations = negotiations
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): self.head = head
            case .body: break
            case .end:
                guard let head else { return }
                let isNegotiate =
                    head.method == .POST && head.uri.split(separator: "?").first?.hasSuffix("/negotiate") == true
                let body = isNegotiate ? negotiate(head.uri) : "Not Found"
                if isNegotiate { negotiations.push(head.uri) }
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: isNegotiate ? "application/json" : "text/plain")
                headers.add(name: "Content-Length", value: String(body.utf8.count))
                context.write(
                    wrapOutboundOut(
                        .head(
                            HTTPResponseHead(version: .http1_1, status: isNegotiate ? .ok : .notFound, headers: headers)
                        )),
                    promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }

    /// Hands data frames to the socket's queue and answers a close with a close.
    private final class FrameHandler: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        typealias OutboundOut = WebSocketFrame
        let socket: Socket

        init(socket: Socket) {
            self.socket = socket
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            switch frame.opcode {
            case .text, .binary:
                socket.frames.push(frame.unmaskedData)
            case .connectionClose:
                let reply = WebSocketFrame(fin: true, opcode: .connectionClose, data: frame.unmaskedData)
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                context.writeAndFlush(wrapOutboundOut(reply)).whenComplete { _ in bound.value.close(promise: nil) }
            case .ping:
                context.writeAndFlush(
                    wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
            default:
                break
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            socket.channel.withLockedValue { $0 = nil }
            socket.closed.push(())
            context.fireChannelInactive()
        }
    }
}
