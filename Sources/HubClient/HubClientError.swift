/// Why a hub connection, or a call made on it, failed.
///
/// `message` is the text the .NET and JavaScript SignalR clients use for the same failure where
/// they have one (for example `Server timeout elapsed without receiving a message from the
/// server.`); a server's error text (a failed invocation, a refused handshake, a Close with an
/// error) is passed through unchanged.
public struct HubClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable code for each way a connection or call can fail.
    public enum Code: String, Sendable, Hashable {
        /// The URL cannot be used (not http, https, ws or wss; no host).
        case invalidURL
        /// Negotiate failed: an HTTP status other than 200, an `error` in the response, a body
        /// that is not a negotiate response, or too many redirects.
        case negotiationFailed
        /// The server offers no transport this client can use (it speaks WebSockets).
        case noSupportedTransport
        /// The TCP, TLS or WebSocket connection could not be opened (including an HTTP status
        /// instead of the upgrade, such as 401 or 404).
        case transportFailed
        /// The server refused the handshake, or did not answer it in time.
        case handshakeFailed
        /// The server sent bytes that are not hub messages in the chosen protocol.
        case protocolError
        /// Nothing arrived from the server within the server timeout.
        case serverTimeout
        /// The server sent a Close message with an error, or the connection ended.
        case connectionClosed
        /// The operation needs a connected connection (``HubConnection/start()`` first).
        case notConnected
        /// The server answered an invocation with an error (the text is the server's).
        case invocationFailed
        /// A result, stream item or argument could not be decoded or encoded.
        case valueError
        /// The call was cancelled.
        case cancelled
    }

    /// What failed.
    public var code: Code
    /// The text for users: .NET's words where it has them, the server's text where it sent one.
    public var message: String

    /// Makes an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `message`.
    public var description: String { message }

    /// `Invocation canceled due to the underlying connection being closed.` (.NET's text for
    /// calls still waiting when their connection ends).
    public static let connectionEndedDuringCall = HubClientError(
        .connectionClosed, "Invocation canceled due to the underlying connection being closed.")
}
