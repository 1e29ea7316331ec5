/// An error from the hub framework, or one hub code throws on purpose.
///
/// Thrown from a hub method with ``Code-swift.enum/hubException`` (``init(_:)``), its message
/// reaches the client, as ASP.NET Core's `HubException` does:
/// `An unexpected error occurred invoking '<m>' on the server. HubException: <message>`. Any other
/// error thrown by hub code is reported without details unless detailed errors are on.
public struct HubError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable code per kind of failure.
    public enum Code: String, Sendable, Hashable {
        /// Thrown by hub code for the client to see (ASP.NET Core's `HubException`).
        case hubException
        /// A filter refused the invocation: `Failed to invoke '<m>' because user is unauthorized`.
        case unauthorized
        /// The connection a client result was asked of does not exist (or left).
        case connectionNotFound
        /// The connection left while its client result was awaited.
        case connectionDisconnected
        /// The client answered a client result with an error.
        case clientResultError
        /// No client result arrived in time.
        case clientResultTimeout
        /// A value could not be encoded or decoded.
        case serialization
        /// The lifetime manager could not deliver (for example the backplane is down).
        case deliveryFailed
    }

    /// The kind of error.
    public var code: Code
    /// The text (for ``Code-swift.enum/hubException``, what the client sees).
    public var message: String

    /// A `HubException`: its message is sent to the client.
    public init(_ message: String) {
        self.code = .hubException
        self.message = message
    }

    /// An error of a given kind.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Refuses an invocation from a filter; the client sees
    /// `Failed to invoke '<m>' because user is unauthorized`.
    public static let unauthorized = HubError(.unauthorized, "The user is not authorized to invoke this method.")

    /// The message.
    public var description: String { message }
}
