import HubTransports
import Hubs
import Logging

/// What both sample nodes take from their command lines.
public struct LearningHubNodeOptions: Sendable {
    /// The address to bind (`127.0.0.1`).
    public var host: String = "127.0.0.1"
    /// The port to bind; 0 picks a free one (reported through `onListening`).
    public var port: Int
    /// A Redis URL for the backplane. Accepted, but the backplane comes in a later change: the
    /// node logs a warning and keeps its connections in memory.
    public var redisURL: String?
    /// The hub's options (ASP.NET Core's defaults).
    public var hubOptions = HubOptions()
    /// What drives the hub's WebSocket data: the NIO channel handler (default) or Hummingbird's
    /// async writer (`--websocket-path handler|async`).
    public var webSocketDataPath: HubWebSocketDataPath = .channelHandler
    /// The logger.
    public var logger: Logger

    /// Options binding `port`.
    public init(port: Int, logger: Logger) {
        self.port = port
        self.logger = logger
    }
}
