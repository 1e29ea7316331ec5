import NIOCore

/// A hub protocol: how hub messages are written to and read from bytes (``JSONHubProtocol``,
/// ``MessagePackHubProtocol``).
///
/// Parsing works on one frame's payload at a time: a ``HubFrameDecoder`` with the protocol's
/// ``framing`` cuts the input into frames (``HubMessageDecoder`` does both). Values inside
/// messages stay raw slices of the payload (see ``HubValue``).
public protocol HubProtocol: Sendable {
    /// The name clients ask for in the handshake (`json`, `messagepack`).
    var name: String { get }
    /// The version a client writes in its handshake request.
    var version: Int { get }
    /// The transport data the protocol needs.
    var transferFormat: HubTransferFormat { get }
    /// How messages are delimited.
    var framing: HubFraming { get }

    /// Whether a handshake asking for `version` is accepted.
    func isVersionSupported(_ version: Int) -> Bool

    /// Parses the payload of one frame (without its framing); `nil` for a message type this
    /// protocol does not know, which the caller skips.
    func parseMessage(_ payload: ByteBuffer) throws(HubProtocolError) -> HubMessage?

    /// Appends `message`, framed. On error `buffer` is left as it was.
    func writeMessage(_ message: HubMessage, into buffer: inout ByteBuffer) throws(HubProtocolError)
}

extension HubProtocol {
    /// Versions up to 2, as ASP.NET Core's protocols answer (`version <= Version`): 2 is version 1
    /// plus stateful reconnect (Ack and Sequence messages), and lower numbers (0, which signalrcore
    /// sends after a version-0 negotiate) are served as version 1.
    public func isVersionSupported(_ version: Int) -> Bool {
        version <= 2
    }

    /// The framed bytes of `message`.
    public func serialize(_ message: HubMessage) throws(HubProtocolError) -> ByteBuffer {
        // Room for a typical message up front: growing from empty reallocated several times per
        // message (13% of a backplane publish's codec work).
        var buffer = ByteBufferAllocator().buffer(capacity: 256)
        try writeMessage(message, into: &buffer)
        return buffer
    }
}
