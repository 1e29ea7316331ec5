import NIOCore

/// How a client connects and behaves: the server's URL plus protocol, timeouts, reconnection,
/// what happens to commands while disconnected, and TLS files.
public struct RedisClientConfiguration: Sendable {
    /// The RESP version spoken after connecting.
    public enum ProtocolVersion: Int, Sendable {
        /// RESP2 (no `HELLO`); the default, as every Redis server speaks it.
        case resp2 = 2
        /// RESP3 (`HELLO 3`); pushes arrive on the command connection.
        case resp3 = 3
    }

    /// What a command does when the client is not connected.
    public enum DisconnectedBehavior: Sendable, Hashable {
        /// Fail at once with `notConnected` (the default).
        case failFast
        /// Wait for the connection in a queue of at most `limit` commands, for at most `timeout`;
        /// past either, fail with `queueFull` or `queueTimeout`.
        case queue(limit: Int, timeout: TimeAmount)
    }

    /// Reconnection after a lost connection: exponential backoff with full jitter.
    public struct Reconnect: Sendable, Hashable {
        /// Whether to reconnect at all.
        public var enabled: Bool
        /// The first delay.
        public var initialDelay: TimeAmount
        /// The largest delay.
        public var maximumDelay: TimeAmount
        /// The growth factor between attempts.
        public var multiplier: Double

        public init(
            enabled: Bool = true, initialDelay: TimeAmount = .milliseconds(50),
            maximumDelay: TimeAmount = .seconds(5), multiplier: Double = 2
        ) {
            self.enabled = enabled
            self.initialDelay = initialDelay
            self.maximumDelay = maximumDelay
            self.multiplier = multiplier
        }

        /// The delay before attempt `attempt` (1 for the first retry): a random share of the
        /// capped exponential (full jitter), so many clients do not retry in step.
        public func delay<G: RandomNumberGenerator>(attempt: Int, using generator: inout G) -> TimeAmount {
            let cap = Double(maximumDelay.nanoseconds)
            var capped = Double(initialDelay.nanoseconds)
            var step = 1
            while step < attempt && capped < cap {
                capped *= multiplier
                step += 1
            }
            capped = min(capped, cap)
            let half = capped / 2
            return .nanoseconds(Int64(half + Double.random(in: 0...half, using: &generator)))
        }
    }

    /// TLS settings for `rediss://` URLs (PEM files).
    public struct TLS: Sendable, Hashable {
        /// CA certificates to trust instead of the system's.
        public var caCertificateFile: String?
        /// A client certificate, for servers that ask for one.
        public var certificateFile: String?
        /// The client certificate's private key.
        public var privateKeyFile: String?
        /// Skip verifying the server's certificate and name (for tests and self-signed setups only).
        public var skipVerification: Bool
        /// The name to verify the server's certificate against (SNI); the URL's host by default.
        public var serverName: String?

        public init(
            caCertificateFile: String? = nil, certificateFile: String? = nil, privateKeyFile: String? = nil,
            skipVerification: Bool = false, serverName: String? = nil
        ) {
            self.caCertificateFile = caCertificateFile
            self.certificateFile = certificateFile
            self.privateKeyFile = privateKeyFile
            self.skipVerification = skipVerification
            self.serverName = serverName
        }
    }

    /// Where the server is, and the credentials and database.
    public var url: RedisURL
    /// The RESP version; RESP2 by default.
    public var protocolVersion: ProtocolVersion
    /// The name given with `CLIENT SETNAME` after every (re)connect, if any.
    public var clientName: String?
    /// How long connecting (TCP, TLS and the handshake commands) may take.
    public var connectTimeout: TimeAmount
    /// How long a command may wait for its reply; `nil` for no limit.
    public var commandTimeout: TimeAmount?
    /// Reconnection after a lost connection.
    public var reconnect: Reconnect
    /// What commands do while disconnected.
    public var disconnectedBehavior: DisconnectedBehavior
    /// TLS settings, used when the URL is `rediss://`.
    public var tls: TLS

    /// A configuration for `url` with the defaults: RESP2, 5 s connect and 30 s command timeouts,
    /// reconnection on, fail fast while disconnected.
    public init(
        url: RedisURL, protocolVersion: ProtocolVersion = .resp2, clientName: String? = nil,
        connectTimeout: TimeAmount = .seconds(5), commandTimeout: TimeAmount? = .seconds(30),
        reconnect: Reconnect = Reconnect(), disconnectedBehavior: DisconnectedBehavior = .failFast,
        tls: TLS = TLS()
    ) {
        self.url = url
        self.protocolVersion = protocolVersion
        self.clientName = clientName
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.reconnect = reconnect
        self.disconnectedBehavior = disconnectedBehavior
        self.tls = tls
    }

    /// A configuration parsed from `url` with the defaults.
    public init(_ url: String) throws(RedisClientError) {
        self.init(url: try RedisURL(url))
    }
}
