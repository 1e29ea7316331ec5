import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Cuts a byte stream into hub message frames, incrementally, enforcing
/// `MaximumReceiveMessageSize`.
///
/// Feed it the connection's input buffer after every read; each call to ``nextFrame(_:)`` returns
/// the payload of the next complete frame (without its framing) as a slice of the buffer and
/// consumes it. Several frames per read and frames split across any number of reads are fine; the
/// decoder remembers how far it already searched for a record separator, so a large message
/// arriving in small pieces is scanned once. Between calls only append to the buffer (compacting
/// it with `discardReadBytes` is fine).
///
/// The limit works like ASP.NET Core's window: a frame, framing bytes included, must fit in
/// `maximumMessageSize` bytes. The error (``HubProtocolError/messageTooBig(limit:)``) comes as
/// soon as more than that many bytes are buffered without a complete frame in the window, or, for
/// a VarInt prefix, as soon as the declared length says the frame cannot fit.
public struct HubFrameDecoder: Sendable {
    /// ASP.NET Core's default `MaximumReceiveMessageSize`: 32 KB.
    public static let defaultMaximumMessageSize = 32 * 1024

    /// The framing in use.
    public let framing: HubFraming
    /// The largest frame accepted, framing included; `nil` for no limit.
    public var maximumMessageSize: Int?
    /// How many bytes after the reader index were already searched for a record separator.
    private var scanned = 0

    /// Makes a decoder.
    public init(framing: HubFraming, maximumMessageSize: Int? = HubFrameDecoder.defaultMaximumMessageSize) {
        precondition(maximumMessageSize.map { $0 > 0 } ?? true, "maximumMessageSize must be positive")
        self.framing = framing
        self.maximumMessageSize = maximumMessageSize
    }

    /// Returns the payload of the next complete frame and consumes the frame from `buffer`;
    /// `nil` (consuming nothing) when no frame is complete yet.
    public mutating func nextFrame(_ buffer: inout ByteBuffer) throws(HubProtocolError) -> ByteBuffer? {
        switch framing {
        case .recordSeparator: return try nextSeparatedFrame(&buffer)
        case .varIntLengthPrefix: return try nextPrefixedFrame(&buffer)
        }
    }

    private mutating func nextSeparatedFrame(_ buffer: inout ByteBuffer) throws(HubProtocolError) -> ByteBuffer? {
        let readable = buffer.readableBytes
        let window = maximumMessageSize.map { Swift.min($0, readable) } ?? readable
        if scanned > window { scanned = 0 }  // the caller replaced the buffer
        let from = scanned
        let found: Int? = buffer.withUnsafeReadableBytes { bytes in
            guard window > from, let base = bytes.baseAddress else { return nil }
            guard let hit = memchr(base + from, Int32(HubFraming.recordSeparatorByte), window - from) else {
                return nil
            }
            return UnsafeRawPointer(hit) - base
        }
        if let end = found {
            let payload = buffer.readSlice(length: end)!
            buffer.moveReaderIndex(forwardBy: 1)
            scanned = 0
            return payload
        }
        scanned = window
        if let limit = maximumMessageSize, readable > limit {
            throw HubProtocolError.messageTooBig(limit: limit)
        }
        return nil
    }

    private func nextPrefixedFrame(_ buffer: inout ByteBuffer) throws(HubProtocolError) -> ByteBuffer? {
        let readable = buffer.readableBytes
        guard let (length, prefixLength) = try HubFraming.readVarInt(buffer) else {
            if let limit = maximumMessageSize, readable > limit {
                throw HubProtocolError.messageTooBig(limit: limit)
            }
            return nil
        }
        let total = prefixLength + length
        if let limit = maximumMessageSize, total > limit {
            throw HubProtocolError.messageTooBig(limit: limit)
        }
        guard readable >= total else { return nil }
        buffer.moveReaderIndex(forwardBy: prefixLength)
        return buffer.readSlice(length: length)!
    }
}

extension HubFrameDecoder: ByteToMessageDecoder {
    /// Each complete frame's payload, without framing.
    public typealias InboundOut = ByteBuffer

    /// Fires the payload of each complete frame (see ``nextFrame(_:)``).
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try nextFrame(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    /// Like `decode`; at the end of input, bytes left over that make no whole frame throw
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
