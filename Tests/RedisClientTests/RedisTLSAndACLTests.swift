import Foundation
import Logging
import NIOCore
import RESP
import RedisClient
import Testing
import TestSupport

/// What only redis-server offers yet, so these run against it alone (skipped on the broker):
/// TLS (`--tls-port`, with a throwaway CA and certificates the test makes with `openssl`), ACL
/// users, `CLIENT TRACKING` pushes, and Unix sockets.
@Suite(
    .enabled(if: RedisServerProcess.isAvailable, "needs redis-server (CI installs it)"),
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "needs openssl"))
struct RedisTLSAndACLTests {
    typealias Certificates = TestCertificates

    static var quiet: Logger {
        var logger = Logger(label: "test.redis")
        logger.logLevel = .critical
        return logger
    }

    static func connect(
        _ url: String, _ configure: (inout RedisClientConfiguration) -> Void
    ) async throws
        -> RedisClient
    {
        var configuration = try RedisClientConfiguration(url)
        configuration.connectTimeout = TestClients.connectTimeout
        configuration.reconnect.enabled = false
        configure(&configuration)
        let client = RedisClient(configuration: configuration, eventLoopGroup: TestClients.group, logger: Self.quiet)
        do {
            try await client.connect()
        } catch {
            await client.close()
            throw error
        }
        return client
    }

    @Test func tlsWithCACertificateAndClientCertificate() async throws {
        let certificates = try await Certificates.make()
        defer { try? FileManager.default.removeItem(atPath: certificates.directory) }
        let port = try FreePort.find()
        let server = try await RedisServerProcess.start(
            arguments: certificates.redisServerArguments(tlsPort: port, clientCertificates: true))
        defer { server.stop() }

        // Verified against our CA, with a client certificate: works, by name and by address.
        for host in ["localhost", "127.0.0.1"] {
            let client = try await Self.connect("rediss://\(host):\(port)") {
                $0.tls.caCertificateFile = certificates.ca
                $0.tls.certificateFile = certificates.clientCertificate
                $0.tls.privateKeyFile = certificates.clientKey
            }
            #expect(try await client.send("PING") == .simpleString(ByteBuffer(string: "PONG")))
            try await client.send("SET", "over", "tls")
            #expect(try await client.send("GET", "over") == .bulkString(ByteBuffer(string: "tls")))
            await client.close()
        }

        // The wrong CA: the server's certificate is refused, with a TLS error.
        await #expect {
            try await Self.connect("rediss://localhost:\(port)") {
                $0.tls.caCertificateFile = certificates.otherCA
                $0.tls.certificateFile = certificates.clientCertificate
                $0.tls.privateKeyFile = certificates.clientKey
            }
        } throws: { error in
            (error as? RedisClientError)?.code == .tlsFailure
        }

        // Skipping verification accepts it (tests and self-signed setups only).
        let unverified = try await Self.connect("rediss://localhost:\(port)") {
            $0.tls.skipVerification = true
            $0.tls.certificateFile = certificates.clientCertificate
            $0.tls.privateKeyFile = certificates.clientKey
        }
        #expect(try await unverified.send("PING") == .simpleString(ByteBuffer(string: "PONG")))
        await unverified.close()

