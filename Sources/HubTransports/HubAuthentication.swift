import Hubs

/// What an authentication hook sees of a request (negotiate or WebSocket upgrade).
public struct HubAuthenticationRequest: Sendable {
    /// The request: path, headers, query, peer.
    public var request: HubConnectionRequest
    /// The bearer token: from `Authorization: Bearer <token>`, else from the `access_token` query
    /// item (browsers cannot set headers on WebSockets, so SignalR clients put it there).
    public var token: String?

    /// Makes a request description.
    public init(request: HubConnectionRequest, token: String?) {
        self.request = request
        self.token = token
    }

    /// The token of `request`, as ``token`` describes.
    static func token(of request: HubConnectionRequest, uri: HubRequestURI) -> String? {
        if let header = request.header("authorization") {
            let trimmed = header.drop { $0 == " " }
            if trimmed.count > 7, trimmed.prefix(7).lowercased() == "bearer " {
                let token = trimmed.dropFirst(7).trimmingSpaces()
                if !token.isEmpty { return String(token) }
            }
        }
        if let query = uri.query.first(where: { $0.name == "access_token" })?.value, !query.isEmpty {
            return query
        }
        return nil
    }
}

/// An authentication hook's answer.
public enum HubAuthenticationResult: Sendable {
    /// Let the request through as `user` (``HubUser/anonymous`` for no user).
    case accept(HubUser)
    /// Refuse it: `401 Unauthorized` on negotiate and on the WebSocket upgrade.
    case reject
}

/// Decides who a request comes from; runs on every negotiate and every WebSocket upgrade (the
/// user of the upgrade is the connection's user).
public typealias HubAuthenticator = @Sendable (HubAuthenticationRequest) async -> HubAuthenticationResult

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var result = self
        while result.last == " " { result = result.dropLast() }
        return result
    }
}
