import ArgumentParser
import HubTransports
import Hummingbird
import LearningHubNodes
import Logging

/// `web-node`: the LearningHub with its index page (node 1 of the book's chapter 9).
@main
struct WebNodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web-node",
        abstract: "Serve the LearningHub at /learningHub, with an index page that greets every hub client.",
        discussion: """
            GET / sends ReceiveMessage("Index page has been opened by a client.") to every client of the hub, then returns a small page that connects to the hub over WebSockets. GET /health answers 200.

            Clients negotiate at POST /learningHub/negotiate (versions 0 and 1) or open a WebSocket at /learningHub directly (JSON in text frames, MessagePack in binary frames).

            Once listening, the node prints "web-node listening on http://HOST:PORT" (useful with --port 0). SIGINT or SIGTERM closes every hub connection with a Close message, then stops the node.
            """)

    @Option(help: "The port to listen on; 0 picks a free port.")
    var port: Int = 5128

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
        guard NodeCommandSupport.logger(label: "web-node", level: logLevel) != nil else {
            throw ValidationError("Unknown --log-level '\(logLevel)'.")
        }
    }

    func run() async throws {
        let logger = NodeCommandSupport.logger(label: "web-node", level: logLevel)!
        var options = LearningHubNodeOptions(port: port, logger: logger)
        options.host = host
        options.redisURL = redis
        options.webSocketDataPath = webSocketPath
        let host = self.host
        let app = WebNode.makeApplication(options: options) { port in
            NodeCommandSupport.announce(NodeCommandSupport.listeningLine(name: "web-node", host: host, port: port))
        }
        try await app.runService()
    }
}

/// `--websocket-path handler|async`.
extension HubWebSocketDataPath: ExpressibleByArgument {}
