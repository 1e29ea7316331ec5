/// The HTTP request that opened a connection (the negotiate or WebSocket request), as far as hub
/// code may want it.
public struct HubConnectionRequest: Sendable {
    /// The request path (`/learningHub`).
    public var path: String
    /// Header fields in order; names as received.
    public var headers: [(name: String, value: String)]
    /// Query items in order, percent-decoded.
    public var query: [(name: String, value: String)]
    /// The peer's address, when known (`127.0.0.1:51234`).
    public var remoteAddress: String?

    /// Makes a request description.
    public init(
        path: String, headers: [(name: String, value: String)] = [], query: [(name: String, value: String)] = [],
        remoteAddress: String? = nil
    ) {
        self.path = path
        self.headers = headers
        self.query = query
        self.remoteAddress = remoteAddress
    }

    /// The first header named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }

    /// The first query item named `name` (case-sensitive, like a URL).
    public func queryItem(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }
}
