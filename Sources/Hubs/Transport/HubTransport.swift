import HubProtocol
import NIOCore

/// What a transport (WebSockets, Server-Sent Events, long polling…) gives the hub framework for
/// one connection.
///
/// Every method is called on ``eventLoop`` only. Writes are whole transport messages built by
/// ``wireEncoding``; nothing is sent until ``flush()``.
public protocol HubTransport: AnyObject, Sendable {
    /// The event loop the connection lives on; its session and writes run there.
    var eventLoop: any EventLoop { get }
    /// The transfer formats the transport can carry (a handshake asking for another fails).
    var transferFormats: HubTransferFormat { get }
    /// Whether the server sends keep-alive Pings on this transport (long polling does not).
    var sendsKeepAlive: Bool { get }
    /// Turns framed hub messages into the bytes this transport writes (for example a WebSocket
    /// frame); shared by every connection of the same kind, so fan-out builds them once.
    var wireEncoding: HubWireEncoding { get }
    /// Whether the socket accepts more bytes now; when it becomes writable again the transport
    /// calls ``HubConnectionSession/writabilityChanged(isWritable:)``.
    var isWritable: Bool { get }

    /// Queues wire bytes (from ``wireEncoding``).
    func write(_ bytes: ByteBuffer)
    /// Sends what was queued.
    func flush()
    /// Stops (`false`) or resumes (`true`) reading the connection's input: backpressure from
    /// client-to-server streams.
    func setReading(_ enabled: Bool)
    /// Ends the connection after what was queued has been sent; `normal` tells a graceful end
    /// from an error (a WebSocket sends close code 1000 or 1011).
    func close(normal: Bool)
}

/// Builds a transport's wire bytes from framed hub messages; one instance per kind of wire
/// format, compared by identity to share the bytes between connections.
public final class HubWireEncoding: Sendable {
    /// A name for logs (`websocket`).
    public let name: String
    private let encode: @Sendable (ByteBuffer, HubTransferFormat) -> ByteBuffer

    /// Makes an encoding; `encode` gets framed hub messages and the protocol's transfer format.
    public init(name: String, encode: @escaping @Sendable (ByteBuffer, HubTransferFormat) -> ByteBuffer) {
        self.name = name
        self.encode = encode
    }

    /// The wire bytes for `payload` (one or more framed hub messages).
    public func wireBytes(for payload: ByteBuffer, format: HubTransferFormat) -> ByteBuffer {
        encode(payload, format)
    }

    /// Passes the framed messages through unchanged (tests, raw byte streams).
    public static let identity = HubWireEncoding(name: "raw") { payload, _ in payload }
}
