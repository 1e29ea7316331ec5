import NIOCore

/// How one hub is served over HTTP: transports, negotiate versions and transport timeouts.
public struct HubRouteOptions: Sendable {
    /// The transports offered, in any order (negotiate lists them in ASP.NET Core's order); all
    /// three by default, as in ASP.NET Core.
    public var transports: Set<HubTransportType> = Set(HubTransportType.allCases)
    /// The lowest `negotiateVersion` accepted (ASP.NET Core's `MinimumProtocolVersion`, 0).
    public var minimumNegotiateVersion: Int = 0
    /// How long a negotiated connection waits for its transport to open before the id is
    /// forgotten (a later request with it gets 404). ASP.NET Core has no exact equivalent (it
    /// scans for stale connections every second with a 5 s disconnect timeout); 15 s matches the
    /// handshake timeout, so a client that gets through negotiate has as long to connect as it
    /// then has to shake hands.
    public var negotiationTimeout: TimeAmount = .seconds(15)
    /// How long the server waits for the client's WebSocket close frame after sending its own
    /// before it closes the socket (ASP.NET Core's `WebSockets.CloseTimeout`, 5 s).
    public var webSocketCloseTimeout: TimeAmount = .seconds(5)
    /// The largest WebSocket frame accepted from a client; a larger one closes the socket with
    /// code 1009. `nil`: four times the hub's maximum message size, at least 64 KiB (so an
    /// over-size hub message reaches the hub and gets its Close message first).
    public var maximumWebSocketFrameSize: Int? = nil
    /// What drives a WebSocket connection's data once upgraded: an NIO channel handler writing
    /// frames built once and sending them straight to the socket while nothing is queued (the
    /// default), the same handler sending everything through NIO's channel, or Hummingbird's
    /// async WebSocket writer (the last two kept to compare with `hub-bench`; see
    /// `docs/benchmarks.md`).
    public var webSocketDataPath: HubWebSocketDataPath = .direct

    /// How long a long poll waits for data before it returns empty (200) and the client polls
    /// again (ASP.NET Core's `LongPolling.PollTimeout`, 90 s).
    public var longPollingTimeout: TimeAmount = .seconds(90)
    /// How long a long-polling connection lives with no poll outstanding before it is ended: a
    /// client that stopped polling has gone (ASP.NET Core's disconnect timeout).
    public var longPollingDisconnectTimeout: TimeAmount = .seconds(15)

    /// Cross-origin access for browsers on other origins (negotiate, Server-Sent Events, long
    /// polling and sends); `nil` (the default) answers no preflight and adds no CORS headers.
    public var cors: HubCORS? = nil

    /// The defaults: every transport, negotiate versions 0 and 1.
    public init() {}

    /// Options offering `transports`.
    public init(transports: Set<HubTransportType>) {
        self.transports = transports
    }
}

/// What drives the data of an upgraded hub WebSocket.
public enum HubWebSocketDataPath: String, Sendable, CaseIterable, CustomStringConvertible {
    /// An NIO channel handler on the connection's event loop: hub messages are written as whole
    /// frames (header and payload built once per fan-out) past NIO's frame encoder, with one
    /// flush per batch.
    case channelHandler = "handler"
    /// The channel handler, sending each flush with one `write(2)` on the socket while the
    /// channel has nothing of the connection's queued (SwiftNIO's pipeline and pending-writes
    /// queue cost about 40% as much CPU again as the kernel's send); whatever the kernel does not
    /// take at once goes through the channel, which queues it, reports errors and closes.
    case direct = "direct"
    /// Hummingbird's async WebSocket path (`WSCore`'s handler and `WebSocketOutboundWriter` over
    /// an `NIOAsyncChannel<WebSocketFrame, WebSocketFrame>`, as `HummingbirdWebSocket` runs it):
    /// one task per connection writes each message as a `WebSocketFrame`, and an inbound loop
    /// feeds the hub session.
    case asyncWriter = "async"

    /// The command-line spelling: `direct`, `handler` or `async`.
    public var description: String { rawValue }
}
