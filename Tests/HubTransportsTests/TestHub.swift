import HubTestSupport
import HubTransports
import Hubs
import Hummingbird
import Logging
import NIOCore

/// The hub the transport tests talk to, and a server around it on port 0.
enum TestHub {
    static let path = "/testHub"
    static let recordSeparator = "\u{1e}"

    static var definition: HubDefinition {
        var hub = HubDefinition(name: "TestHub")
        hub.on("Echo") { (_: HubCallerContext, text: String) -> String in text }
        hub.on("Broadcast") { (hub: HubCallerContext, text: String) in
            try await hub.clients.all.send("Receive", text)
        }
        hub.on("WhoAmI") { (hub: HubCallerContext) -> String in hub.userIdentifier ?? "(anonymous)" }
        hub.on("Sum") { (_: HubCallerContext, items: HubStream<Int>) -> Int in
            var sum = 0
            for try await item in items { sum += item }
            return sum
        }
        hub.stream("Count") { (_: HubCallerContext, count: Int) in
            AsyncStream<Int> { continuation in
                for index in 0..<count { continuation.yield(index) }
                continuation.finish()
            }
        }
        return hub
    }

    /// Runs a server hosting the test hub and gives `body` its port.
    static func withServer<Result: Sendable>(
        definition: HubDefinition = TestHub.definition, hubOptions: HubOptions = HubOptions(),
        routeOptions: HubRouteOptions = HubRouteOptions(), authenticate: HubAuthenticator? = nil,
        _ body: (Int) async throws -> Result
    ) async throws -> Result {
        var logger = Logger(label: "hub-transports-test")
        logger.logLevel = .warning
        let endpoint = HubEndpoint(definition: definition, options: hubOptions, logger: logger)
        let host = HubHost(logger: logger)
        host.addHub(endpoint, at: path, options: routeOptions, authenticate: authenticate)
        return try await TestServer.withHubs(
            host, logger: logger, configure: { router in router.get("/plain") { _, _ in "plain" } }, body)
    }

    /// Opens a WebSocket and completes the JSON (or other) handshake, checking the `{}` reply.
    static func connect(
        port: Int, query: String = "", protocolName: String = "json", headers: [(String, String)] = []
    ) async throws -> TestWebSocketClient {
        let client = try await TestWebSocketClient.connect(port: port, path: path + query, headers: headers)
        try await client.sendHandshake(protocolName)
        let reply = try await client.nextData()
        guard reply.payload == Array("{}\u{1e}".utf8) else {
            throw TestTimeoutError(
                description: "Unexpected handshake reply \(String(decoding: reply.payload, as: UTF8.self))")
        }
        return client
    }
}

extension HubRouteOptions {
    /// The default options with `path` driving WebSocket data.
    static func dataPath(_ path: HubWebSocketDataPath) -> HubRouteOptions {
        var options = HubRouteOptions()
        options.webSocketDataPath = path
        return options
    }
}
