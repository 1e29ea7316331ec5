import NIOCore
import RESP
import Testing
import TestSupport

@Suite struct BrokerSmokeTests {
    @Test func pingAndPublishAgainstReference() async throws {
        let broker = try await TestBroker.start()
        let connection = try await RESPTestConnection.connect(port: broker.port)
        #expect(try await connection.call(["PING"]).description == "+PONG\\r\\n")
        #expect(try await connection.call(["PUBLISH", "a", "b"]).description == ":0\\r\\n")
        await connection.close()
        try await broker.stop()
    }

    @Test("stopping a stopped broker returns at once")
    func stopTwice() async throws {
        let broker = try await TestBroker.start()
        try await broker.stop()
        // The second call used to schedule on the shut-down event loop and never return.
        try await broker.stop()
    }
}
