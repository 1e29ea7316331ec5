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

            Once listening, the node prints "web-node listening on http://HOST:PORT" (useful with --port 0). SIGINT or SIGTERM closes every hub connection with a Close message that lets clients with automatic reconnect reconnect (to another node, behind a load balancer), then stops the node.
            """)

    @Option(help: "The port to listen on; 0 picks a free port.")
    var port: Int = 5128

    @OptionGroup var node: NodeCommandOptions

    func validate() throws {
        try node.validate(port: port)
    }

    func run() async throws {
        let app = WebNode.makeApplication(
            options: node.nodeOptions(name: "web-node", port: port), onListening: node.announcer(name: "web-node"))
        try await app.runService()
    }
}