        // Files that cannot be read: a configuration error, before any connection.
        await #expect {
            try await Self.connect("rediss://localhost:\(port)") { $0.tls.caCertificateFile = "/nonexistent/ca.crt" }
        } throws: { error in
            (error as? RedisClientError)?.code == .invalidConfiguration
        }
    }

    /// A subscriber over TLS receives what a TLS client publishes.
    @Test func subscriberOverTLS() async throws {
        let certificates = try await Certificates.make()
        defer { try? FileManager.default.removeItem(atPath: certificates.directory) }
        let port = try FreePort.find()
        let server = try await RedisServerProcess.start(
            arguments: certificates.redisServerArguments(tlsPort: port, clientCertificates: false))
        defer { server.stop() }
        var configuration = try RedisClientConfiguration("rediss://localhost:\(port)")
        configuration.tls.caCertificateFile = certificates.ca
        configuration.connectTimeout = TestClients.connectTimeout
        let subscriber = RedisSubscriber(
            configuration: configuration, eventLoopGroup: TestClients.group, logger: Self.quiet)
        let publisher = try await Self.connect("rediss://localhost:\(port)") {
            $0.tls.caCertificateFile = certificates.ca
        }
        let received = try await subscriber.withSubscription(.channel, ["secure"]) { messages in
            try await publisher.send("PUBLISH", "secure", "hello")
            for await message in messages { return String(buffer: message.payload) }
            return ""
        }
        #expect(received == "hello")
        await subscriber.close()
        await publisher.close()
    }

    /// An ACL user with a password (Redis 6+): `AUTH user password` in the handshake, RESP2 and
    /// RESP3; the wrong password and a user without the permission get the server's errors.
    @Test func aclUser() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let admin = try await Self.connect("redis://127.0.0.1:\(server.port)") { _ in }
        try await admin.send("ACL", "SETUSER", "hub", "on", ">hub-secret", "~hub:*", "+@all")
        await admin.close()
        for version in [RedisClientConfiguration.ProtocolVersion.resp2, .resp3] {
            let client = try await Self.connect("redis://hub:hub-secret@127.0.0.1:\(server.port)") {
                $0.protocolVersion = version
            }
            #expect(try await client.send("ACL", "WHOAMI") == .bulkString(ByteBuffer(string: "hub")))
            try await client.send("SET", "hub:k", "v")
            await #expect {
                try await client.send("SET", "other:k", "v")
            } throws: { error in
                (error as? RedisClientError)?.message.hasPrefix("NOPERM") == true
            }
            await client.close()
        }
        await #expect {
            try await Self.connect("redis://hub:wrong@127.0.0.1:\(server.port)") { _ in }
        } throws: { error in
            (error as? RedisClientError)?.message.hasPrefix("WRONGPASS") == true
        }
    }

    /// RESP3 pushes on the command connection reach `onPush` while replies keep their order:
    /// `CLIENT TRACKING` invalidations (the broker has no tracking yet).
    @Test func resp3PushesOnTheCommandConnection() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        let pushes = AsyncStream.makeStream(of: RESPValue.self)
        var configuration = try RedisClientConfiguration("redis://127.0.0.1:\(server.port)")
        configuration.protocolVersion = .resp3
        configuration.connectTimeout = TestClients.connectTimeout
        let client = RedisClient(
            configuration: configuration, eventLoopGroup: TestClients.group, logger: Self.quiet,
            onPush: { pushes.continuation.yield($0) })
        try await client.connect()
        try await client.send("CLIENT", "TRACKING", "on")
        try await client.send("SET", "watched", "1")
        #expect(try await client.send("GET", "watched") == .bulkString(ByteBuffer(string: "1")))
        let other = try await Self.connect("redis://127.0.0.1:\(server.port)") { _ in }
        try await other.send("SET", "watched", "2")
        var iterator = pushes.stream.makeAsyncIterator()
        let push = await iterator.next()
        #expect(
            push
                == .push([
                    .bulkString(ByteBuffer(string: "invalidate")), .array([.bulkString(ByteBuffer(string: "watched"))]),
                ]))
        #expect(try await client.send("GET", "watched") == .bulkString(ByteBuffer(string: "2")))
        await other.close()
        await client.close()
    }

    /// `unix:///path` reaches a server's Unix socket, with the database from the query.
    @Test func unixSocket() async throws {
        let path = NSTemporaryDirectory() + "redis-\(UUID().uuidString.prefix(8)).sock"
        let server = try await RedisServerProcess.start(arguments: ["--unixsocket", path, "--unixsocketperm", "700"])
        defer { server.stop() }
        let client = try await Self.connect("unix://\(path)?db=5") { _ in }
        try await client.send("SET", "via", "socket")
        let tcp = try await Self.connect("redis://127.0.0.1:\(server.port)/5") { _ in }
        #expect(try await tcp.send("GET", "via") == .bulkString(ByteBuffer(string: "socket")))
        await tcp.close()
        await client.close()
    }
}
