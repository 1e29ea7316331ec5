import NIOCore
import RESP
import Testing
import TestSupport

/// Expiry the differential corpus cannot pin down, because it happens inside the server on a timer.
@Suite struct ActiveExpiryTests {
    /// A key nobody reads goes away by active expiry (the cron's sampling), not only on access.
    /// At the default `hz 10` the cron runs every 100 ms; `pollDBSize` says why this polls.
    @Test func unreadKeyDisappearsByActiveExpiry() async throws {
        let broker = try await TestBroker.start()
        let connection = try await RESPTestConnection.connect(port: broker.port)
        #expect(try await connection.call(["SET", "short", "v", "PX", "50"]).description == "+OK\\r\\n")
        #expect(try await connection.call(["SET", "long", "v", "EX", "100"]).description == "+OK\\r\\n")
        let size = try await Self.pollDBSize(on: connection) { $0 == 1 }
        #expect(size == 1, "the expired key was not collected within 10 s")
        let stats = try await connection.info("stats")
        // Collected by the cron, not by a lookup: no read touched either key.
        #expect(stats["expired_keys"] == "1")
        #expect(stats["keyspace_hits"] == "0")
        #expect(stats["keyspace_misses"] == "0")
        // The key with a far deadline stays (its TTL may have ticked down while we polled).
        let ttl = try await connection.call(["TTL", "long"]).value
        if case .integer(let seconds) = ttl {
            #expect((90...100).contains(seconds), "TTL \(seconds)")
        } else {
            Issue.record("TTL replied \(ttl)")
        }
        await connection.close()
        try await broker.stop()
    }

    /// Keys with the latest deadline Redis accepts are sampled by the cron like any other: the sums
    /// of their time left wrap, as Redis's `long long` sums do, rather than trapping on overflow
    /// and taking the broker down (which two such keys did).
    @Test func farDeadlinesDoNotStopTheCron() async throws {
        let broker = try await TestBroker.start()
        let connection = try await RESPTestConnection.connect(port: broker.port)
        // One far key, then three short-lived ones, and again: every round of 20 samples holds
        // both kinds, so each round's sum of time left overflows, and as more than 10% of each
        // round has expired, the cycle runs round after round and adds their sums up.
        let far = "9223372036854775807"
        let replies = try await connection.pipeline(
            (0..<100).flatMap { i in
                [["SET", "far\(i)", "v", "PXAT", far]] + (0..<3).map { ["SET", "short\(i).\($0)", "v", "PX", "50"] }
            }.map { $0.map { Array($0.utf8) } })
        #expect(replies.allSatisfy { $0.description == "+OK\\r\\n" })
        // The first cycle collects most short keys (the last few may take many cycles to be drawn).
        let size = try await Self.pollDBSize(on: connection) { $0 <= 130 }
        #expect(size <= 130, "the expired keys were not collected within 10 s")
        #expect(try await connection.call(["PING"]).description == "+PONG\\r\\n")
        let exists = try await connection.call(["EXISTS"] + (0..<100).map { "far\($0)" })
        #expect(exists.description == ":100\\r\\n")
        await connection.close()
        try await broker.stop()
    }

    /// `DBSIZE` once it satisfies `done`, or after 10 s (a bound for a loaded machine). There is no event a client can wait for
    /// when the server's cron removes a key, so this polls (at most every 10 ms); `DBSIZE`, as in
    /// Redis, counts a key until it is collected and never expires it itself.
    static func pollDBSize(on connection: RESPTestConnection, until done: (Int) -> Bool) async throws -> Int {
        var size = -1
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(10))
        while clock.now < deadline {
            let reply = try await connection.call(["DBSIZE"])
            guard case .integer(let n) = reply.value else { throw TestSupportError("DBSIZE replied \\(reply)") }
            size = Int(n)
            if done(size) { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        return size
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
    /// `DBSIZE` above (at most every 10 ms, at most 10 s), since the cron gives no event.
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
            let deadline = clock.now.advanced(by: .seconds(10))
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
