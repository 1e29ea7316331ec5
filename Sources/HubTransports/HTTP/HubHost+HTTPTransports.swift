import HTTPTypes
import Hummingbird
import Hubs
import NIOCore

extension HubHost {
    /// Answers `GET` (Server-Sent Events or long polling), `POST` (a send) and `DELETE` (the end
    /// of a long-polling connection) at a hub path, as ASP.NET Core's `HttpConnectionDispatcher`
    /// does. The caller has authenticated the request.
    func transportResponse(
        _ hub: HubRegistration, method: HTTPRequest.Method, uri: HubRequestURI, request: HubConnectionRequest,
        user: HubUser, collectBody: (Int) async throws -> ByteBuffer
    ) async -> Response {
        switch method {
        case .get:
            let wantsEvents = request.header("accept")?.lowercased().contains("text/event-stream") ?? false
            return await poll(
                hub, kind: wantsEvents ? .serverSentEvents : .longPolling, uri: uri, request: request, user: user)
        case .post:
            return await send(hub, uri: uri, collectBody: collectBody)
        case .delete:
            return await delete(hub, uri: uri)
        default:
            return Self.response(.text(.methodNotAllowed))
        }
    }

    private func poll(
        _ hub: HubRegistration, kind: HubTransportType, uri: HubRequestURI, request: HubConnectionRequest,
        user: HubUser
    ) async -> Response {
        guard hub.transports.contains(kind) else { return Self.response(.text(.notFound, kind.notSupportedText)) }
        guard let token = uri.value("id"), !token.isEmpty else {
            return Self.response(.text(.badRequest, "Connection ID required"))
        }
        if let connection = hub.httpConnections.connection(token: token) {
            guard connection.kind == kind else {
                return Self.response(.text(.badRequest, "Cannot change transports mid-connection"))
            }
            // An event stream is open already.
            guard kind == .longPolling else { return Self.response(.text(.conflict)) }
            return await longPoll(connection, timeout: hub.options.longPollingTimeout)
        }
        let connectionId: String
        switch hub.negotiated.claim(token: token, transport: kind) {
        case .success(let id): connectionId = id
        case .failure(.unknown): return Self.response(.text(.notFound, "No Connection with that ID"))
        case .failure(.alreadyActive):
            // Claimed by a WebSocket (an HTTP transport would be in the table).
            return Self.response(.text(.badRequest, "Cannot change transports mid-connection"))
        }
        // The connection lives on the event loop of the HTTP connection that opened it, as a
        // WebSocket connection does. Only `HTTPServerBuilder.hubs` serves requests with one.
        guard let eventLoop = HubHTTPChannel.clientGone?.eventLoop else {
            hub.negotiated.remove(token: token)
            logger.error(
                "Server-Sent Events and long polling need the hub's HTTP server (HTTPServerBuilder.hubs)",
                metadata: ["hub.path": "\(hub.path)"])
            return Self.response(.text(.internalServerError))
        }
        var logger = self.logger
        logger[metadataKey: "hub.connection"] = .string(connectionId)
        let negotiated = hub.negotiated
        let connections = hub.httpConnections
        let connection = HTTPHubConnection(
            eventLoop: eventLoop, kind: kind, token: token,
            connectionId: connectionId, logger: logger,
            onEnd: {
                connections.remove(token: token)
                negotiated.remove(token: token)
            })
        let earlyInput = hub.httpConnections.add(connection)
        let endpoint = hub.endpoint
        let disconnectTimeout = hub.options.longPollingDisconnectTimeout
        connection.eventLoop.execute {
            connection.start(
                endpoint: endpoint, user: user, request: request, disconnectTimeout: disconnectTimeout,
                earlyInput: earlyInput)
        }
        if kind == .longPolling {
            // The first poll returns at once, empty: the client then knows the transport is up
            // (the JavaScript client waits for it before it sends the handshake).
            return Response(
                status: .ok, headers: Self.noCache([.contentType: "application/octet-stream", .contentLength: "0"]),
                body: ResponseBody())
        }
        return eventStream(connection)
    }

