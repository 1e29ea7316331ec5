import NIOCore
import RESP
@testable import RedisClient
import Testing
import TestSupport

/// The typed helpers, through a `RedisClient` and a `RedisConnection`, in RESP2 and RESP3, against
/// redis-server and the broker.
///
/// Skipped on the broker only, until it has them: hashes (`HSET`, `HGETALL`) and sets (`SADD`,
/// `SREM`, `SMEMBERS`).
@Suite struct RedisCommandsTests {
    static let brokerLacks: Set<String> = ["hashes", "sets"]

    @Test(arguments: TestServerKind.allCases, [RedisClientConfiguration.ProtocolVersion.resp2, .resp3])
    func typedHelpers(_ kind: TestServerKind, _ version: RedisClientConfiguration.ProtocolVersion) async throws {
        guard kind.isAvailable else { return }
        let server = try await TestServer.start(kind)
        var configuration = try RedisClientConfiguration("redis://127.0.0.1:\(server.port)")
        configuration.connectTimeout = TestClients.connectTimeout
        configuration.protocolVersion = version
        let client = RedisClient(configuration: configuration, eventLoopGroup: TestClients.group)
        try await client.connect()
        let connection = try await RedisConnection.connect(
            configuration: configuration, eventLoop: TestClients.group.next())
        for sender in [client as any RedisCommandSender, connection] {
            try await Self.exercise(sender, on: kind)
            _ = try await sender.send(RedisCommand("FLUSHALL"))
        }
        await connection.close()
        await client.close()
        await server.stop()
    }

    static func exercise(_ redis: some RedisCommandSender, on kind: TestServerKind) async throws {
        #expect(try await redis.ping() == "PONG")
        #expect(try await redis.ping("hi") == "hi")

        #expect(try await redis.get("missing") == nil)
        #expect(try await redis.set("k", "v1"))
        #expect(try await redis.getString("k") == "v1")
        #expect(try await redis.set("k", "v2", condition: .ifNotExists) == false)
        #expect(try await redis.set("other", "x", condition: .ifExists) == false)
        #expect(try await redis.set("k", .bytes([0, 13, 10, 255]), condition: .ifExists))
        #expect(try await redis.get("k") == ByteBuffer(bytes: [0, 13, 10, 255]))
        #expect(try await redis.set("ttl", "v", expiration: .seconds(100)))
        let pttl = try await redis.send(RedisCommand("PTTL", "ttl"))
        guard case .integer(let ms) = pttl else { Issue.record("PTTL replied \(pttl)"); return }
        #expect(ms > 0 && ms <= 100_000)
        // Long enough that a loaded machine cannot let it lapse before the checks below.
        #expect(try await redis.expire("k", after: .milliseconds(100_500)))
        #expect(try await redis.expire("missing", after: .seconds(1)) == false)
        let pttlK = try await redis.send(RedisCommand("PTTL", "k"))
        guard case .integer(let msK) = pttlK else { Issue.record("PTTL replied \(pttlK)"); return }
        #expect(msK > 0 && msK <= 100_500)

        #expect(try await redis.incr("n") == 1)
        #expect(try await redis.incr("n", by: 41) == 42)
        await #expect {
            try await redis.incr("k")
        } throws: { ($0 as? RedisClientError)?.code == .serverError }

        #expect(try await redis.publish("nobody", "hello") == 0)
        #expect(try await redis.spublish("nobody", "hello") == 0)

        try await redis.clientSetName("helper-test")
        #expect(try await redis.send(RedisCommand("CLIENT", "GETNAME")) == .bulk("helper-test"))
        let info = try await redis.infoFields("server")
        #expect(info["redis_version"] != nil)
        #expect(try await redis.info().contains("# Keyspace"))

        if kind == .broker {
            print("skipped on the broker: \(brokerLacks.sorted())")
            return
        }
        #expect(try await redis.hset("h", [("a", "1"), ("b", "2")]) == 2)
        #expect(try await redis.hset("h", field: "a", value: "3") == false)
        #expect(try await redis.hgetall("h") == ["a": ByteBuffer(string: "3"), "b": ByteBuffer(string: "2")])
        #expect(try await redis.hgetall("missing") == [:])

        #expect(try await redis.sadd("s", ["x", "y", "z"]) == 3)
        #expect(try await redis.sadd("s", ["x"]) == 0)
        #expect(try await redis.srem("s", ["y", "nope"]) == 1)
        #expect(Set(try await redis.smembers("s")) == [ByteBuffer(string: "x"), ByteBuffer(string: "z")])
        #expect(try await redis.smembers("missing") == [])
        await #expect {
            try await redis.smembers("h")
        } throws: { ($0 as? RedisClientError)?.message.hasPrefix("WRONGTYPE") == true }
    }

    @Test func durationsBecomeWholeMillisecondsRoundedUp() {
        #expect(RedisClient.milliseconds(.seconds(2)) == 2000)
        #expect(RedisClient.milliseconds(.microseconds(1)) == 1)
        #expect(RedisClient.milliseconds(.milliseconds(1500)) == 1500)
        #expect(RedisClient.milliseconds(.nanoseconds(1_000_001)) == 2)
    }
}
