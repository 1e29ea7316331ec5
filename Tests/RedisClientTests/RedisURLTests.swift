import NIOCore
import NIOPosix
import RedisClient
import Testing

/// The event loops the client tests run their clients on: their own, so a long task another suite
/// runs on NIO's shared singleton loops cannot delay their replies; and generous connect
/// timeouts, as the whole suite runs in parallel on two cores.
enum TestClients {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    static let connectTimeout = TimeAmount.seconds(30)
}

@Suite struct RedisURLTests {
    @Test(arguments: [
        ("redis://localhost", RedisURL(endpoint: .tcp(host: "localhost", port: 6379))),
        ("redis://", RedisURL(endpoint: .tcp(host: "localhost", port: 6379))),
        ("redis://127.0.0.1:6380/2", RedisURL(endpoint: .tcp(host: "127.0.0.1", port: 6380), database: 2)),
        ("REDIS://h:1/", RedisURL(endpoint: .tcp(host: "h", port: 1))),
        ("redis://[::1]:7000", RedisURL(endpoint: .tcp(host: "::1", port: 7000))),
        ("redis://[::1]", RedisURL(endpoint: .tcp(host: "::1", port: 6379))),
        ("redis://secret@h", RedisURL(endpoint: .tcp(host: "h", port: 6379), password: "secret")),
        ("redis://:secret@h", RedisURL(endpoint: .tcp(host: "h", port: 6379), password: "secret")),
        (
            "redis://alice:p%40ss%3Aw@h:1/3",
            RedisURL(endpoint: .tcp(host: "h", port: 1), username: "alice", password: "p@ss:w", database: 3)
        ),
        ("redis://a:b@c@h", RedisURL(endpoint: .tcp(host: "h", port: 6379), username: "a", password: "b@c")),
        ("rediss://h:6390", RedisURL(endpoint: .tcp(host: "h", port: 6390), usesTLS: true)),
        ("unix:///tmp/redis.sock", RedisURL(endpoint: .unixSocket(path: "/tmp/redis.sock"))),
        ("unix:///tmp/r%20s.sock?db=4", RedisURL(endpoint: .unixSocket(path: "/tmp/r s.sock"), database: 4)),
        ("unix://:pw@/tmp/s", RedisURL(endpoint: .unixSocket(path: "/tmp/s"), password: "pw")),
        ("redis://h?db=5", RedisURL(endpoint: .tcp(host: "h", port: 6379), database: 5)),
    ])
    func parses(_ text: String, _ expected: RedisURL) throws {
        #expect(try RedisURL(text) == expected)
    }

    @Test(arguments: [
        "localhost:6379", "http://h", "redis://h:0", "redis://h:65536", "redis://h:x", "redis://h/-1",
        "redis://h/x", "redis://[::1", "redis://[::1]x", "unix://relative", "unix://", "redis://h?foo=1",
        "redis://h?db=x", "redis://h/1?db=2", "redis://h#frag", "redis://%zz@h", "redis://a:%4@h",
    ])
    func refuses(_ text: String) {
        #expect {
            try RedisURL(text)
        } throws: { error in
            (error as? RedisClientError)?.code == .invalidURL
        }
    }

    @Test func errorsAndDescriptionHideThePassword() throws {
        do {
            _ = try RedisURL("redis://user:topsecret@h:x")
            Issue.record("expected an error")
        } catch {
            #expect(!error.message.contains("topsecret"))
            #expect(error.message.contains("redis://***@h:x"))
        }
        let url = try RedisURL("redis://user:topsecret@h:7/1")
        #expect(url.description == "redis://user:***@h:7/1")
        #expect(try RedisURL("redis://[::1]:7").description == "redis://[::1]:7")
    }

    @Test func backoffGrowsToItsCapWithJitter() {
        let policy = RedisClientConfiguration.Reconnect(
            initialDelay: .milliseconds(100), maximumDelay: .seconds(1), multiplier: 2)
        var generator = SystemRandomNumberGenerator()
        for (attempt, full) in [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1000), (50, 1000)] {
            for _ in 0..<20 {
                let ms = policy.delay(attempt: attempt, using: &generator).nanoseconds / 1_000_000
                #expect(ms >= Int64(full / 2) && ms <= Int64(full), "attempt \(attempt): \(ms) ms")
            }
        }
    }
}
