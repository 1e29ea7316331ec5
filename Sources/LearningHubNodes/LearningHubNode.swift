import CBrokerSupport
import Foundation
import HubBackplane
import Hubs
import HubTransports
import Hummingbird
import LearningHub
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The parts both sample nodes share: the LearningHub at `/learningHub`, `GET /health`, and the
/// Hummingbird application around them.
enum LearningHubNode {
    /// The hub's path, as in the book's apps.
    static let hubPath = "/learningHub"

    /// What a node is made of: the hub's endpoint, the host serving it, and the backplane when
    /// the node has one.
    struct Parts {
        let endpoint: HubEndpoint
        let host: HubHost
        let backplane: RedisHubLifetimeManager?
    }

    /// Makes the endpoint, with the Redis backplane when `options.redis` is set, and a host
    /// serving it.
    static func makeHub(_ options: LearningHubNodeOptions) -> Parts {
        let definition = LearningHub.definition()
        let backplane = options.redis.map { redis in
            RedisHubLifetimeManager(
                hubName: definition.name,
                options: RedisHubLifetimeManagerOptions(redis: redis, channelPrefix: options.channelPrefix),
                logger: options.logger)
        }
        if let backplane {
            options.logger.info(
                "Redis backplane",
                metadata: [
                    "redis": "\(backplane.options.redis.url)", "server": "\(backplane.serverName)",
                    "channels": "\(backplane.channels.all)",
                ])
        }
        let endpoint = HubEndpoint(
            definition: definition, options: options.hubOptions, lifetimeManager: backplane, logger: options.logger)
        let host = HubHost(logger: options.logger)
        var routeOptions = options.routeOptions
        routeOptions.webSocketDataPath = options.webSocketDataPath
        host.addHub(endpoint, at: hubPath, options: routeOptions)
        return Parts(endpoint: endpoint, host: host, backplane: backplane)
    }

    /// A router with the hub's HTTP requests and `GET /health`: `{"status":"ok"}`, and with a
    /// backplane `{"status":"ok"|"degraded","backplane":"…"}` — degraded (still 200: the node
    /// serves its own clients) while Redis is unreachable.
    static func makeRouter(_ parts: Parts) -> Router<BasicRequestContext> {
        let router = Router()
        router.addHubs(parts.host)
        let backplane = parts.backplane
        router.get("/health") { _, _ in
            guard let backplane else { return jsonResponse(.ok, "{\"status\":\"ok\"}") }
            let status = backplane.isConnected ? "ok" : "degraded"
            return jsonResponse(
                .ok, "{\"status\":\"\(status)\",\"backplane\":\"\(backplane.connectionDescription)\"}")
        }
        return router
    }

    /// The application: HTTP/1.1 with the hub's WebSockets, the host as a service (so graceful
    /// shutdown closes hub connections with a Close message), and the backplane (shut down after
    /// the host, so the connections' goodbyes still reach Redis).
    static func makeApplication(
        router: Router<BasicRequestContext>, parts: Parts, options: LearningHubNodeOptions,
        onListening: @escaping @Sendable (Int) async -> Void
    ) -> Application<RouterResponder<BasicRequestContext>> {
        var services: [any Service] = []
        if let backplane = parts.backplane { services.append(backplane) }
        services.append(parts.host)
        return Application(
            router: router, server: .hubs(parts.host),
            configuration: ApplicationConfiguration(address: .hostname(options.host, port: options.port)),
            services: services,
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? options.port) },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: options.logger)
    }

    /// The hub connections' event loops: one per CPU the process may run on (its affinity mask,
    /// as `taskset` or a cpuset sets it), where NIO's shared group has one per CPU of the machine.
    /// A node pinned to one core then runs one loop, not two taking turns on that core.
    /// `NIO_SINGLETON_GROUP_LOOP_COUNT`, NIO's own setting for its shared group, still decides
    /// when it is set.
    static let eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup._makePerpetualGroup(
        threadNamePrefix: "NIO-HUB-", numberOfThreads: eventLoopCount)

    static var eventLoopCount: Int {
        if let text = ProcessInfo.processInfo.environment["NIO_SINGLETON_GROUP_LOOP_COUNT"], let count = Int(text),
            count > 0
        {
            return count
        }
        return Int(switchboard_allowed_cpus())
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
