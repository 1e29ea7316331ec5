import Foundation
import HubBenchCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// Settings every bench connection shares.
struct ConnectionSettings: Sendable {
    var wire: HubWireProtocol
    var skipNegotiation: Bool
    /// Bound on each step: TCP connect, negotiate, WebSocket upgrade, hub handshake.
    var timeout: TimeAmount
    /// Connections with an index below this time every message they receive.
    var latencyConnections: Int
    var maxFrameSize: Int
    /// Local addresses client sockets are bound to, connection i to the (i mod count)-th; empty
    /// leaves the choice to the kernel. Several loopback addresses give each its own ~28,000
    /// ephemeral ports.
    var sourceAddresses: [SocketAddress] = []
    /// Raw WebSocket subscribers (nchan): no negotiate, no hub handshake, a frame per message.
    var raw = false

    func source(for index: Int) -> SocketAddress? {
        sourceAddresses.isEmpty ? nil : sourceAddresses[index % sourceAddresses.count]
    }
}

/// A connection past its hub handshake.
struct ConnectedHub: Sendable {
    var index: Int
    var channel: any Channel
    var handler: NIOLoopBound<HubConnectionHandler>
    /// From negotiate; nil with --skip-negotiation.
    var connectionID: String?
}

/// Opens bench connections: negotiate (unless skipped), WebSocket upgrade, hub handshake.
struct HubConnector: Sendable {
    let settings: ConnectionSettings

    private enum UpgradeOutcome: Sendable {
        case upgraded(NIOLoopBound<HubConnectionHandler>, EventLoopFuture<Void>)
        case notUpgraded
    }

