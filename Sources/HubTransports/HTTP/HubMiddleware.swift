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
        let uri = HubRequestURI(request.uri.string)
        guard let route = host.route(path: uri.path) else { return try await next(request, context) }
        guard let cors = route.hub.options.cors else { return await respond(request, uri: uri, route: route, context) }
        let origin = request.headers[.origin]
        if request.method == .options, let method = request.headers[.accessControlRequestMethod] {
            // A browser's preflight for negotiate, a send or a DELETE.
            let fields = cors.preflightHeaders(
                origin: origin, method: method, headers: request.headers[.accessControlRequestHeaders])
            return Response(status: .noContent, headers: fields)
        }
        var response = await respond(request, uri: uri, route: route, context)
        for field in cors.responseHeaders(origin: origin) { response.headers[field.name] = field.value }
        return response
    }

    private func respond(
        _ request: Request, uri: HubRequestURI, route: HubHost.Route, _ context: Context
    ) async
        -> Response
    {
        let remote = (context as? any RemoteAddressRequestContext)?.remoteAddress
        let headers = request.headers.map { (name: $0.name.rawName, value: $0.value) }
        if [.get, .post, .delete].contains(request.method), case .connection(let hub) = route {
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
        let response =
            await host.respond(
                method: request.method, target: request.uri.string, headers: headers, remoteAddress: remote)
            ?? .text(.notFound)
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
