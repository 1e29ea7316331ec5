/// An error from the Redis client: a stable `code` to match on and a message for people.
public struct RedisClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as a stable value to match on.
    public enum Code: String, Sendable, Hashable {
        /// The URL could not be parsed or names something unsupported.
        case invalidURL
        /// The configuration is inconsistent (for example TLS files that cannot be read).
        case invalidConfiguration
        /// The server replied with an error (`-ERR …`); the message is the server's text.
        case serverError
        /// Connecting did not finish within the connect timeout.
        case connectTimeout
        /// A command got no reply within the command timeout; the connection was closed.
        case commandTimeout
        /// The connection closed before the command's reply arrived.
        case connectionClosed
        /// The client is not connected and was told to fail fast.
        case notConnected
        /// The client is not connected and its queue of waiting commands is full.
        case queueFull
        /// A queued command waited longer than the queue timeout for a connection.
        case queueTimeout
        /// The client was closed by its owner.
        case clientClosed
        /// The server sent something that is not valid RESP, or a reply of an unexpected shape.
        case protocolError
        /// TLS could not be set up or the handshake failed.
        case tlsFailure
    }

    /// What went wrong.
    public var code: Code
    /// Details for people (the server's error text for `serverError`).
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
