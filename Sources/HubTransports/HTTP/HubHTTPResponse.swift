import HTTPTypes

/// A complete, small HTTP response decided by the hub routes (negotiate bodies, status errors),
/// written either through Hummingbird's router or straight onto a refused upgrade's channel.
struct HubHTTPResponse: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: String

    static func json(_ body: String, status: HTTPResponse.Status = .ok) -> HubHTTPResponse {
        HubHTTPResponse(status: status, headers: [.contentType: "application/json"], body: body)
    }

    static func text(_ status: HTTPResponse.Status, _ body: String = "") -> HubHTTPResponse {
        HubHTTPResponse(status: status, headers: [.contentType: "text/plain"], body: body)
    }

    static var unauthorized: HubHTTPResponse {
        HubHTTPResponse(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"], body: "")
    }
}
