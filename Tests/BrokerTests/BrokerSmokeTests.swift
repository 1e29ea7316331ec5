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

    /// `INFO memory` follows the data: `used_memory` grows with the keys and falls after
    /// `FLUSHALL`, while `used_memory_peak` keeps the high-water mark.
    @Test func infoMemoryFollowsTheData() async throws {
        let broker = try await TestBroker.start()
        let connection = try await RESPTestConnection.connect(port: broker.port)
        func memory() async throws -> (used: Int, peak: Int) {
            let info = try await connection.info("memory")
            return (Int(info["used_memory"] ?? "") ?? -1, Int(info["used_memory_peak"] ?? "") ?? -1)
        }
        let before = try await memory()
        // The broker runs in this process and shares its heap, so the batch is freed before measuring.
        do {
            var batch = ByteBuffer()
            for i in 0..<50_000 {
                batch.writeImmutableBuffer(RESPValue.command(["SET", "key:\(i)", String(repeating: "v", count: 100)]))
            }
            try await connection.send(raw: batch)
            _ = try await connection.readReplies(50_000)
        }
        let loaded = try await memory()
        // At least the 100-byte values themselves (each a heap array of its own).
        #expect(loaded.used - before.used > 50_000 * 100, "used_memory \(before.used) → \(loaded.used)")
        #expect(loaded.peak >= loaded.used)
        _ = try await connection.call(["FLUSHALL"])
        let flushed = try await memory()
        #expect(flushed.used < loaded.used - 50_000 * 100)
        #expect(flushed.peak >= loaded.used)
        await connection.close()
        try await broker.stop()
    }
}
