/// Invocation (type 1): call `target` with `arguments`.
public struct InvocationMessage: Sendable {
    /// Extra data such as trace context; receivers ignore headers they do not know.
    public var headers: [String: String]
    /// The id the callee echoes in its Completion; `nil` (or `""` on the wire) for a non-blocking
    /// call, which gets no reply at all.
    public var invocationId: String?
    /// The method name.
    public var target: String
    /// The arguments.
    public var arguments: HubArguments
    /// Ids of client-to-server streams that feed this call (written only when not empty).
    public var streamIds: [String]

    /// Makes an invocation; an empty `invocationId` is stored as `nil`.
    public init(
        headers: [String: String] = [:], invocationId: String? = nil, target: String,
        arguments: HubArguments = .empty, streamIds: [String] = []
    ) {
        self.headers = headers
        self.invocationId = invocationId?.isEmpty == true ? nil : invocationId
        self.target = target
        self.arguments = arguments
        self.streamIds = streamIds
    }

    /// Whether the caller waits for a Completion (it has an invocation id).
    public var isBlocking: Bool { invocationId != nil }
}
