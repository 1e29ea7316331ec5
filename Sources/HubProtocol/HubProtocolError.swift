import MessagePack

/// Why hub protocol input was refused, or a value could not be encoded or decoded.
///
/// `message` is the text ASP.NET Core SignalR uses for the same failure where it has one (for
/// example `Missing required property 'target'.`), so a server can put it into a Close message or
/// a handshake response unchanged. `context` adds what .NET's text leaves out (an offset, the
/// offending character, an underlying error) for logs; it is never sent to a peer.
public struct HubProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable code for each way input or a value can be wrong.
    public enum Code: String, Sendable, Hashable {
        /// A frame did not fit in `MaximumReceiveMessageSize`.
        case messageTooBig
        /// A VarInt length prefix longer than 5 bytes or above `0x7FFFFFFF`.
        case invalidLengthPrefix
        /// The input ended in the middle of a frame.
        case truncatedMessage
        /// The payload is not valid JSON (RFC 8259), or nests deeper than the limit.
        case invalidJSON
        /// The payload is not valid MessagePack (cut short, a format byte never used, a string that
        /// is not UTF-8…), or nests deeper than the limit.
        case invalidMessagePack
        /// A message is not a JSON object (or not a MessagePack array).
        case unexpectedToken
        /// A required property is absent.
        case missingProperty
        /// A property has the wrong type (for example a `type` that is not an integer).
        case invalidPropertyType
        /// A Completion carries both `error` and `result`.
        case errorAndResult
        /// The handshake did not complete within `MaximumReceiveMessageSize` (or in time).
        case handshakeCanceled
        /// The handshake request or response is malformed.
        case invalidHandshake
        /// A value cannot be carried into the other format: a MessagePack extension other than a
        /// timestamp, a map key that is not a string, NaN or an infinity written as JSON.
        case unsupportedValueFormat
        /// A raw value could not be decoded into the requested Swift type.
        case valueDecodingFailed
        /// A Swift value could not be encoded.
        case valueEncodingFailed
        /// An argument index past the end of the arguments.
        case argumentIndexOutOfRange
        /// A serialized message has no bytes for the requested protocol and no message to write.
        case serializationUnavailable
    }

    /// The kind of error.
    public var code: Code
    /// The text a peer may see; ASP.NET Core's words where it has them.
    public var message: String
    /// Details for logs (position, character, underlying error); `nil` when there is nothing to add.
    public var context: String?

    /// Makes an error.
    public init(_ code: Code, _ message: String, context: String? = nil) {
        self.code = code
        self.message = message
        self.context = context
    }

    /// The message, with the context in parentheses when there is one.
    public var description: String {
        if let context { return "\(message) (\(context))" }
        return message
    }
}

extension HubProtocolError {
    /// The error ASP.NET Core raises when no whole message fits in `MaximumReceiveMessageSize`.
    public static func messageTooBig(limit: Int) -> HubProtocolError {
        HubProtocolError(
            .messageTooBig,
            "The maximum message size of \(limit)B was exceeded. The message size can be configured in AddHubOptions.")
    }

    /// `Missing required property '<name>'.`
    public static func missingProperty(_ name: String) -> HubProtocolError {
        HubProtocolError(.missingProperty, "Missing required property '\(name)'.")
    }

    /// The error for a transport that ended in the middle of a message.
    public static let truncatedMessage = HubProtocolError(
        .truncatedMessage, "Connection terminated while reading a message.")

    /// The error for a VarInt prefix that is too long or too large.
    public static let invalidLengthPrefix = HubProtocolError(
        .invalidLengthPrefix, "Messages over 2GB in size are not supported.")

    static func invalidJSON(_ context: String) -> HubProtocolError {
        HubProtocolError(.invalidJSON, "Error reading JSON.", context: context)
    }

    static func invalidMessagePack(_ error: MessagePackError) -> HubProtocolError {
        HubProtocolError(.invalidMessagePack, "Error reading MessagePack.", context: error.description)
    }
}
