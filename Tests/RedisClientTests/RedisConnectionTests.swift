import NIOCore
import NIOPosix
import RESP
import RedisClient
import Testing
import TestSupport

/// The command connection against a real redis-server and against the broker (the same tests;
/// redis-server is skipped when absent locally, CI installs it).
@Suite struct RedisConnectionTests {
    static func connect(
        _ server: TestServer, _ configure: (inout RedisClientConfiguration) -> Void = { _ in }
    ) async throws -> RedisConnection {
        var configuration = try RedisClientConfiguration("redis://127.0.0.1:\(server.port)")
        configuration.connectTimeout = TestClients.connectTimeout
        configure(&configuration)
        return try await RedisConnection.connect(configuration: configuration, eventLoop: TestClients.group.next())
    }

    @Test(arguments: TestServerKind.allCases)
    func commandsAndErrorReplies(_ kind: TestServerKind) async throws {
        try await TestServer.withServer(kind) { server in
            let connection = try await Self.connect(server)
            #expect(try await connection.send(RedisCommand("PING")) == .simpleString(ByteBuffer(string: "PONG")))
            #expect(try await connection.send(RedisCommand("SET", "k", "v")) == .simpleString(ByteBuffer(string: "OK")))
            #expect(try await connection.send(RedisCommand("GET", "k")) == .bulkString(ByteBuffer(string: "v")))
            #expect(try await connection.send(RedisCommand("GET", "missing")) == .nullBulkString)
            #expect(try await connection.send(RedisCommand("INCRBY", "n", 5)) == .integer(5))
            await #expect {
                try await connection.send(RedisCommand("INCR", "k"))
            } throws: { error in
                let e = error as? RedisClientError
                return e?.code == .serverError && e?.message == "ERR value is not an integer or out of range"
            }
            let binary: [UInt8] = [0, 0xFF, 0x0D, 0x0A]
            _ = try await connection.send(RedisCommand("SET", .bytes(binary), .bytes(binary)))
            #expect(
                try await connection.send(RedisCommand("GET", .bytes(binary))) == .bulkString(ByteBuffer(bytes: binary))
            )
            await connection.close()
        }
    }

    @Test(arguments: TestServerKind.allCases)
    func pipelinedRepliesComeBackInOrder(_ kind: TestServerKind) async throws {
        try await TestServer.withServer(kind) { server in
            let connection = try await Self.connect(server)
            var commands = (0..<1000).map { _ in RedisCommand("INCR", "counter") }
            commands.insert(RedisCommand("GET", "counter"), at: 500)
            commands.insert(RedisCommand("LPOP", "counter"), at: 10)
            let results = try await connection.pipeline(commands)
            #expect(results.count == 1002)
            var expected = 1
            for (i, result) in results.enumerated() {
                switch (i, result) {
                case (10, .failure(let error)):
                    #expect(error.code == .serverError && error.message.hasPrefix("WRONGTYPE") || kind == .broker)
                case (501, .success(let value)):
                    #expect(value == .bulkString(ByteBuffer(string: "500")))
                case (_, .success(let value)):
                    #expect(value == .integer(Int64(expected)), "reply \(i)")
                    expected += 1
                default:
                    // LPOP is not served by the broker yet: its error differs, the order does not.
                    #expect(i == 10, "reply \(i): \(result)")
                }
            }
            await connection.close()
        }
    }

    /// Many tasks share one connection: every task gets its own replies.
    @Test(arguments: TestServerKind.allCases)
    func concurrentTasksShareOneConnection(_ kind: TestServerKind) async throws {
        try await TestServer.withServer(kind) { server in
            let connection = try await Self.connect(server)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<50 {
                    group.addTask {
                        for i in 0..<100 {
                            let key = RedisArgument.string("task\(task)")
                            let value = try await connection.send(RedisCommand("INCR", key))
                            #expect(value == .integer(Int64(i + 1)))
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await connection.send(RedisCommand("DBSIZE")) == .integer(50))
            await connection.close()
        }
    }

    @Test(arguments: TestServerKind.allCases)
    func handshakeAuthenticatesSelectsAndNames(_ kind: TestServerKind) async throws {
        try await TestServer.withServer(kind, arguments: ["--requirepass", "s3cret"]) { server in
            await #expect {
                try await Self.connect(server) { $0.url.password = "wrong" }
            } throws: { error in
                (error as? RedisClientError)?.message.hasPrefix("WRONGPASS") == true
            }
            let connection = try await Self.connect(server) {
                $0.url.password = "s3cret"
                $0.url.database = 3
                $0.clientName = "hub-node-1"
            }
            _ = try await connection.send(RedisCommand("SET", "in3", "x"))
            #expect(
                try await connection.send(RedisCommand("CLIENT", "GETNAME"))
                    == .bulkString(ByteBuffer(string: "hub-node-1")))
            let other = try await Self.connect(server) { $0.url.password = "s3cret" }
            #expect(try await other.send(RedisCommand("EXISTS", "in3")) == .integer(0))
            _ = try await other.send(RedisCommand("SELECT", 3))
            #expect(try await other.send(RedisCommand("EXISTS", "in3")) == .integer(1))
            let resp3 = try await Self.connect(server) {
                $0.url.password = "s3cret"
                $0.protocolVersion = .resp3
                $0.clientName = "resp3"
            }
            #expect(try await resp3.send(RedisCommand("GET", "missing")) == .null)
            #expect(try await resp3.send(RedisCommand("CLIENT", "GETNAME")) == .bulkString(ByteBuffer(string: "resp3")))
            for c in [connection, other, resp3] { await c.close() }
        }
    }

    /// A server that accepts TCP and never answers gives a timeout error, not a hang.
    @Test func silentServerTimesOut() async throws {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in channel.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = listener.localAddress!.port!
        var configuration = try RedisClientConfiguration("redis://127.0.0.1:\(port)")
        configuration.commandTimeout = .milliseconds(200)
        let connection = try await RedisConnection.connect(
            configuration: configuration, eventLoop: TestClients.group.next())
        await #expect {
            try await connection.send(RedisCommand("PING"))
        } throws: { error in
            (error as? RedisClientError)?.code == .commandTimeout
        }
        try await connection.closeFuture.get()
        configuration.url.password = "x"
        configuration.connectTimeout = .milliseconds(200)
        await #expect {
            try await RedisConnection.connect(
                configuration: configuration, eventLoop: TestClients.group.next())
        } throws: { error in
            (error as? RedisClientError)?.code == .connectTimeout
        }
        try await listener.close()
    }
}
