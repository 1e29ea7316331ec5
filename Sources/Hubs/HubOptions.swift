import NIOCore

/// Settings of a hub endpoint, with ASP.NET Core SignalR's defaults.
public struct HubOptions: Sendable {
    /// The server sends a Ping when it has sent nothing for this long (15 s).
    public var keepAliveInterval: TimeAmount = .seconds(15)
    /// A connection that has sent nothing for this long is closed, allowing reconnect (30 s).
    ///
    /// The clock starts when the handshake completes (ASP.NET Core starts it at the client's
    /// first Ping); any message, a Ping included, restarts it.
    public var clientTimeoutInterval: TimeAmount = .seconds(30)
    /// A connection whose handshake has not arrived after this long gets
    /// `Handshake was canceled.` and is closed (15 s).
    public var handshakeTimeout: TimeAmount = .seconds(15)
    /// `MaximumReceiveMessageSize`: the largest hub message accepted, framing included (32 KB);
    /// `nil`: unlimited. A larger message closes its connection with `Connection closed with an error.`
    public var maximumReceiveMessageSize: Int? = 32_768
    /// Items buffered per client-to-server stream before the server stops reading that
    /// connection's input until the hub method catches up (10).
    public var streamBufferCapacity: Int = 10
    /// Hub methods one connection may run at once (1). Streaming methods (in either direction)
    /// run in the background and do not count.
    public var maximumParallelInvocationsPerClient: Int = 1
    /// Appends exception types and messages to error texts sent to clients (off).
    public var enableDetailedErrors: Bool = false
    /// Bytes a connection may have queued for sending while its socket is not writable; past it
    /// the client is too slow and is disconnected (1 MiB).
    public var maximumOutboundBufferedBytes: Int = 1 << 20
    /// Hub protocols offered, by name (`json`, `messagepack`).
    public var protocolNames: [String] = ["json", "messagepack"]

    /// The defaults.
    public init() {}
}