    /// Connects connection `index` to `node` on `state`'s event loop and completes the handshake.
    func connect(
        index: Int, node: HubNode, state: NIOLoopBound<LoopState>, loop: any EventLoop
    ) async throws
        -> ConnectedHub
    {
        let negotiated =
            settings.skipNegotiation || settings.raw ? nil : try await negotiate(node: node, index: index, loop: loop)
        let token = negotiated?.token
        let connectionID = negotiated?.connectionID
        let settings = self.settings
        var bootstrap = ClientBootstrap(group: loop).connectTimeout(settings.timeout)
        if let source = settings.source(for: index) { bootstrap = bootstrap.bind(to: source) }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: node.hostHeader)
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(
            version: .http1_1, method: .GET, uri: node.webSocketTarget(token: token), headers: headers)
        let ready: EventLoopFuture<ConnectedHub> =
            try await bootstrap
            .connect(to: node.address) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketClientUpgrader<UpgradeOutcome>(
                        maxFrameSize: settings.maxFrameSize, enableAutomaticErrorHandling: false,
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                let handshake = channel.eventLoop.makePromise(of: Void.self)
                                let handler = HubConnectionHandler(
                                    index: index, state: state.value, wire: settings.wire,
                                    timesLatency: index < settings.latencyConnections,
                                    maxFrameSize: settings.maxFrameSize, raw: settings.raw, handshakePromise: handshake)
                                // The handler parses the server's frames itself (see its comment).
                                let operations = channel.pipeline.syncOperations
                                let decoder = try operations.context(
                                    handlerType: ByteToMessageHandler<WebSocketFrameDecoder>.self)
                                operations.removeHandler(context: decoder, promise: nil)
                                try operations.addHandler(handler)
                                return .upgraded(
                                    NIOLoopBound(handler, eventLoop: channel.eventLoop), handshake.futureResult)
                            }
                        }
                    )
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<UpgradeOutcome>(
                        upgradeRequestHead: head, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in channel.eventLoop.makeSucceededFuture(.notUpgraded)
                        }
                    )
                    let upgraded = try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: .init(upgradeConfiguration: configuration))
                    let upgradeTimeout = channel.eventLoop.scheduleTask(in: settings.timeout) {
                        channel.close(promise: nil)
                    }
                    // The handshake is written only once the upgrade future completes: the upgrade
                    // handler refuses writes until then.
                    let ready = upgraded.flatMap { outcome -> EventLoopFuture<ConnectedHub> in
                        upgradeTimeout.cancel()
                        switch outcome {
                        case .upgraded(let handler, let handshake):
                            handler.value.connectionID = connectionID
                            handler.value.startHandshake(timeout: settings.timeout)
                            return handshake.map {
                                ConnectedHub(
                                    index: index, channel: channel, handler: handler, connectionID: connectionID)
                            }
                        case .notUpgraded:
                            return channel.eventLoop.makeFailedFuture(HubBenchError.upgradeRefused)
                        }
                    }
                    ready.whenFailure { _ in
                        upgradeTimeout.cancel()
                        channel.close(promise: nil)
                    }
                    return ready
                }
            }
        return try await ready.get()
    }

    private struct NegotiateResponse: Decodable {
        var connectionId: String?
        var connectionToken: String?
        var error: String?
        var url: String?
    }

    /// `POST <hub>/negotiate?negotiateVersion=1`: the token for `?id=` (the connection id for a
    /// version-0 answer) and the connection id. Foundation decodes the body: this is set-up, not
    /// the measured path.
    func negotiate(
        node: HubNode, index: Int, loop: any EventLoop
    ) async throws -> (
        token: String, connectionID: String?
    ) {
        let timeout = settings.timeout
        var bootstrap = ClientBootstrap(group: loop).connectTimeout(timeout)
        if let source = settings.source(for: index) { bootstrap = bootstrap.bind(to: source) }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: node.hostHeader)
        headers.add(name: "Content-Length", value: "0")
        headers.add(name: "Connection", value: "close")
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: node.negotiateTarget, headers: headers)
        let response: EventLoopFuture<NegotiateResponseHandler.Response> =
            try await bootstrap
            .connect(to: node.address) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let promise = channel.eventLoop.makePromise(of: NegotiateResponseHandler.Response.self)
                    let handler = NegotiateResponseHandler(request: head, promise: promise)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(handler)
                    let timer = channel.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
                        handler.fail(HubBenchError.timeout("negotiate"))
                        channel.close(promise: nil)
                    }
                    promise.futureResult.whenComplete { _ in
                        timer.cancel()
                        channel.close(promise: nil)
                    }
                    return promise.futureResult
                }
            }
        let (status, body) = try await response.get()
        guard status == .ok else {
            throw HubBenchError.negotiateFailed("HTTP \(status.code) \(String(buffer: body).prefix(200))")
        }
        let decoded: NegotiateResponse
        do {
            decoded = try JSONDecoder().decode(NegotiateResponse.self, from: Data(body.readableBytesView))
        } catch {
            throw HubBenchError.negotiateFailed("unreadable body \(String(buffer: body).prefix(200))")
        }
        if let error = decoded.error { throw HubBenchError.negotiateFailed(error) }
        if decoded.url != nil { throw HubBenchError.negotiateFailed("redirect responses are not supported") }
        guard let token = decoded.connectionToken ?? decoded.connectionId else {
            throw HubBenchError.negotiateFailed(
                "no connectionToken or connectionId in \(String(buffer: body).prefix(200))")
        }
        return (token, decoded.connectionId)
    }
}

/// Collects one HTTP response (status and body, at most 64 KiB) for the negotiate request.
final class NegotiateResponseHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    typealias Response = (status: HTTPResponseStatus, body: ByteBuffer)

    private let request: HTTPRequestHead
    private let promise: EventLoopPromise<Response>
    private var status = HTTPResponseStatus.ok
    private var body = ByteBuffer()
    private var done = false

    init(request: HTTPRequestHead, promise: EventLoopPromise<Response>) {
        self.request = request
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(request)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func fail(_ error: any Error) {
        finish(.failure(error))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status
        case .body(var part):
            guard body.readableBytes + part.readableBytes <= 65536 else {
                finish(.failure(HubBenchError.negotiateFailed("response body over 64 KiB")))
                return
            }
            body.writeBuffer(&part)
        case .end:
            finish(.success((status, body)))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(HubBenchError.negotiateFailed("the connection closed before the response ended")))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(HubBenchError.negotiateFailed("\(error)")))
        context.close(promise: nil)
    }

    private func finish(_ result: Result<Response, any Error>) {
        guard !done else { return }
        done = true
        promise.completeWith(result)
    }
}
