/// Why RESP input was refused.
///
/// `message` is the text Redis puts after `-ERR Protocol error: `, so a server can reply with
/// Redis's exact words (see ``redisReply``).
public struct RESPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable code for each way input can be wrong.
    public enum Code: String, Sendable, Hashable {
        case tooBigInlineRequest
        case unbalancedQuotes
        case tooBigMultibulkCount
        case invalidMultibulkLength
        case unauthenticatedMultibulkLength
        case expectedDollar
        case tooBigBulkCount
        case invalidBulkLength
        case unauthenticatedBulkLength
        case queryBufferLimit
        case invalidTypeByte
        case invalidInteger
        case invalidDouble
        case invalidBoolean
        case missingCRLF
        case nestingTooDeep
        case aggregateTooLong
    }

    /// The kind of error.
    public var code: Code
    /// Redis's text for it (without the `Protocol error: ` prefix).
    public var message: String

    /// Makes an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The whole reply Redis sends before closing the connection: `-ERR Protocol error: …\r\n`.
    public var redisReply: String { "-ERR Protocol error: \(message)\r\n" }

    public var description: String { "Protocol error: \(message)" }
}
