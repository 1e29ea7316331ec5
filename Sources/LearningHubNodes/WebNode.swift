import Hubs
import LearningHub
import HubTransports
import Hummingbird
import Logging

/// Node 1 of the book's chapter 9: the LearningHub, and an index page whose every opening sends
/// `Index page has been opened by a client.` to all of the hub's clients.
public enum WebNode {
    /// The text `GET /` sends (learninghub.md §6).
    public static let indexMessage = "Index page has been opened by a client."

    /// Builds the node's application; `onListening` gets the bound port.
    public static func makeApplication(
        options: LearningHubNodeOptions, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        var options = options
        options.routeOptions.transports = [.webSockets, .longPolling]
        options.routeOptions.longPollingTimeout = .seconds(10)
        options.routeOptions.webSocketCloseTimeout = .seconds(3)
        let parts = LearningHubNode.makeHub(options)
        let router = LearningHubNode.makeRouter(parts)
        let context = parts.endpoint.context
        let logger = options.logger
        router.get("/") { _, _ -> Response in
            do {
                try await context.clients.all.send("ReceiveMessage", indexMessage)
            } catch {
                // The page still opens; the message is what failed.
                logger.error("The index message could not be sent", metadata: ["error": "\(error)"])
            }
            return Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: chatPage)))
        }
        return LearningHubNode.makeApplication(router: router, parts: parts, options: options, onListening: onListening)
    }
}
