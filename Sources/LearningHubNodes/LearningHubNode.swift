import Hubs
import LearningHub
import HubTransports
import Hummingbird
import Logging
import NIOCore

/// The parts both sample nodes share: the LearningHub at `/learningHub`, `GET /health`, and the
/// Hummingbird application around them.
enum LearningHubNode {
    /// The hub's path, as in the book's apps.
    static let hubPath = "/learningHub"

    /// Makes the endpoint and a host serving it.
    static func makeHub(_ options: LearningHubNodeOptions) -> (HubEndpoint, HubHost) {
        if let redis = options.redisURL {
            options.logger.warning(
                "The Redis backplane is not available yet: connections stay on this node, in memory",
                metadata: ["redis": "\(redis)"])
        }
        let endpoint = HubEndpoint(
            definition: LearningHub.definition(), options: options.hubOptions, logger: options.logger)
        let host = HubHost(logger: options.logger)
        var routeOptions = HubRouteOptions()
        routeOptions.webSocketDataPath = options.webSocketDataPath
        host.addHub(endpoint, at: hubPath, options: routeOptions)
        return (endpoint, host)
    }

    /// A router with the hub's HTTP requests and `GET /health`.
    static func makeRouter(host: HubHost) -> Router<BasicRequestContext> {
        let router = Router()
        router.addHubs(host)
        router.get("/health") { _, _ in
            jsonResponse(.ok, "{\"status\":\"ok\"}")
        }
        return router
    }

    /// The application: HTTP/1.1 with the hub's WebSockets, the host as a service (so graceful
    /// shutdown closes hub connections with a Close message).
    static func makeApplication(
        router: Router<BasicRequestContext>, host: HubHost, options: LearningHubNodeOptions,
        onListening: @escaping @Sendable (Int) async -> Void
    ) -> Application<RouterResponder<BasicRequestContext>> {
        Application(
            router: router, server: .hubs(host),
            configuration: ApplicationConfiguration(address: .hostname(options.host, port: options.port)),
            services: [host],
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? options.port) },
            logger: options.logger)
    }

    static func jsonResponse(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func jsonError(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case _ where scalar.value < 0x20: escaped += " "
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return jsonResponse(status, "{\"error\":\"\(escaped)\"}")
    }
}
