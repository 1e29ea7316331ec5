import HubTestSupport
import HubTransports
import Hubs
import Hummingbird
import Logging
import NIOCore
import Testing

@Suite("Several hubs on one node")
struct SeveralHubsTests {
    @Test("two hubs on their own paths keep their methods, connections and broadcasts apart")
    func twoHubs() async throws {
        var logger = Logger(label: "several-hubs-test")
        logger.logLevel = .warning
        var chat = HubDefinition(name: "Chat")
        chat.on("Say") { (hub: HubCallerContext, text: String) in try await hub.clients.all.send("Said", text) }
        var clock = HubDefinition(name: "Clock")
        clock.on("Now") { (_: HubCallerContext) in "tick" }
        let chatEndpoint = HubEndpoint(definition: chat, logger: logger)
        let clockEndpoint = HubEndpoint(definition: clock, logger: logger)
        let host = HubHost(logger: logger)
        host.addHub(chatEndpoint, at: "/chat")
        host.addHub(clockEndpoint, at: "/clock")
        try await TestServer.withHubs(host, logger: logger) { port in
            func open(_ path: String) async throws -> TestWebSocketClient {
                let client = try await TestWebSocketClient.connect(port: port, path: path)
                try await client.sendHandshake()
                #expect(try await client.nextText() == "{}\u{1e}")
                return client
            }
            let chatter = try await open("/chat")
            let watcher = try await open("/clock")
            try await chatter.sendText(#"{"type":1,"invocationId":"1","target":"Say","arguments":["hi"]}"# + "\u{1e}")
            #expect(try await chatter.nextMessage() == #"{"type":1,"target":"Said","arguments":["hi"]}"#)
            #expect(try await chatter.nextMessage() == #"{"type":3,"invocationId":"1"}"#)
            try await watcher.sendText(#"{"type":1,"invocationId":"2","target":"Say","arguments":["x"]}"# + "\u{1e}")
            #expect(
                try await watcher.nextMessage()
                    == #"{"type":3,"invocationId":"2","error":"Failed to invoke 'Say' due to an error on the server. HubException: Method does not exist."}"#
            )
            try await watcher.sendText(#"{"type":1,"invocationId":"3","target":"now","arguments":[]}"# + "\u{1e}")
            #expect(try await watcher.nextMessage() == #"{"type":3,"invocationId":"3","result":"tick"}"#)
            await chatter.disconnect()
            await watcher.disconnect()
        }
    }
}
