import Foundation
import NIOCore
import NIOSSL

/// What a server's negotiate response says (section a of the protocol): the connection's ids,
/// the transports offered, or a redirect or an error.
public struct HubNegotiateResponse: Sendable, Codable, Equatable {
    /// One transport the server offers.
    public struct Transport: Sendable, Codable, Equatable {
        /// `WebSockets`, `ServerSentEvents` or `LongPolling`.
        public var transport: String
        /// `Text` and/or `Binary`.
        public var transferFormats: [String]

        /// Makes an entry.
        public init(transport: String, transferFormats: [String]) {
            self.transport = transport
            self.transferFormats = transferFormats
        }
    }

    /// The negotiate version the server answered with (0 or 1).
    public var negotiateVersion: Int?
    /// The public connection id.
    public var connectionId: String?
    /// The secret token that goes into `?id=` (version 1; version 0 uses the id).
    public var connectionToken: String?
    /// The transports offered, in the server's order.
    public var availableTransports: [Transport]?
    /// Whether the server agreed to stateful reconnect.
    public var useStatefulReconnect: Bool?
    /// A redirect: start over at this URL.
    public var url: String?
    /// A redirect's bearer token.
    public var accessToken: String?
    /// Why the server refused.
    public var error: String?

    /// Makes a response.
    public init(
        negotiateVersion: Int? = nil, connectionId: String? = nil, connectionToken: String? = nil,
        availableTransports: [Transport]? = nil, useStatefulReconnect: Bool? = nil, url: String? = nil,
        accessToken: String? = nil, error: String? = nil
    ) {
        self.negotiateVersion = negotiateVersion
        self.connectionId = connectionId
        self.connectionToken = connectionToken
        self.availableTransports = availableTransports
        self.useStatefulReconnect = useStatefulReconnect
        self.url = url
        self.accessToken = accessToken
        self.error = error
    }

    /// The token for `?id=`: the connection token in version 1, the connection id in version 0.
    public var idForRequests: String? {
        (negotiateVersion ?? 0) >= 1 ? connectionToken : connectionId
    }

    /// Whether WebSockets is offered (with the transfer format `format`: `Text` or `Binary`).
    public func offersWebSockets(format: String) -> Bool {
        availableTransports?.contains { $0.transport == "WebSockets" && $0.transferFormats.contains(format) } ?? false
    }
}

/// Negotiate: POST `<hub>/negotiate?negotiateVersion=1`, following redirects.
public enum HubNegotiator {
    /// .NET's limit on redirects.
    static let maximumRedirects = 100

    /// Negotiates with the hub at `url` (asking for stateful reconnect when `useStatefulReconnect`)
    /// and returns the final response with the URL and token to
    /// use from then on (a redirect replaces both).
    ///
    /// Throws ``HubClientError/Code-swift.enum/negotiationFailed`` on a status other than 200,
    /// a body that is not a negotiate response, an `error` in it (the server's text), or too many
    /// redirects.
    public static func negotiate(
        url: String, accessToken: String?, headers: [(name: String, value: String)] = [],
        tlsConfiguration: TLSConfiguration? = nil, eventLoopGroup: any EventLoopGroup, timeout: Duration,
        useStatefulReconnect: Bool = false
    ) async throws(HubClientError) -> (response: HubNegotiateResponse, url: String, accessToken: String?) {
        var url = url
        var token = accessToken
        for _ in 0...maximumRedirects {
            let parsed = try HubURL(url)
            var fields = headers
            if let token, !token.isEmpty { fields.append((name: "Authorization", value: "Bearer \(token)")) }
            let reply = try await HubHTTPClient.post(
                parsed, target: parsed.negotiateTarget(useStatefulReconnect: useStatefulReconnect), headers: fields,
                tlsConfiguration: tlsConfiguration,
                eventLoopGroup: eventLoopGroup, timeout: timeout)
            guard reply.status == 200 else {
                let body = String(buffer: reply.body).trimmingCharacters(in: .whitespacesAndNewlines)
                let detail = body.isEmpty ? "" : ": \(body)"
                throw HubClientError(
                    .negotiationFailed,
                    "Response status code does not indicate success: \(reply.status) (\(reasonPhrase(reply.status)))\(detail)"
                )
            }
            let response: HubNegotiateResponse
            do {
                response = try JSONDecoder().decode(HubNegotiateResponse.self, from: Data(reply.body.readableBytesView))
            } catch {
                throw HubClientError(.negotiationFailed, "Invalid negotiation response received.")
            }
            if let error = response.error { throw HubClientError(.negotiationFailed, error) }
            if let redirect = response.url {
                url = redirect
                // A redirect without a token keeps the one in use (as the .NET and JS clients).
                token = response.accessToken ?? token
                continue
            }
            guard response.idForRequests != nil else {
                throw HubClientError(.negotiationFailed, "Invalid negotiation response received.")
            }
            return (response, url, token)
        }
        throw HubClientError(.negotiationFailed, "Negotiate redirection limit exceeded.")
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "HTTP \(status)"
        }
    }
}
