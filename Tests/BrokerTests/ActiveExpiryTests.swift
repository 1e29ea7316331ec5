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

    /// `INFO keyspace`'s `avg_ttl` is the expiry cron's running estimate of the time left on keys
    /// with an expiry (Redis's `activeExpireCycle`): it appears once the cron has sampled them
    /// and lies within the TTLs set; it goes back to 0 once no key has an expiry. Polled like
    /// `DBSIZE` above (at most every 10 ms, at most 2 s), since the cron gives no event.
    @Test func averageTTLFollowsTheKeysWithAnExpiry() async throws {
        let broker = try await TestBroker.start()
        let connection = try await RESPTestConnection.connect(port: broker.port)
        for i in 0..<50 {
            _ = try await connection.call(["SET", "k\(i)", "v", "EX", "\(50 + i)"])
        }
        func averageTTL() async throws -> Int? {
            let line = try await connection.info("keyspace")["db0"] ?? ""
            return line.split(separator: ",").first { $0.hasPrefix("avg_ttl=") }.flatMap { Int($0.dropFirst(8)) }
        }
        func poll(until condition: (Int) -> Bool) async throws -> Int? {
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: .seconds(2))
            var value = try await averageTTL()
            while clock.now < deadline, !(value.map(condition) ?? false) {
                try await Task.sleep(for: .milliseconds(10))
                value = try await averageTTL()
            }
            return value
        }
        let estimate = try await poll { $0 > 0 }
        #expect(estimate.map { (48_000...99_000).contains($0) } == true, "avg_ttl \(String(describing: estimate))")
        _ = try await connection.call(["SET", "plain", "v"])
        for i in 0..<50 { _ = try await connection.call(["PERSIST", "k\(i)"]) }
        let cleared = try await poll { $0 == 0 }
        #expect(cleared == 0)
        await connection.close()
        try await broker.stop()
    }
}
