import ArgumentParser
import HubTransports
import Logging
import RedisClient

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The flags both node commands take besides `--port` (whose default differs per node).
public struct NodeCommandOptions: ParsableArguments {
    @Option(help: "The address to bind.")
    public var host: String = "127.0.0.1"

    @Option(
        help:
            "The Redis backplane's URL (redis://[user:password@]host:port[/db], rediss:// for TLS, unix:///path): the bundled broker or any Redis. Without it the node runs alone, in memory."
    )
    public var redis: String?

    @Option(
        name: .customLong("channel-prefix"),
        help: "A prefix for every backplane channel, as StackExchange.Redis's ChannelPrefix (no separator is added).")
    public var channelPrefix: String = ""

    @Option(
        name: .customLong("redis-cacert"),
        help: "For a rediss:// backplane: a PEM file of CA certificates to trust instead of the system's.")
    public var redisCACertificate: String?

    @Option(
        name: .customLong("redis-cert"),
        help: "For a rediss:// backplane: a PEM client certificate, for servers that require one (with --redis-key).")
    public var redisCertificate: String?

    @Option(
        name: .customLong("redis-key"), help: "For a rediss:// backplane: the client certificate's PEM private key.")
    public var redisKey: String?

    @Flag(
        name: .customLong("redis-insecure"),
        help: "For a rediss:// backplane: do not verify the server's certificate or name (testing only).")
    public var redisInsecure: Bool = false

    @Option(
        name: .customLong("websocket-path"),
        help:
            "What drives hub WebSocket data: 'direct' (an NIO channel handler that writes straight to the socket while nothing is queued, the default), 'handler' (the same handler, every write through NIO's channel) or 'async' (Hummingbird's async WebSocket writer)."
    )
    public var webSocketPath: HubWebSocketDataPath = .direct

    @Option(
        name: .customLong("cors-origin"),
        help:
            "An origin whose browser pages may use the hub across origins (negotiate, long polling, Server-Sent Events, sends), with credentials; repeat for several, '*' for any (then without credentials)."
    )
    public var corsOrigins: [String] = []

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    public var logLevel: String = "info"

    /// Flags as parsed.
    public init() {}

    /// Checks the port (given apart) and the log level.
    public func validate(port: Int) throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535.") }
        guard NodeCommandSupport.logger(label: "node", level: logLevel) != nil else {
            throw ValidationError("Unknown --log-level '\(logLevel)'.")
        }
        let tlsFlags = [
            ("--redis-cacert", redisCACertificate), ("--redis-cert", redisCertificate), ("--redis-key", redisKey),
        ]
        let firstTLSFlag = tlsFlags.first(where: { $0.1 != nil })?.0 ?? (redisInsecure ? "--redis-insecure" : nil)
        var usesTLS = false
        if let redis {
            do {
                usesTLS = try RedisURL(redis).usesTLS
            } catch {
                throw ValidationError("Invalid --redis URL: \(error.message)")
            }
        }
        if let firstTLSFlag, !usesTLS { throw ValidationError("\(firstTLSFlag) needs a rediss:// --redis URL.") }
        if (redisCertificate == nil) != (redisKey == nil) {
            throw ValidationError("--redis-cert and --redis-key go together.")
        }
        for (flag, file) in tlsFlags {
            if let file, access(file, R_OK) != 0 { throw ValidationError("\(flag): cannot read '\(file)'.") }
        }
    }

    /// The node's options, logging under `name`.
    public func nodeOptions(name: String, port: Int) -> LearningHubNodeOptions {
        let logger = NodeCommandSupport.logger(label: name, level: logLevel) ?? Logger(label: name)
        var options = LearningHubNodeOptions(port: port, logger: logger)
        options.host = host
        options.redis = redis.flatMap { try? RedisClientConfiguration($0) }
        options.redis?.tls = RedisClientConfiguration.TLS(
            caCertificateFile: redisCACertificate, certificateFile: redisCertificate, privateKeyFile: redisKey,
            skipVerification: redisInsecure)
        options.channelPrefix = channelPrefix
        options.webSocketDataPath = webSocketPath
        if !corsOrigins.isEmpty {
            options.routeOptions.cors = HubCORS(
                allowedOrigins: corsOrigins, allowCredentials: !corsOrigins.contains("*"))
        }
        return options
    }

    /// Prints `<name> listening on http://<host>:<port>` once the node listens.
    public func announcer(name: String) -> @Sendable (Int) async -> Void {
        let host = self.host
        return { port in
            NodeCommandSupport.announce(NodeCommandSupport.listeningLine(name: name, host: host, port: port))
        }
    }
}

/// `--websocket-path direct|handler|async`.
extension HubWebSocketDataPath: ExpressibleByArgument {}
