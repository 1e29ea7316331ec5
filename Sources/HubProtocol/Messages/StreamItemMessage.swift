/// StreamItem (type 2): one item of the stream `invocationId`.
public struct StreamItemMessage: Sendable {
    /// Extra data such as trace context.
    public var headers: [String: String]
    /// The stream's id.
    public var invocationId: String
    /// The item (may be ``HubValue/null``).
    public var item: HubValue

    /// Makes a stream item.
    public init(headers: [String: String] = [:], invocationId: String, item: HubValue) {
        self.headers = headers
        self.invocationId = invocationId
        self.item = item
    }
}
