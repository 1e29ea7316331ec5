import HubProtocol
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// How a ``HubConnection`` connects: the URL, the protocol, authentication, timers and reconnects.
///
/// The defaults are the .NET client's: JSON, negotiate first, keep-alive every 15 s, a 30 s server
/// timeout, a 15 s handshake timeout, and no automatic reconnect unless a policy is set.
public struct HubConnectionOptions: Sendable {
    /// The hub's URL: `http(s)://host:port/path` (negotiate first), or with skip-negotiation also
    /// `ws(s)://…`. A query is kept on every request.
    public var url: String
    /// The hub protocol (``JSONHubProtocol`` or ``MessagePackHubProtocol``).
    public var hubProtocol: any HubProtocol
    /// Connect the WebSocket straight to the hub path, with no negotiate request (the server must
    /// accept it; ASP.NET Core and Switchboard do).
    public var skipNegotiation: Bool
    /// Called before negotiate and before each WebSocket connect (so also on every reconnect);
    /// a non-empty token is sent as `Authorization: Bearer <token>`.
    public var accessTokenProvider: (@Sendable () async throws -> String?)?
    /// Extra HTTP header fields for negotiate and the WebSocket upgrade.
    public var headers: [(name: String, value: String)]
    /// How often the client sends a Ping when it has sent nothing else (.NET: 15 s).
    public var keepAliveInterval: Duration
    /// How long without any message from the server before the connection is considered lost
    /// (.NET: 30 s). Keep it about twice the server's keep-alive interval.
    public var serverTimeout: Duration
    /// How long the handshake (and the connect before it) may take (.NET: 15 s).
    public var handshakeTimeout: Duration
    /// Whether, and when, to reconnect after the connection is lost; `nil` never reconnects.
    public var reconnectPolicy: (any HubReconnectPolicy)?
    /// Ask for stateful reconnect (ASP.NET Core 8+): when the server agrees, a dropped WebSocket is
    /// replaced by a new one to the same connection and nothing sent either way is lost; calls
    /// keep waiting meanwhile. Off by default, as in the .NET client (`UseStatefulReconnect`).
    public var useStatefulReconnect: Bool
    /// How many bytes of sent, unacknowledged messages stateful reconnect keeps before writes wait
    /// for the server's acks (.NET: 100 000).
    public var statefulReconnectBufferSize: Int
    /// TLS settings for `https`/`wss` (default: the system's trust roots, hostname verified).
    public var tlsConfiguration: TLSConfiguration?
    /// The largest WebSocket message accepted from the server.
    public var maximumReceiveMessageSize: Int
    /// Where the connection logs.
    public var logger: Logger
    /// The event loops the connection's sockets use.
    public var eventLoopGroup: any EventLoopGroup

    /// Options for the hub at `url`.
    public init(
        url: String, hubProtocol: any HubProtocol = JSONHubProtocol(), skipNegotiation: Bool = false,
        accessTokenProvider: (@Sendable () async throws -> String?)? = nil,
        headers: [(name: String, value: String)] = [], keepAliveInterval: Duration = .seconds(15),
        serverTimeout: Duration = .seconds(30), handshakeTimeout: Duration = .seconds(15),
        reconnectPolicy: (any HubReconnectPolicy)? = nil, useStatefulReconnect: Bool = false,
        statefulReconnectBufferSize: Int = 100_000, tlsConfiguration: TLSConfiguration? = nil,
        maximumReceiveMessageSize: Int = 16 * 1024 * 1024, logger: Logger = Logger(label: "HubClient"),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.url = url
        self.hubProtocol = hubProtocol
        self.skipNegotiation = skipNegotiation
        self.accessTokenProvider = accessTokenProvider
        self.headers = headers
        self.keepAliveInterval = keepAliveInterval
        self.serverTimeout = serverTimeout
        self.handshakeTimeout = handshakeTimeout
        self.reconnectPolicy = reconnectPolicy
        self.useStatefulReconnect = useStatefulReconnect
        self.statefulReconnectBufferSize = statefulReconnectBufferSize
        self.tlsConfiguration = tlsConfiguration
        self.maximumReceiveMessageSize = maximumReceiveMessageSize
        self.logger = logger
        self.eventLoopGroup = eventLoopGroup
    }
}