    private func longPoll(_ connection: HTTPHubConnection, timeout: TimeAmount) async -> Response {
        let wait = try? await connection.eventLoop.submit { connection.next(timeout: timeout) }.get()
        if let wait, let clientGone = HubHTTPChannel.clientGone {
            clientGone.whenSuccess { connection.eventLoop.execute { connection.abandon(wait) } }
        }
        let delivery = try? await wait?.get()
        switch delivery {
        case .data(let bytes):
            return Response(
                status: .ok,
                headers: Self.noCache([
                    .contentType: "application/octet-stream", .contentLength: "\(bytes.readableBytes)",
                ]),
                body: ResponseBody(byteBuffer: bytes))
        case .timedOut:
            return Response(status: .ok, headers: Self.noCache([.contentType: "text/plain"]), body: ResponseBody())
        case .superseded, .closed, nil:
            return Response(status: .noContent, headers: Self.noCache([:]), body: ResponseBody())
        }
    }

    private func eventStream(_ connection: HTTPHubConnection) -> Response {
        let headers = Self.noCache([.contentType: "text/event-stream"])
        // The client closing the stream ends the connection at once, as in ASP.NET Core (not at
        // the next keep-alive write).
        HubHTTPChannel.clientGone?.whenSuccess { connection.eventLoop.execute { connection.end() } }
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                // A blank line first, so the browser's EventSource opens at once (ASP.NET Core
                // writes the same for Firefox).
                do {
                    try await writer.write(ByteBuffer(string: "\r\n"))
                    streaming: while true {
                        let delivery = try await connection.eventLoop.flatSubmit { connection.next(timeout: nil) }.get()
                        switch delivery {
                        case .data(let bytes): try await writer.write(bytes)
                        case .closed, .superseded, .timedOut: break streaming
                        }
                    }
                } catch {
                    // The client went away: writing failed.
                }
                connection.eventLoop.execute { connection.end() }
                try? await writer.finish(nil)
            })
    }

    private func send(
        _ hub: HubRegistration, uri: HubRequestURI, collectBody: (Int) async throws -> ByteBuffer
    ) async
        -> Response
    {
        guard let token = uri.value("id"), !token.isEmpty else {
            return Self.response(.text(.badRequest, "Connection ID required"))
        }
        var connection = hub.httpConnections.connection(token: token)
        if connection == nil {
            guard let entry = hub.negotiated.entry(token: token) else {
                return Self.response(.text(.notFound, "No Connection with that ID"))
            }
            if entry.transport == .webSockets {
                return Self.response(
                    .text(.methodNotAllowed, "POST requests are not allowed for WebSocket connections."))
            }
        }
        let body: ByteBuffer
        do {
            body = try await collectBody(hub.maximumWebSocketFrameSize)
        } catch {
            return Self.response(.text(.badRequest))
        }
        if connection == nil {
            // No transport yet (a long-polling client may send its handshake before its first
            // poll): the body waits for the transport, as in ASP.NET Core's input pipe.
            if hub.httpConnections.keepEarly(
                body, token: token, limit: hub.maximumWebSocketFrameSize, expiry: hub.options.negotiationTimeout)
            {
                return Self.response(.text(.ok))
            }
            connection = hub.httpConnections.connection(token: token)
        }
        guard let connection else { return Self.response(.text(.notFound, "No Connection with that ID")) }
        switch try? await connection.eventLoop.flatSubmit({ connection.send(body) }).get() {
        case .accepted: return Self.response(.text(.ok))
        case .busy: return Self.response(.text(.conflict))
        case .gone, nil: return Self.response(.text(.notFound, "No Connection with that ID"))
        }
    }

    private func delete(_ hub: HubRegistration, uri: HubRequestURI) async -> Response {
        guard let token = uri.value("id"), !token.isEmpty else {
            return Self.response(.text(.badRequest, "Connection ID required"))
        }
        guard let connection = hub.httpConnections.connection(token: token) else {
            guard hub.negotiated.entry(token: token) != nil else {
                return Self.response(.text(.notFound, "No Connection with that ID"))
            }
            return Self.response(.text(.badRequest, "Cannot terminate this connection using the DELETE endpoint."))
        }
        guard connection.kind == .longPolling else {
            return Self.response(.text(.badRequest, "Cannot terminate this connection using the DELETE endpoint."))
        }
        try? await connection.eventLoop.submit { connection.end() }.get()
        return Self.response(.text(.accepted))
    }

    static func noCache(_ fields: HTTPFields) -> HTTPFields {
        var fields = fields
        fields[.cacheControl] = "no-cache"
        fields[HTTPField.Name("Pragma")!] = "no-cache"
        fields[.expires] = "0"
        return fields
    }

    static func response(_ response: HubHTTPResponse) -> Response {
        var fields = response.headers
        fields[.cacheControl] = "no-cache"
        return Response(
            status: response.status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: response.body)))
    }
}
