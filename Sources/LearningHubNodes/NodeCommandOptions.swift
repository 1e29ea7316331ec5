import ArgumentParser
import HubTransports
import Logging

/// The flags both node commands take besides `--port` (whose default differs per node).
public struct NodeCommandOptions: ParsableArguments {
    @Option(help: "The address to bind.")
    public var host: String = "127.0.0.1"

    @Option(
        help: "A Redis URL for the backplane (accepted; the backplane is not wired yet, so the node runs in memory).")
    public var redis: String?

    @Option(
        name: .customLong("websocket-path"),
        help:
            "What drives hub WebSocket data: 'handler' (an NIO channel handler, the default) or 'async' (Hummingbird's async WebSocket writer)."
    )
    public var webSocketPath: HubWebSocketDataPath = .channelHandler

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    public var logLevel: String = "info"

    /// Flags as parsed.
    public init() {}

    /// Checks the port (given apart) and the log level.
    public func validate(port: Int) throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535.") }
        guard NodeCommandSupport.logger(label: "node", level: logLevel) != nil else {
            throw ValidationError("Unknown --log-level '\(logLevel)'.")
        }
    }

    /// The node's options, logging under `name`.
    public func nodeOptions(name: String, port: Int) -> LearningHubNodeOptions {
        let logger = NodeCommandSupport.logger(label: name, level: logLevel) ?? Logger(label: name)
        var options = LearningHubNodeOptions(port: port, logger: logger)
        options.host = host
        options.redisURL = redis
        options.webSocketDataPath = webSocketPath
        return options
    }

    /// Prints `<name> listening on http://<host>:<port>` once the node listens.
    public func announcer(name: String) -> @Sendable (Int) async -> Void {
        let host = self.host
        return { port in
            NodeCommandSupport.announce(NodeCommandSupport.listeningLine(name: name, host: host, port: port))
        }
    }
}

/// `--websocket-path handler|async`.
extension HubWebSocketDataPath: ExpressibleByArgument {}
