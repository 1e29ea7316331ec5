import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket

/// An HTTP/1.1 child channel whose WebSocket upgrades at hub paths become hub connections driven
/// by an NIO channel handler, while every other request goes to Hummingbird's responder.
///
/// Built like HummingbirdWebSocket's `HTTP1WebSocketUpgradeChannel`, but by default the upgrade
/// installs ``WebSocketHubHandler`` instead of an `NIOAsyncChannel`, so the hub data path stays
/// on the event loop with no task or async writer per message. With
/// ``HubRouteOptions/webSocketDataPath`` set to ``HubWebSocketDataPath/asyncWriter`` the hub
/// gets HummingbirdWebSocket's own async path instead (for comparison with `hub-bench`).
public struct HubHTTPChannel: ServerChildChannel, HTTPChannelHandler {
    enum UpgradeResult: Sendable {
        /// Upgraded: the hub handler owns the channel.
        case webSocket
        /// Upgraded onto Hummingbird's async WebSocket path.
        case asyncWebSocket(AsyncWebSocketHubTransport)
        /// A plain HTTP request.
        case notUpgraded(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, EventLoopFuture<Void>)
        /// A WebSocket upgrade that was refused with `response`.
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, HubHTTPResponse)
    }

    /// The channel's upgrade result.
    public struct Value: ServerChildChannelValue {
        let upgradeResult: EventLoopFuture<UpgradeResult>
        /// The child channel.
        public let channel: any Channel
    }

    /// The responder for plain HTTP requests.
    public let responder: HTTPChannelHandler.Responder
    let host: HubHost
    let configuration: HTTP1Channel.Configuration

    /// A channel serving `host`'s hubs next to `responder`.
    public init(
        responder: @escaping HTTPChannelHandler.Responder, host: HubHost,
        configuration: HTTP1Channel.Configuration = HTTP1Channel.Configuration()
    ) {
        self.responder = Self.upgradeRedirectingResponder(responder)
        self.host = host
        self.configuration = configuration
    }

    /// Sets up HTTP/1.1 with the WebSocket upgrader.
    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            // NIO keeps each channel's last receive buffer for the next read. Its default first
            // size (2 KiB) would stay with every idle hub connection; a request or a hub message
            // that fills a smaller one makes the next one grow.
            try channel.syncOptions?.setOption(
                ChannelOptions.recvAllocator,
                value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536))
            let decision = NIOLoopBoundBox<HubUpgradeDecision?>(nil, eventLoop: channel.eventLoop)
            let host = self.host
            let upgrader = NIOTypedWebSocketServerUpgrader<UpgradeResult>(
                // NIO takes one bound per channel, before the request path is known, so the
                // decoder gets the largest of the hubs'; each hub's session checks its own limit.
                maxFrameSize: host.maximumWebSocketFrameSize,
                shouldUpgrade: { channel, head in
                    let remote = channel.remoteAddress
                    let headers = head.headers.map { (name: $0.name, value: $0.value) }
                    return channel.eventLoop.makeFutureWithTask {
                        await host.webSocketDecision(target: head.uri, headers: headers, remoteAddress: remote)
                    }.map { result -> HTTPHeaders? in
                        decision.value = result
                        guard case .accept(let acceptance) = result else { return nil }
                        if let token = acceptance.token {
                            // However the socket ends (or if the upgrade never completes), the
                            // negotiated id is released with it.
                            let negotiated = acceptance.hub.negotiated
                            channel.closeFuture.whenComplete { _ in negotiated.remove(token: token) }
                        }
                        return HTTPHeaders()
                    }
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard case .accept(let acceptance) = decision.value else {
                            throw ChannelError.inappropriateOperationForState
                        }
                        var connectionLogger = logger
                        connectionLogger[metadataKey: "hub.connection"] = .string(acceptance.connectionId)
                        let connection = WebSocketHubHandler.Connection(
                            endpoint: acceptance.hub.endpoint, connectionId: acceptance.connectionId,
                            user: acceptance.user, request: acceptance.request,
                            closeTimeout: acceptance.hub.options.webSocketCloseTimeout,
                            directWrites: acceptance.hub.options.webSocketDataPath == .direct,
                            onQuiesce: { host.quiesce() })
                        switch acceptance.hub.options.webSocketDataPath {
                        case .channelHandler, .direct:
                            let handler = WebSocketHubHandler(
                                eventLoop: channel.eventLoop, connection: connection, logger: connectionLogger)
                            try channel.pipeline.syncOperations.addHandler(WebSocketRawWriter(), position: .first)
                            try channel.pipeline.syncOperations.addHandler(handler)
                            return UpgradeResult.webSocket
                        case .asyncWriter:
                            // As HummingbirdWebSocket's upgrade channel does, then its handler runs
                            // in `handle(value:)`.
                            try channel.pipeline.syncOperations.addHandler(
                                WebSocketQuiesceHandler(onQuiesce: { host.quiesce() }))
                            let asyncChannel = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(
                                wrappingChannelSynchronously: channel,
                                configuration: .init(isOutboundHalfClosureEnabled: true))
                            let transport = AsyncWebSocketHubTransport(
                                asyncChannel: asyncChannel, connection: connection,
                                maximumFrameSize: host.maximumWebSocketFrameSize, logger: connectionLogger)
                            return UpgradeResult.asyncWebSocket(transport)
                        }
                    }
                })

            let serverUpgradeConfiguration = NIOTypedHTTPServerUpgradeConfiguration(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let clientGone = HubClientGoneHandler(
                            eventLoop: channel.eventLoop, onQuiesce: { host.quiesce() })
                        try channel.pipeline.syncOperations.addHandler(clientGone, position: .first)
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandlers(self.configuration.additionalChannelHandlers())
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPConnectionStateHandler(
                                idleTimeout: self.configuration.idleTimeout.map { .init($0) }, logger: logger))
                        let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true))
                        if case .refuse(let response) = decision.value {
                            return UpgradeResult.refused(asyncChannel, response)
                        }
                        return UpgradeResult.notUpgraded(asyncChannel, clientGone.gone.futureResult)
                    }
                })
            var upgradeConfiguration = NIOUpgradableHTTPServerPipelineConfiguration<UpgradeResult>(
                upgradeConfiguration: serverUpgradeConfiguration)
            // As in Hummingbird's channels: NIOAsyncChannel orders pipelined requests, and
            // Hummingbird handles errors and validates headers itself.
            upgradeConfiguration.enablePipelining = false
            upgradeConfiguration.enableErrorHandling = false
            upgradeConfiguration.enableResponseHeaderValidation = false
            upgradeConfiguration.decoderConfiguration.maxHeaderFieldSize = configuration.httpDecoder.maxHeaderFieldSize
            upgradeConfiguration.decoderConfiguration.maxHeaderListSize = configuration.httpDecoder.maxHeaderListSize
            upgradeConfiguration.decoderConfiguration.maxHeaderFieldCount =
                configuration.httpDecoder.maxHeaderFieldCount
            let result = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                configuration: upgradeConfiguration)
            return Value(upgradeResult: result, channel: channel)
        }
    }

    /// Serves the channel: plain HTTP through the responder, a refused upgrade with its response,
    /// a hub WebSocket until it closes.
    public func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.upgradeResult.get() {
            case .notUpgraded(let http1, let clientGone):
                // Long-running responses (an event stream) learn through this when their client
                // goes away, without waiting for a write to fail.
                await HubHTTPChannel.$clientGone.withValue(clientGone) {
                    await handleHTTP(asyncChannel: http1, logger: logger)
                }
            case .refused(let http1, let response):
                await writeRefusal(response, to: http1, logger: logger)
            case .webSocket:
                // The hub's channel handlers own the connection from here, and the server's
                // quiescing helper tracks the channel itself for a graceful shutdown: no task
                // (and none of its frames) stays behind for each idle WebSocket.
                return
            case .asyncWebSocket(let transport):
                await transport.run()
            }
        } catch let error as ChannelError where error == .inputClosed {
            logger.trace("Upgrade failed as input was closed")
        } catch {
            logger.debug("Error handling the connection", metadata: ["error": "\(error)"])
        }
    }

    private func writeRefusal(
        _ response: HubHTTPResponse, to channel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, logger: Logger
    ) async {
        do {
            try await channel.executeThenClose { _, outbound in
                var headers = response.headers
                headers[.connection] = "close"
                let body = ByteBuffer(string: response.body)
                headers[.contentLength] = "\(body.readableBytes)"
                try await outbound.write(
                    contentsOf: [
                        .head(HTTPResponse(status: response.status, headerFields: headers)),
                        .body(body),
                        .end(nil),
                    ])
            }
        } catch {
            logger.trace("Failed to write the upgrade refusal", metadata: ["error": "\(error)"])
        }
    }

    /// A WebSocket upgrade can only be taken on a connection's first request (NIO's upgrader);
    /// one that arrives later on a kept-alive connection is redirected to the same URI with the
    /// connection closed, so the client retries on a new one (HummingbirdWebSocket's approach).
    static func upgradeRedirectingResponder(
        _ responder: @escaping HTTPChannelHandler.Responder
    ) -> HTTPChannelHandler.Responder {
        struct RedirectCloseError: Error {}
        return { (request: Request, responseWriter: consuming ResponseWriter, channel: any Channel) in
            if request.headers[.upgrade]?.lowercased() == "websocket" {
                let headers: HTTPFields = [.connection: "close", .location: request.uri.string]
                try await responseWriter.writeResponse(HTTPResponse(status: .temporaryRedirect, headerFields: headers))
                throw RedirectCloseError()
            }
            try await responder(request, responseWriter, channel)
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with WebSocket upgrades for `host`'s hubs; other requests go to the router.
    public static func hubs(
        _ host: HubHost, configuration: HTTP1Channel.Configuration = HTTP1Channel.Configuration()
    ) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            HubHTTPChannel(responder: responder, host: host, configuration: configuration)
        }
    }
}

extension HubHTTPChannel {
    /// Completes when the client of the HTTP connection serving the current request has closed
    /// its side or the connection has ended; `nil` outside such a request. Its event loop is that
    /// connection's, where the hub connection it opens lives.
    @TaskLocal static var clientGone: EventLoopFuture<Void>?
}

/// Watches a plain HTTP connection for the client's end: its half-close (the server allows
/// half-closure, so nothing else reports it while a response streams) or the connection closing.
///
/// It also passes on graceful shutdown: Hummingbird waits for a request in flight before it closes
/// the connection, and an event stream or a long poll only ends once the hubs close their
/// connections, so the hubs are told to close them (as WebSocket connections do).
final class HubClientGoneHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: `done` is touched on the channel's event loop only.
    typealias InboundIn = NIOAny
    let gone: EventLoopPromise<Void>
    private let onQuiesce: @Sendable () -> Void
    private var done = false

    init(eventLoop: any EventLoop, onQuiesce: @escaping @Sendable () -> Void) {
        gone = eventLoop.makePromise()
        self.onQuiesce = onQuiesce
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { finish() }
        if event is ChannelShouldQuiesceEvent { onQuiesce() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
    }

    private func finish() {
        guard !done else { return }
        done = true
        gone.succeed()
    }
}
