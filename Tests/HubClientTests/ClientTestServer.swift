import HubProtocol
import HubTestSupport
import HubTransports
import Hubs
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The hub the client tests call, and servers around it on port 0.
enum ClientTestHub {
    static let path = "/clientHub"

    /// What the hub saw that a test waits for (a stream cancelled, a stream upload's items).
    static func definition(events: TestEventQueue<String>) -> HubDefinition {
        var hub = HubDefinition(name: "ClientTestHub")
        hub.on("Echo") { (_: HubCallerContext, text: String) -> String in text }
        hub.on("Add") { (_: HubCallerContext, a: Int, b: Int) -> Int in a + b }
        hub.on("Mirror") { (_: HubCallerContext, point: Point) -> Point in Point(x: point.y, y: point.x) }
        hub.on("Nothing") { (_: HubCallerContext) in }
        hub.on("Fails") { (_: HubCallerContext) in throw HubError("not today") }
        hub.on("Broadcast") { (hub: HubCallerContext, text: String) in
            try await hub.clients.all.send("Receive", text, hub.connectionId)
        }
        hub.on("Record") { (_: HubCallerContext, text: String) in events.push("record \(text)") }
        hub.on("WhoAmI") { (hub: HubCallerContext) -> String in hub.userIdentifier ?? "(anonymous)" }
        hub.on("Sum") { (_: HubCallerContext, numbers: HubStream<Int>) -> Int in
            var total = 0
            for try await number in numbers { total += number }
            return total
        }
        hub.on("Concat") { (_: HubCallerContext, separator: String, words: HubStream<String>) -> String in
            var all: [String] = []
            for try await word in words { all.append(word) }
            return all.joined(separator: separator)
        }
        hub.on("AskCaller") { (hub: HubCallerContext, question: String) -> String in
            try await hub.clients.caller.invoke("Answer", question, returning: String.self)
        }
        hub.stream("Count") { (_: HubCallerContext, count: Int) in
            AsyncStream<Int> { continuation in
                for index in 1...max(1, count) { continuation.yield(index) }
                continuation.finish()
            }
        }
        hub.stream("StreamFails") { (_: HubCallerContext) in
            AsyncThrowingStream<Int, any Error> { continuation in
                continuation.yield(1)
                continuation.finish(throwing: HubError("stream broke"))
            }
        }
        hub.stream("Forever") { (_: HubCallerContext) in
            AsyncStream<Int> { continuation in
                let task = Task {
                    var index = 0
                    while !Task.isCancelled {
                        continuation.yield(index)
                        index += 1
                        try? await Task.sleep(for: .milliseconds(20))
                    }
                    continuation.finish()
                }
                continuation.onTermination = { _ in
                    task.cancel()
                    events.push("Forever ended")
                }
            }
        }
        return hub
    }

    /// A server on port 0 hosting the hub at ``path``; `configure` adds routes to the router.
    static func withServer<Result: Sendable>(
        events: TestEventQueue<String> = TestEventQueue(), hubOptions: HubOptions = HubOptions(),
        authenticate: HubAuthenticator? = nil,
        configure: (Router<BasicRequestContext>) -> Void = { _ in },
        _ body: (Int) async throws -> Result
    ) async throws -> Result {
        let logger = quietLogger()
        let endpoint = HubEndpoint(definition: definition(events: events), options: hubOptions, logger: logger)
        let host = HubHost(logger: logger)
        host.addHub(endpoint, at: path, authenticate: authenticate)
        return try await TestServer.withHubs(host, logger: logger, configure: configure, body)
    }

    static func quietLogger() -> Logger {
        var logger = Logger(label: "hub-client-test")
        logger.logLevel = .warning
        return logger
    }
}

/// A value with named fields, to check objects both ways.
struct Point: Codable, Sendable, Equatable {
    var x: Int
    var y: Int
}
