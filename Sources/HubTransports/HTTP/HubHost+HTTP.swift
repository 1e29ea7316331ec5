import HTTPTypes
import Hubs
import NIOCore

extension HubHost {
    /// Answers a plain HTTP request to a hub path or its negotiate path; `nil` for any other
    /// path (the router handles it).
    ///
    /// What each request gets (ASP.NET Core's `HttpConnectionDispatcher`):
    /// * `POST {hub}/negotiate`: the negotiate body (or `{"error":…}` with 200); other methods 405.
    /// * `GET`, `POST` and `DELETE` at `{hub}`: the transports' requests
    ///   (``transportResponse(_:method:uri:request:user:collectBody:)``), which the middleware
    ///   sends there before this is asked.
    /// * any other method at `{hub}`: 405.
    ///
    /// Every hub request passes the authentication hook first (401 when it rejects).
    func respond(
        method: HTTPRequest.Method, target: String, headers: [(name: String, value: String)],
        remoteAddress: SocketAddress?
    ) async -> HubHTTPResponse? {
        let uri = HubRequestURI(target)
        guard let route = route(path: uri.path) else { return nil }
        let request = Self.connectionRequest(uri: uri, headers: headers, remoteAddress: remoteAddress)
        switch route {
        case .negotiate(let hub):
            guard method == .post else { return .text(.methodNotAllowed) }
            guard await hub.user(for: request, uri: uri) != nil else { return .unauthorized }
            return negotiate(hub, uri: uri)
        case .connection(let hub):
            guard await hub.user(for: request, uri: uri) != nil else { return .unauthorized }
            return .text(.methodNotAllowed)
        }
    }

    private func negotiate(_ hub: HubRegistration, uri: HubRequestURI) -> HubHTTPResponse {
        let version: Int
        switch HubNegotiation.version(query: uri, minimum: hub.options.minimumNegotiateVersion) {
        case .success(let value): version = value
        case .failure(let error): return .json(HubNegotiation.errorBody(error.text))
        }
        let connectionId = HubEndpoint.makeConnectionId()
        // Version 0 clients send the id itself back as `id`; from version 1 a second, secret value.
        let token = version > 0 ? HubEndpoint.makeConnectionId() : connectionId
        hub.negotiated.add(token: token, connectionId: connectionId)
        logger.debug(
            "Hub connection negotiated",
            metadata: [
                "hub.path": "\(hub.path)", "hub.connection": "\(connectionId)", "negotiate.version": "\(version)",
            ])
        return .json(
            HubNegotiation.responseBody(
                version: version, connectionId: connectionId, connectionToken: token, transports: hub.transports))
    }

    /// Decides a WebSocket upgrade request: the connection it opens, or the response refusing it.
    func webSocketDecision(
        target: String, headers: [(name: String, value: String)], remoteAddress: SocketAddress?
    ) async -> HubUpgradeDecision {
        let uri = HubRequestURI(target)
        guard case .connection(let hub) = route(path: uri.path) else { return .refuse(.text(.notFound)) }
        guard hub.transports.contains(.webSockets) else {
            return .refuse(.text(.notFound, HubTransportType.webSockets.notSupportedText))
        }
        let request = Self.connectionRequest(uri: uri, headers: headers, remoteAddress: remoteAddress)
        guard let user = await hub.user(for: request, uri: uri) else { return .refuse(.unauthorized) }
        guard let token = uri.value("id") else {
            // Skip negotiation: the connection is made on the spot.
            return .accept(
                HubWebSocketAcceptance(
                    hub: hub, connectionId: HubEndpoint.makeConnectionId(), token: nil, user: user, request: request))
        }
        switch hub.negotiated.claim(token: token, transport: .webSockets) {
        case .success(let connectionId):
            return .accept(
                HubWebSocketAcceptance(hub: hub, connectionId: connectionId, token: token, user: user, request: request)
            )
        case .failure(.unknown):
            return .refuse(.text(.notFound, "No Connection with that ID"))
        case .failure(.alreadyActive):
            return .refuse(.text(.conflict))
        }
    }
}

/// What a WebSocket upgrade request gets.
enum HubUpgradeDecision: Sendable {
    case accept(HubWebSocketAcceptance)
    case refuse(HubHTTPResponse)
}

/// An accepted WebSocket upgrade: the connection it becomes.
struct HubWebSocketAcceptance: Sendable {
    let hub: HubRegistration
    let connectionId: String
    /// The negotiated token to forget when the socket closes; `nil` when negotiation was skipped.
    let token: String?
    let user: HubUser
    let request: HubConnectionRequest
}
