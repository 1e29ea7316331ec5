/// Completion (type 3): the end of invocation or stream `invocationId`.
public struct CompletionMessage: Sendable {
    /// How an invocation ended.
    public enum Outcome: Sendable {
        /// A method without a return value finished, or a stream ended.
        case void
        /// The method returned a value (which may be ``HubValue/null``).
        case result(HubValue)
        /// The invocation failed with this text.
        case error(String)
    }

    /// Extra data such as trace context.
    public var headers: [String: String]
    /// The id of the invocation or stream that ended.
    public var invocationId: String
    /// Result, error, or neither.
    public var outcome: Outcome

    /// Makes a completion.
    public init(headers: [String: String] = [:], invocationId: String, outcome: Outcome = .void) {
        self.headers = headers
        self.invocationId = invocationId
        self.outcome = outcome
    }

    /// The error text, if the invocation failed.
    public var error: String? {
        if case .error(let text) = outcome { return text }
        return nil
    }

    /// The result, if the method returned one.
    public var result: HubValue? {
        if case .result(let value) = outcome { return value }
        return nil
    }
}
