/// What the bench needs to know about one received hub message — nothing more is decoded.
public enum HubMessageKind: Equatable, Sendable {
    /// The handshake response (`{}` or `{"error":…}` before the first `0x1E`); `error` holds the
    /// raw response text when it is not `{}`.
    case handshake(error: String?)
    /// A type-1 Invocation of `ReceiveMessage`; `sentAt` is the number after the first `hb:` in
    /// the message, or nil when it has none.
    case receiveMessage(sentAt: UInt64?)
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
