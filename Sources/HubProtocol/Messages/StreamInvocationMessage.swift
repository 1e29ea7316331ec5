/// StreamInvocation (type 4): call the streaming method `target`; items come back as StreamItems.
public struct StreamInvocationMessage: Sendable {
    /// Extra data such as trace context.
    public var headers: [String: String]
    /// The id of the stream (required).
    public var invocationId: String
    /// The method name.
    public var target: String
    /// The arguments.
    public var arguments: HubArguments
    /// Ids of client-to-server streams that feed this call (written only when not empty).
    public var streamIds: [String]

    /// Makes a stream invocation.
    public init(
        headers: [String: String] = [:], invocationId: String, target: String,
        arguments: HubArguments = .empty, streamIds: [String] = []
    ) {
        self.headers = headers
        self.invocationId = invocationId
        self.target = target
        self.arguments = arguments
        self.streamIds = streamIds
    }
}
