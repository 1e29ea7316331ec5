/// A SignalR transport, as negotiate names it.
///
/// The order of the cases is the order negotiate lists them in (ASP.NET Core's order).
public enum HubTransportType: String, Sendable, Hashable, CaseIterable {
    /// WebSockets: text frames for JSON, binary frames for MessagePack.
    case webSockets = "WebSockets"
    /// Server-Sent Events (server to client) with HTTP POST sends; text only.
    case serverSentEvents = "ServerSentEvents"
    /// Long polling with HTTP POST sends.
    case longPolling = "LongPolling"

    /// The transfer formats negotiate advertises for the transport.
    public var transferFormats: [String] {
        switch self {
        case .webSockets, .longPolling: return ["Text", "Binary"]
        case .serverSentEvents: return ["Text"]
        }
    }

    /// ASP.NET Core's 404 body when a request uses a transport the hub does not offer.
    var notSupportedText: String { "\(rawValue) transport not supported by this end point type" }
}
