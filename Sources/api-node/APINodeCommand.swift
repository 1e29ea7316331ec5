import ArgumentParser
import HubTransports
import Hummingbird
import LearningHubNodes
import Logging

/// `api-node`: the LearningHub plus an HTTP API that sends to its clients (node 2 of the book's
/// chapter 9, with an API instead of a page).
@main
struct APINodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-node",
        abstract: "Serve the LearningHub at /learningHub, with an HTTP API that sends to its clients.",
        discussion: """
            POST /api/messages with a JSON body {"target": "all" | "connection" | "group" | "user", "connectionId" / "group" / "user": "...", "excluding": ["id", ...], "method": "ReceiveMessage", "arguments": [any JSON ...]} sends a hub invocation through the hub context (202). POST and DELETE /api/groups/GROUP/connections/ID add a connection to a group and remove it (204). Errors are {"error": "..."} with 400, 404, 413 or 415. GET /health answers 200.

            Clients negotiate at POST /learningHub/negotiate (versions 0 and 1) or open a WebSocket at /learningHub directly (JSON in text frames, MessagePack in binary frames).

            Once listening, the node prints "api-node listening on http://HOST:PORT" (useful with --port 0). SIGINT or SIGTERM closes every hub connection with a Close message, then stops the node.
            """)

    @Option(help: "The port to listen on; 0 picks a free port.")
    var port: Int = 5280

    @Option(help: "The address to bind.")
    var host: String = "127.0.0.1"

    @Option(
        help: "A Redis URL for the backplane (accepted; the backplane is not wired yet, so the node runs in memory).")
    var redis: String?

    @Option(
        name: .customLong("websocket-path"),
        help:
            "What drives hub WebSocket data: 'handler' (an NIO channel handler, the default) or 'async' (Hummingbird's async WebSocket writer)."
    )
    var webSocketPath: HubWebSocketDataPath = .channelHandler

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535.") }
        guard NodeCommandSupport.logger(label: "api-node", level: logLevel) != nil else {
            throw ValidationError("Unknown --log-level '\(logLevel)'.")
        }
    }

    func run() async throws {
        let logger = NodeCommandSupport.logger(label: "api-node", level: logLevel)!
        var options = LearningHubNodeOptions(port: port, logger: logger)
        options.host = host
        options.redisURL = redis
        options.webSocketDataPath = webSocketPath
        let host = self.host
        let app = APINode.makeApplication(options: options) { port in
            NodeCommandSupport.announce(NodeCommandSupport.listeningLine(name: "api-node", host: host, port: port))
        }
        try await app.runService()
    }
}

/// `--websocket-path handler|async`.
extension HubWebSocketDataPath: ExpressibleByArgument {}
