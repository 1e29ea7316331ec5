import NIOCore

/// Splits the payloads of a connection's WebSocket frames into hub messages and classifies each.
///
/// The first message is the handshake response, ended by `0x1E` whatever the protocol; after it,
/// messages are `0x1E`-terminated (JSON) or VarInt-length-prefixed (MessagePack). One frame may
/// hold several messages and a message may span frames: bytes of an unfinished message are kept
/// until the next payload, so the split follows the framing, never the frames. In the usual case
/// (whole messages per frame) the payload is scanned in place, without a copy.
public struct HubMessageScanner {
    /// Why a connection's byte stream cannot be split any further.
    public enum Failure: Error, Equatable, Sendable {
        /// A message (or the handshake response) grew beyond `maximumMessageSize`.
        case messageTooLarge
        /// A VarInt length prefix longer than 5 bytes or above `Int32.max`.
        case invalidLengthPrefix
    }

    /// The protocol after the handshake.
    public let wire: HubWireProtocol
    /// The largest message accepted, in bytes; past it `scan` fails.
    public let maximumMessageSize: Int
    private var handshakeDone = false
    private var pending = ByteBuffer()

    /// A scanner that expects the handshake response first.
    public init(wire: HubWireProtocol, maximumMessageSize: Int = 1 << 20) {
        self.wire = wire
        self.maximumMessageSize = maximumMessageSize
    }

    /// Scans one frame's payload and calls `body` once per complete message, in order.
    ///
    /// - Returns: nil, or the failure after which the stream cannot be split (the caller should
    ///   drop the connection). Messages before the failure were reported.
    public mutating func scan(_ payload: ByteBuffer, _ body: (HubMessageKind) -> Void) -> Failure? {
        var handshakeDone = self.handshakeDone
        defer { self.handshakeDone = handshakeDone }
        let wire = self.wire
        let maximum = self.maximumMessageSize
        if pending.readableBytes == 0 {
            let result = payload.withUnsafeReadableBytes {
                Self.scan($0, wire: wire, maximum: maximum, handshakeDone: &handshakeDone, body)
            }
            switch result {
            case .failure(let failure):
                return failure
            case .success(let consumed) where consumed < payload.readableBytes:
                pending.writeImmutableBuffer(
                    payload.getSlice(at: payload.readerIndex + consumed, length: payload.readableBytes - consumed)!)
            case .success:
                break
            }
        } else {
            pending.writeImmutableBuffer(payload)
            let result = pending.withUnsafeReadableBytes {
                Self.scan($0, wire: wire, maximum: maximum, handshakeDone: &handshakeDone, body)
            }
            switch result {
            case .failure(let failure):
                return failure
            case .success(let consumed):
                pending.moveReaderIndex(forwardBy: consumed)
                if pending.readableBytes == 0 { pending.clear() } else { pending.discardReadBytes() }
            }
        }
        // A JSON message with no 0x1E yet has no length to check against; bound what is kept.
        return pending.readableBytes > maximum + 5 ? .messageTooLarge : nil
    }

    /// Reports the complete messages at the front of `bytes`; returns how many bytes they took.
    private static func scan(
        _ bytes: UnsafeRawBufferPointer, wire: HubWireProtocol, maximum: Int, handshakeDone: inout Bool,
        _ body: (HubMessageKind) -> Void
    ) -> Result<Int, Failure> {
        var offset = 0
        if !handshakeDone {
            guard let end = bytes.firstIndex(of: 0x1E) else { return .success(0) }
            let response = UnsafeRawBufferPointer(rebasing: bytes[0..<end])
            let isError = ByteSearch.find(#""error""#, in: response) != nil
            body(.handshake(error: isError ? String(decoding: response, as: UTF8.self) : nil))
            handshakeDone = true
            offset = end + 1
        }
        switch wire {
        case .json:
            while offset < bytes.count {
                guard let end = bytes[offset...].firstIndex(of: 0x1E) else { break }
                body(JSONMessageClassifier.classify(UnsafeRawBufferPointer(rebasing: bytes[offset..<end])))
                offset = end + 1
            }
        case .messagepack:
            while offset < bytes.count {
                var length = 0
                var shift = 0
                var position = offset
                var complete = false
                while position < bytes.count {
                    let byte = bytes[position]
                    position += 1
                    length |= Int(byte & 0x7f) << shift
                    if byte & 0x80 == 0 {
                        complete = true
                        break
                    }
                    shift += 7
                    if shift >= 35 { return .failure(.invalidLengthPrefix) }
                }
                guard complete else { break }
                guard length <= Int(Int32.max) else { return .failure(.invalidLengthPrefix) }
                guard length <= maximum else { return .failure(.messageTooLarge) }
                guard bytes.count - position >= length else { break }
                body(
                    MessagePackMessageClassifier.classify(
                        UnsafeRawBufferPointer(rebasing: bytes[position..<(position + length)])))
                offset = position + length
            }
        }
        return .success(offset)
    }
}
