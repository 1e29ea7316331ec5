import HubProtocol
import NIOCore
import RedisClient

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How a ``RedisHubLifetimeManager`` reaches Redis and names its channels.
public struct RedisHubLifetimeManagerOptions: Sendable {
    /// The Redis server (bundled broker, Redis, Valkey): URL, AUTH, TLS, timeouts, reconnection.
    /// Commands fail fast while disconnected, so a send never waits for an outage to end.
    public var redis: RedisClientConfiguration
    /// StackExchange.Redis's `ChannelPrefix`: prepended to every channel with no separator.
    public var channelPrefix: String
    /// The host part of the server name (`<host>_<32 hex>`); the machine's name by default.
    public var serverHost: String
    /// The protocols every published message is serialized in. Receiving nodes pick their
    /// connection's protocol out of these, so list every protocol any node's clients may use.
    public var protocols: [any HubProtocol]
    /// How long a group change for a connection on another node waits for its owner's ack
    /// (ASP.NET Core: 30 s).
    public var groupAckTimeout: TimeAmount

    /// Options for `redis` with ASP.NET Core's defaults: no prefix, `json` and `messagepack`,
    /// 30 s group acks.
    public init(
        redis: RedisClientConfiguration, channelPrefix: String = "", serverHost: String = defaultServerHost(),
        protocols: [any HubProtocol] = [JSONHubProtocol(), MessagePackHubProtocol()],
        groupAckTimeout: TimeAmount = .seconds(30)
    ) {
        var redis = redis
        redis.disconnectedBehavior = .failFast
        self.redis = redis
        self.channelPrefix = channelPrefix
        self.serverHost = serverHost
        self.protocols = protocols
        self.groupAckTimeout = groupAckTimeout
    }

    /// The machine's host name (`gethostname`), or `localhost`.
    public static func defaultServerHost() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }
}
