import HTTPTypes

/// Cross-origin access to a hub's HTTP requests (negotiate, Server-Sent Events, long polling,
/// sends), as ASP.NET Core's CORS middleware answers them for a policy with `WithOrigins(…)`,
/// any header, any method and, by default, `AllowCredentials()` — what SignalR's browser
/// clients need (they send credentials by default).
///
/// A request from an allowed origin gets `Access-Control-Allow-Origin: <origin>` (and
/// `Access-Control-Allow-Credentials: true`); a preflight (`OPTIONS` with
/// `Access-Control-Request-Method`) gets 204 with the method and headers it asked for. Another
/// origin gets no CORS headers, so the browser refuses the response. WebSockets are not subject
/// to CORS.
public struct HubCORS: Sendable, Hashable {
    /// The origins allowed (`https://app.example.com`, compared case-insensitively), or `["*"]`
    /// for any (then credentials are not allowed, as browsers require).
    public var allowedOrigins: [String]
    /// Whether the browser may send cookies and authorization with the requests.
    public var allowCredentials: Bool
    /// How long a browser may cache a preflight's answer; `nil` leaves it to the browser.
    public var maxAgeSeconds: Int?

    /// A policy for `allowedOrigins`.
    public init(allowedOrigins: [String], allowCredentials: Bool = true, maxAgeSeconds: Int? = nil) {
        self.allowedOrigins = allowedOrigins
        self.allowCredentials = allowCredentials
        self.maxAgeSeconds = maxAgeSeconds
    }

    var allowsAnyOrigin: Bool { allowedOrigins.contains("*") }

    func allows(origin: String) -> Bool {
        allowsAnyOrigin || allowedOrigins.contains { $0.caseInsensitiveCompare(origin) }
    }

    /// The headers an actual (not preflight) request from `origin` gets; empty when not allowed.
    func responseHeaders(origin: String?) -> HTTPFields {
        guard let origin, allows(origin: origin) else { return [:] }
        var fields = HTTPFields()
        if allowsAnyOrigin && !allowCredentials {
            fields[.accessControlAllowOrigin] = "*"
        } else {
            fields[.accessControlAllowOrigin] = origin
            fields[.vary] = "Origin"
        }
        if allowCredentials && !allowsAnyOrigin { fields[.accessControlAllowCredentials] = "true" }
        return fields
    }

    /// The answer to a preflight from `origin` asking for `method` and `headers`: 204, with the
    /// CORS headers only when the origin is allowed.
    func preflightHeaders(origin: String?, method: String?, headers: String?) -> HTTPFields {
        var fields = responseHeaders(origin: origin)
        guard !fields.isEmpty else { return fields }
        if let method { fields[.accessControlAllowMethods] = method }
        if let headers, !headers.isEmpty { fields[.accessControlAllowHeaders] = headers }
        if let maxAgeSeconds { fields[.accessControlMaxAge] = "\(maxAgeSeconds)" }
        return fields
    }
}

extension String {
    fileprivate func caseInsensitiveCompare(_ other: String) -> Bool {
        lowercased() == other.lowercased()
    }
}
