import MessagePack

/// Why a backplane message could not be read.
public struct HubBackplaneError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable code for each way a message can be wrong.
    public enum Code: String, Sendable, Hashable {
        /// The payload is not MessagePack of the expected layout (too few items, wrong types, bad bytes).
        case invalidMessage
        /// A group command names an action other than 1 (add) or 2 (remove).
        case invalidGroupAction
    }

    /// The kind of error.
    public var code: Code
    /// A human-readable explanation.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// An `invalidMessage` error for `what`, from the MessagePack reader's error.
    static func invalid(_ what: String, _ error: MessagePackError) -> HubBackplaneError {
        HubBackplaneError(.invalidMessage, "Invalid \(what): \(error.message)")
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
