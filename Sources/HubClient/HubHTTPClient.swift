#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The one HTTP request a hub connection makes besides the WebSocket upgrade: negotiate's POST.
///
/// One request per TCP (or TLS) connection, `Connection: close`, the whole body collected.
enum HubHTTPClient {
    struct Response: Sendable {
        var status: Int
        var body: ByteBuffer
    }

    static func post(
        _ url: HubURL, target: String, headers: [(name: String, value: String)],
        tlsConfiguration: TLSConfiguration?, eventLoopGroup: any EventLoopGroup, timeout: Duration
    ) async throws(HubClientError) -> Response {
        do {
            let sslContext =
                try url.isSecure ? NIOSSLContext(configuration: tlsConfiguration ?? .makeClientConfiguration()) : nil
            let eventLoop = eventLoopGroup.next()
            let promise = eventLoop.makePromise(of: Response.self)
            let host = url.host
            let bootstrap = ClientBootstrap(group: eventLoop)
                .connectTimeout(TimeAmount(timeout))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let sslContext {
                            let serverName = host.isIPAddress ? nil : host
                            try channel.pipeline.syncOperations.addHandler(
                                NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
                    }
                }
            let channel: any Channel
            do {
                channel = try await bootstrap.connect(host: url.host, port: url.port).get()
            } catch {
                promise.fail(error)
                throw error
            }
            let deadline = eventLoop.scheduleTask(in: TimeAmount(timeout)) {
                promise.fail(HubClientError(.negotiationFailed, "The negotiate request timed out after \(timeout)."))
                channel.close(promise: nil)
            }
            var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: target)
            head.headers.add(name: "Host", value: url.authority)
            head.headers.add(name: "Content-Length", value: "0")
            head.headers.add(name: "Connection", value: "close")
            head.headers.add(name: "User-Agent", value: "Switchboard-HubClient")
            for (name, value) in headers { head.headers.add(name: name, value: value) }
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            defer {
                deadline.cancel()
                channel.close(promise: nil)
            }
            return try await promise.futureResult.get()
        } catch let error as HubClientError {
            throw error
        } catch {
            throw HubClientError(
                .negotiationFailed,
                "Failed to complete negotiation with the server: \(describeConnectError(error)) (\(url.authority))")
        }
    }

    /// Collects one response.
    private final class ResponseCollector: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        let promise: EventLoopPromise<Response>
        var status = 0
        var body = ByteBuffer()

        init(promise: EventLoopPromise<Response>) {
            self.promise = promise
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): status = Int(head.status.code)
            case .body(var part): body.writeBuffer(&part)
            case .end: promise.succeed(Response(status: status, body: body))
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.fail(
                HubClientError(
                    .negotiationFailed, "The server closed the connection before its negotiate response ended."))
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise.fail(error)
            context.close(promise: nil)
        }
    }
}

/// A socket error in words: `Connection refused` rather than NIO's nested descriptions.
func describeConnectError(_ error: any Error) -> String {
    var error = error
    if let connection = error as? NIOConnectionError, let first = connection.connectionErrors.first {
        error = first.error
    }
    if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
    return "\(error)"
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

extension String {
    /// Whether this is an IPv4 or IPv6 literal (no SNI for those).
    var isIPAddress: Bool {
        (try? SocketAddress(ipAddress: self, port: 0)) != nil
    }
}
