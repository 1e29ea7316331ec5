/// CancelInvocation (type 5): stop the stream `invocationId`.
public struct CancelInvocationMessage: Sendable {
    /// Extra data such as trace context.
    public var headers: [String: String]
    /// The id of the stream to cancel.
    public var invocationId: String

    /// Makes a cancel message.
    public init(headers: [String: String] = [:], invocationId: String) {
        self.headers = headers
        self.invocationId = invocationId
    }
}
