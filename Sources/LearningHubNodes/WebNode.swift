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
                body: ResponseBody(byteBuffer: ByteBuffer(string: indexPage)))
        }
        return LearningHubNode.makeApplication(router: router, parts: parts, options: options, onListening: onListening)
    }

    /// A minimal page: it opens a WebSocket to the hub without negotiating (JSON protocol) and
    /// lists every `ReceiveMessage`, with a box to broadcast.
    static let indexPage = """
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><title>Switchboard LearningHub</title></head>
        <body>
        <h1>LearningHub</h1>
        <p>Hub at <code>/learningHub</code>. Messages:</p>
        <input id="text" placeholder="message"> <button id="send">Broadcast</button>
        <ul id="messages"></ul>
        <script>
        const rs = "\\u001e";
        const list = document.getElementById("messages");
        const show = (text) => { const li = document.createElement("li"); li.textContent = text; list.prepend(li); };
        const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/learningHub";
        const socket = new WebSocket(url);
        socket.onopen = () => socket.send(JSON.stringify({ protocol: "json", version: 1 }) + rs);
        socket.onmessage = (event) => {
          for (const part of String(event.data).split(rs)) {
            if (!part) continue;
            const message = JSON.parse(part);
            if (message.type === 1 && message.target === "ReceiveMessage") show(message.arguments[0]);
            if (message.type === 6) socket.send(JSON.stringify({ type: 6 }) + rs);
            if (message.type === 7) show("(connection closed" + (message.error ? ": " + message.error : "") + ")");
          }
        };
        document.getElementById("send").onclick = () => {
          const text = document.getElementById("text").value;
          socket.send(JSON.stringify({ type: 1, target: "BroadcastMessage", arguments: [text] }) + rs);
        };
        </script>
        </body>
        </html>

        """
}
