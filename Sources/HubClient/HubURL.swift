import Foundation

/// A hub URL taken apart: where negotiate goes and where the WebSocket connects.
struct HubURL: Sendable, Equatable {
    /// Whether the connection uses TLS (`https`/`wss`).
    var isSecure: Bool
    /// The host (brackets stripped from an IPv6 literal).
    var host: String
    /// The port (80 or 443 when the URL has none).
    var port: Int
    /// The path, `/` at least.
    var path: String
    /// The query without its `?` (percent-encoded as given); `nil` when absent.
    var query: String?

    /// Parses `text`: `http`, `https`, `ws` or `wss`, with a host.
    init(_ text: String) throws(HubClientError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            throw HubClientError(.invalidURL, "The URL '\(text)' is not an absolute http, https, ws or wss URL.")
        }
        switch scheme {
        case "http", "ws": isSecure = false
        case "https", "wss": isSecure = true
        default:
            throw HubClientError(.invalidURL, "The URL '\(text)' is not an absolute http, https, ws or wss URL.")
        }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? (isSecure ? 443 : 80)
        self.path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        self.query = components.percentEncodedQuery
    }

    /// `host:port` as the `Host` header writes it.
    var authority: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return "\(name):\(port)"
    }

    /// The negotiate request's path and query: `<path>/negotiate?<query>&negotiateVersion=1`, plus
    /// `&useStatefulReconnect=true` when asked.
    func negotiateTarget(useStatefulReconnect: Bool = false) -> String {
        let base = path.hasSuffix("/") ? path + "negotiate" : path + "/negotiate"
        let target = base + "?" + Self.joined(query, "negotiateVersion=1")
        return useStatefulReconnect ? target + "&useStatefulReconnect=true" : target
    }

    /// The WebSocket URL, with `id=<token>` appended when given.
    func webSocketURL(connectionToken: String?) -> String {
        var target = path
        let idItem = connectionToken.map { "id=" + Self.percentEncoded($0) }
        if let all = Self.joinedOptional(query, idItem) { target += "?" + all }
        return (isSecure ? "wss://" : "ws://") + authority + target
    }

    private static func joined(_ query: String?, _ item: String) -> String {
        guard let query, !query.isEmpty else { return item }
        return query + "&" + item
    }

    private static func joinedOptional(_ query: String?, _ item: String?) -> String? {
        guard let item else { return query?.isEmpty == false ? query : nil }
        return joined(query, item)
    }

    /// Percent-encodes a query value (everything but unreserved characters).
    static func percentEncoded(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
