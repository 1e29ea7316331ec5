import NIOCore
import RESP
import Testing
import TestSupport

/// Expiry the differential corpus cannot pin down, because it happens inside the server on a timer.
@Suite struct ActiveExpiryTests {
    /// A key nobody reads goes away by active expiry (the cron's sampling), not only on access.
    ///
    /// There is no event a client can wait for when the server's cron removes a key, so this polls
    /// `DBSIZE` (which, as in Redis, counts a key until it is collected and never expires it itself)
    /// at most every 10 ms for at most 2 s. At the default `hz 10` the cron runs every 100 ms.
    @Test func unreadKeyDisappearsByActiveExpiry() async throws {
        let broker = try await TestBroker.start()
        let connection = try await RESPTestConnection.connect(port: broker.port)
        #expect(try await connection.call(["SET", "short", "v", "PX", "50"]).description == "+OK\\r\\n")
        #expect(try await connection.call(["SET", "long", "v", "EX", "100"]).description == "+OK\\r\\n")
        var size = ""
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(2))
        while clock.now < deadline {
            size = try await connection.call(["DBSIZE"]).description
            if size == ":1\\r\\n" { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(size == ":1\\r\\n", "the expired key was not collected within 2 s")
        let stats = try await connection.info("stats")
        // Collected by the cron, not by a lookup: no read touched either key.
        #expect(stats["expired_keys"] == "1")
        #expect(stats["keyspace_hits"] == "0")
        #expect(stats["keyspace_misses"] == "0")
        // The key with a far deadline stays (its TTL may have ticked down while we polled).
        let ttl = try await connection.call(["TTL", "long"]).value
        #expect(ttl == .integer(100) || ttl == .integer(99) || ttl == .integer(98))
        await connection.close()
        try await broker.stop()
    }

    /// Lazy expiry: a key read after its deadline is deleted by that read and counted.
    @Test func readAfterDeadlineDeletesAndCounts() async throws {
        let broker = try await TestBroker.start()
        let connection = try await RESPTestConnection.connect(port: broker.port)
        #expect(try await connection.call(["SET", "k", "v", "PXAT", "1"]).description == "+OK\\r\\n")
        #expect(try await connection.call(["GET", "k"]).description == "$-1\\r\\n")
        #expect(try await connection.call(["DBSIZE"]).description == ":0\\r\\n")
        #expect(try await connection.call(["SET", "k", "v"]).description == "+OK\\r\\n")
        #expect(try await connection.call(["GET", "k"]).description == "$1\\r\\nv\\r\\n")
        let stats = try await connection.info("stats")
        #expect(stats["expired_keys"] == "1")
        #expect(stats["keyspace_hits"] == "1")
        #expect(stats["keyspace_misses"] == "1")
        await connection.close()
        try await broker.stop()
    }
}
