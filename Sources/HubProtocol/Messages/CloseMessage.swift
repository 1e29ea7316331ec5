/// Close (type 7): the sender is closing the connection.
public struct CloseMessage: Sendable, Hashable {
    /// Why, when the close is due to an error (`Connection closed with an error.` from a server).
    public var error: String?
    /// Whether the client may reconnect (written only when `true`).
    public var allowReconnect: Bool

    /// Makes a close message; the defaults are a clean close.
    public init(error: String? = nil, allowReconnect: Bool = false) {
        self.error = error
        self.allowReconnect = allowReconnect
    }
}
