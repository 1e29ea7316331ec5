import HubTransports
import Hubs
import Logging
import RedisClient

/// What both sample nodes take from their command lines.
public struct LearningHubNodeOptions: Sendable {
    /// The address to bind (`127.0.0.1`).
    public var host: String = "127.0.0.1"
    /// The port to bind; 0 picks a free one (reported through `onListening`).
    public var port: Int
    /// The Redis backplane's server (the bundled broker or any Redis); `nil` keeps the hub's
    /// connections in memory on this node alone.
    public var redis: RedisClientConfiguration?
    /// StackExchange.Redis's `ChannelPrefix` for the backplane's channels ("" for none).
    public var channelPrefix = ""
    /// The hub's options (ASP.NET Core's defaults).
    public var hubOptions = HubOptions()
    /// What drives the hub's WebSocket data: the NIO channel handler writing straight to the
    /// socket while nothing is queued (default), the same handler writing everything through the
    /// channel, or Hummingbird's async writer (`--websocket-path direct|handler|async`).
    public var webSocketDataPath: HubWebSocketDataPath = .direct
    /// How the hub is served over HTTP: its transports and their timeouts. `web-node` sets the
    /// book's node 1 (WebSockets and long polling, no Server-Sent Events; 10 s polls, a 3 s
    /// WebSocket close timeout); `api-node` keeps ASP.NET Core's defaults, as node 2 does.
    public var routeOptions = HubRouteOptions()
    /// The logger.
    public var logger: Logger

    /// Options binding `port`.
    public init(port: Int, logger: Logger) {
        self.port = port
        self.logger = logger
    }
}
