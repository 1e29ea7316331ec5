import HTTPTypes
import Hummingbird
import NIOCore

/// Answers the plain HTTP requests of `host`'s hubs (negotiate, and the rest at each hub path) in
/// a router; other requests pass through.
///
/// A middleware rather than routes because a hub path answers every method (405 for most),
/// which the router cannot express; it also sees requests to unrouted paths, so it may be added
/// before or after the application's own routes.
public struct HubMiddleware<Context: RequestContext>: RouterMiddleware {
    let host: HubHost

    /// A middleware for `host`.
    public init(host: HubHost) {
        self.host = host
    }

    /// Answers a hub request or passes the request on.
    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let remote = (context as? any RemoteAddressRequestContext)?.remoteAddress
        let headers = request.headers.map { (name: $0.name.rawName, value: $0.value) }
        let uri = HubRequestURI(request.uri.string)
        if [.get, .post, .delete].contains(request.method), case .connection(let hub)? = host.route(path: uri.path) {
            // The transports' own requests: Server-Sent Events, long polls, sends and DELETE.
            let connectionRequest = HubHost.connectionRequest(uri: uri, headers: headers, remoteAddress: remote)
            guard let user = await hub.user(for: connectionRequest, uri: uri) else {
                return HubHost.response(.unauthorized)
            }
            var request = request
            return await host.transportResponse(
                hub, method: request.method, uri: uri, request: connectionRequest, user: user,
                collectBody: { try await request.collectBody(upTo: $0) })
        }
        guard
            let response = await host.respond(
                method: request.method, target: request.uri.string, headers: headers, remoteAddress: remote)
        else {
            return try await next(request, context)
        }
        return HubHost.response(response)
    }
}

extension Router {
    /// Serves the plain HTTP requests of `host`'s hubs (use ``HubHost`` with
    /// `HTTPServerBuilder.hubs(_:)` for their WebSockets).
    public func addHubs(_ host: HubHost) {
        add(middleware: HubMiddleware<Context>(host: host))
    }
}
