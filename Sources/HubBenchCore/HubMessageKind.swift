import NIOCore

/// What the bench needs to know about one received hub message — nothing more is decoded.
public enum HubMessageKind: Equatable, Sendable {
    /// The handshake response (`{}` or `{"error":…}` before the first `0x1E`); `error` holds the
    /// raw response text when it is not `{}`.
    case handshake(error: String?)
    /// A type-1 Invocation of `ReceiveMessage` with the first `hb:` marker in the message, or nil
    /// when it has none.
    case receiveMessage(BenchMarker?)
    /// A type-3 Completion; `invocationID` is the id when it is a decimal number, `failed` is true
    /// when the completion carries an error.
    case completion(invocationID: UInt64?, failed: Bool)
    /// A type-6 Ping.
    case ping
    /// A type-7 Close; `hasError` is true when the server gave an error.
    case close(hasError: Bool)
    /// Any other message (an Invocation of another target included), with its type number.
    case other(type: Int)
    /// A message whose type could not be found.
    case malformed
}

/// What a bench message carries in its text: `hb:<sentAt>:<sender>:<sequence>`. The sender and
/// sequence are 0 in a bare `hb:<sentAt>` marker.
public struct BenchMarker: Equatable, Sendable {
    /// The send time in monotonic nanoseconds (the scheduled time in open loop).
    public var sentAt: UInt64
    /// The index of the connection that sent it.
    public var sender: UInt64
    /// 1, 2, 3 … per sender, in send order.
    public var sequence: UInt64

    public init(sentAt: UInt64, sender: UInt64 = 0, sequence: UInt64 = 0) {
        self.sentAt = sentAt
        self.sender = sender
        self.sequence = sequence
    }

    /// The first marker in `bytes` (a whole raw message, such as one nchan WebSocket frame), or nil.
    public static func find(in bytes: ByteBuffer) -> BenchMarker? {
        bytes.withUnsafeReadableBytes { ByteSearch.marker(in: $0) }
    }
}
