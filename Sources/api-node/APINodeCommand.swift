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

            Once listening, the node prints "api-node listening on http://HOST:PORT" (useful with --port 0). SIGINT or SIGTERM closes every hub connection with a Close message that lets clients with automatic reconnect reconnect (to another node, behind a load balancer), then stops the node.
            """)

    @Option(help: "The port to listen on; 0 picks a free port.")
    var port: Int = 5280

    @OptionGroup var node: NodeCommandOptions

    func validate() throws {
        try node.validate(port: port)
    }

    func run() async throws {
        let app = APINode.makeApplication(
            options: node.nodeOptions(name: "api-node", port: port), onListening: node.announcer(name: "api-node"))
        try await app.runService()
    }
}
