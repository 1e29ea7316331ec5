import Hubs
import Logging

/// One hub as served at one path.
final class HubRegistration: Sendable {
    /// The path as given (`/learningHub`).
    let path: String
    let endpoint: HubEndpoint
    let options: HubRouteOptions
    /// The transports advertised and served, in negotiate order.
    let transports: [HubTransportType]
    let authenticate: HubAuthenticator?
    let negotiated: HubNegotiatedConnections
    /// The connections on Server-Sent Events and long polling.
    let httpConnections = HTTPHubConnections()

    init(path: String, endpoint: HubEndpoint, options: HubRouteOptions, authenticate: HubAuthenticator?) {
        self.path = path
        self.endpoint = endpoint
        self.options = options
        self.transports = HubTransportType.allCases.filter { options.transports.contains($0) }
        self.authenticate = authenticate
        self.negotiated = HubNegotiatedConnections(timeout: options.negotiationTimeout)
    }

    /// The largest WebSocket frame accepted from clients of this hub.
    var maximumWebSocketFrameSize: Int {
        if let size = options.maximumWebSocketFrameSize { return size }
        let message = endpoint.options.maximumReceiveMessageSize ?? (1 << 20)
        return min(Int(UInt32.max), max(1 << 16, message.multipliedReportingOverflow(by: 4).partialValue))
    }

    /// Runs the authentication hook (no hook: anonymous).
    func user(for request: HubConnectionRequest, uri: HubRequestURI) async -> HubUser? {
        guard let authenticate else { return .anonymous }
        let token = HubAuthenticationRequest.token(of: request, uri: uri)
        switch await authenticate(HubAuthenticationRequest(request: request, token: token)) {
        case .accept(let user): return user
        case .reject: return nil
        }
    }
}
