import NIOCore

/// Reads hub messages from a byte stream: frames them (``HubFrameDecoder``) and parses each frame
/// with a ``HubProtocol``, skipping unknown message types.
///
/// Use it after the handshake, on the bytes that follow it.
public struct HubMessageDecoder: Sendable {
    /// The protocol the handshake chose.
    public let hubProtocol: any HubProtocol
    private var frames: HubFrameDecoder

    /// Makes a decoder; `maximumMessageSize` is `MaximumReceiveMessageSize` (`nil`: unlimited).
    public init(
        hubProtocol: any HubProtocol, maximumMessageSize: Int? = HubFrameDecoder.defaultMaximumMessageSize
    ) {
        self.hubProtocol = hubProtocol
        self.frames = HubFrameDecoder(framing: hubProtocol.framing, maximumMessageSize: maximumMessageSize)
    }

    /// The limit in force.
    public var maximumMessageSize: Int? {
        get { frames.maximumMessageSize }
        set { frames.maximumMessageSize = newValue }
    }

    /// Returns the next message and consumes its frame (and any frames of unknown message types
    /// before it) from `buffer`; `nil` when no complete frame of a known type is left.
    public mutating func next(_ buffer: inout ByteBuffer) throws(HubProtocolError) -> HubMessage? {
        while let payload = try frames.nextFrame(&buffer) {
            if let message = try hubProtocol.parseMessage(payload) { return message }
        }
        return nil
    }
}

extension HubMessageDecoder: ByteToMessageDecoder {
    /// Each message read.
    public typealias InboundOut = HubMessage

    /// Fires each message read (see ``next(_:)``).
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let message = try next(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(message))
        return .continue
    }

    /// Like `decode`; bytes left over at the end of input throw
    /// ``HubProtocolError/truncatedMessage``.
    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        let state = try decode(context: context, buffer: &buffer)
        if state == .needMoreData && seenEOF && buffer.readableBytes > 0 {
            throw HubProtocolError.truncatedMessage
        }
        return state
    }
}
