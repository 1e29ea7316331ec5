import HubTestSupport
import NIOCore
import Testing

@testable import HubTransports

@Suite("Negotiate")
struct NegotiateTests {
    static let idPattern = "[A-Za-z0-9_-]{22}"

    @Test("Version 1: id, a distinct token, the three transports, in ASP.NET Core's field order")
    func versionOne() async throws {
        try await TestHub.withServer { port in
            let response = try await TestHTTPClient.request(
                "POST", port: port, path: TestHub.path + "/negotiate?negotiateVersion=1")
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "application/json")
            let pattern =
                #/\{"negotiateVersion":1,"connectionId":"([A-Za-z0-9_-]{22})","connectionToken":"([A-Za-z0-9_-]{22})","availableTransports":\[\{"transport":"WebSockets","transferFormats":\["Text","Binary"\]\},\{"transport":"ServerSentEvents","transferFormats":\["Text"\]\},\{"transport":"LongPolling","transferFormats":\["Text","Binary"\]\}\]\}/#
            let match = try #require(response.body.wholeMatch(of: pattern))
            #expect(match.1 != match.2)
        }
    }

    @Test("Version 0 without the parameter: no token")
    func versionZero() async throws {
        try await TestHub.withServer { port in
            let response = try await TestHTTPClient.request("POST", port: port, path: TestHub.path + "/negotiate")
            #expect(response.status == 200)
            let pattern =
                #/\{"negotiateVersion":0,"connectionId":"[A-Za-z0-9_-]{22}","availableTransports":\[\{"transport":"WebSockets","transferFormats":\["Text","Binary"\]\},\{"transport":"ServerSentEvents","transferFormats":\["Text"\]\},\{"transport":"LongPolling","transferFormats":\["Text","Binary"\]\}\]\}/#
            #expect(response.body.wholeMatch(of: pattern) != nil, "\(response.body)")
        }
    }

    @Test("The key is case-insensitive and versions above 1 are clamped")
    func clamped() async throws {
        try await TestHub.withServer { port in
            let response = try await TestHTTPClient.request(
                "POST", port: port, path: TestHub.path.uppercased() + "/Negotiate?NEGOTIATEVERSION=7")
            #expect(response.body.hasPrefix("{\"negotiateVersion\":1,"), "\(response.body)")
            #expect(response.body.contains("connectionToken"))
        }
    }

    @Test("Version errors are 200 with {\"error\"}")
    func versionErrors() async throws {
        var options = HubRouteOptions()
        options.minimumNegotiateVersion = 1
        try await TestHub.withServer(routeOptions: options) { port in
            let nonInteger = try await TestHTTPClient.request(
                "POST", port: port, path: TestHub.path + "/negotiate?negotiateVersion=abc")
            #expect(nonInteger.status == 200)
            #expect(nonInteger.body == #"{"error":"The client requested a non-integer protocol version."}"#)
            let tooLow = try await TestHTTPClient.request("POST", port: port, path: TestHub.path + "/negotiate")
            #expect(tooLow.status == 200)
            #expect(
                tooLow.body
                    == #"{"error":"The client requested version '0', but the server does not support this version."}"#)
        }
    }

    @Test("Other methods get 405 text/plain")
    func methodNotAllowed() async throws {
        try await TestHub.withServer { port in
            for method in ["GET", "PUT", "DELETE"] {
                let response = try await TestHTTPClient.request(method, port: port, path: TestHub.path + "/negotiate")
                #expect(response.status == 405, "\(method)")
                #expect(response.headers["content-type"] == "text/plain")
            }
            let plain = try await TestHTTPClient.request("GET", port: port, path: "/plain")
            #expect(plain.status == 200 && plain.body == "plain")
        }
    }

    @Test("A hub's choice of transports: negotiate lists only those, and the others get 404")
    func transportChoice() async throws {
        // The book's node 1: WebSockets and long polling, no Server-Sent Events.
        try await TestHub.withServer(routeOptions: HubRouteOptions(transports: [.longPolling, .webSockets])) { port in
            let negotiated = try await TestHTTPClient.request(
                "POST", port: port, path: TestHub.path + "/negotiate?negotiateVersion=1")
            #expect(
                negotiated.body.hasSuffix(
                    #""availableTransports":[{"transport":"WebSockets","transferFormats":["Text","Binary"]},{"transport":"LongPolling","transferFormats":["Text","Binary"]}]}"#
                ), "\(negotiated.body)")
            let token = try #require(negotiated.body.firstMatch(of: #/"connectionToken":"([^"]+)"/#)?.1)
            let events = try await TestHTTPClient.request(
                "GET", port: port, path: TestHub.path + "?id=\(token)", headers: [("Accept", "text/event-stream")])
            #expect(events.status == 404)
            #expect(events.body == "ServerSentEvents transport not supported by this end point type")
        }
        try await TestHub.withServer(routeOptions: HubRouteOptions(transports: [.webSockets])) { port in
            let poll = try await TestHTTPClient.request("GET", port: port, path: TestHub.path + "?id=x")
            #expect(poll.status == 404)
            #expect(poll.body == "LongPolling transport not supported by this end point type")
            let upgrade = try await TestHTTPClient.request(
                "POST", port: port, path: TestHub.path + "/negotiate?negotiateVersion=1")
            #expect(upgrade.body.contains(#""availableTransports":[{"transport":"WebSockets""#))
            #expect(!upgrade.body.contains("LongPolling"))
        }
    }

    @Test("CORS: preflights and responses for an allowed origin, nothing for another, 405 without a policy")
    func cors() async throws {
        var options = HubRouteOptions()
        options.cors = HubCORS(allowedOrigins: ["http://app.example:8080"], maxAgeSeconds: 600)
        try await TestHub.withServer(routeOptions: options) { port in
            let preflight = try await TestHTTPClient.request(
                "OPTIONS", port: port, path: TestHub.path + "/negotiate?negotiateVersion=1",
                headers: [
                    ("Origin", "http://app.example:8080"), ("Access-Control-Request-Method", "POST"),
                    ("Access-Control-Request-Headers", "x-requested-with,x-signalr-user-agent"),
                ])
            #expect(preflight.status == 204)
            #expect(preflight.headers["access-control-allow-origin"] == "http://app.example:8080")
            #expect(preflight.headers["access-control-allow-credentials"] == "true")
            #expect(preflight.headers["access-control-allow-methods"] == "POST")
            #expect(preflight.headers["access-control-allow-headers"] == "x-requested-with,x-signalr-user-agent")
            #expect(preflight.headers["access-control-max-age"] == "600")

            let negotiate = try await TestHTTPClient.request(
                "POST", port: port, path: TestHub.path + "/negotiate?negotiateVersion=1",
                headers: [("Origin", "http://APP.example:8080")])
            #expect(negotiate.status == 200)
            #expect(negotiate.headers["access-control-allow-origin"] == "http://APP.example:8080")
            #expect(negotiate.headers["access-control-allow-credentials"] == "true")
            #expect(negotiate.headers["vary"] == "Origin")
            let token = try #require(negotiate.body.firstMatch(of: #/"connectionToken":"([^"]+)"/#)?.1)
            // The transport's requests carry them too: a poll, and the preflight of a DELETE.
            let poll = try await TestHTTPClient.request(
                "GET", port: port, path: TestHub.path + "?id=\(token)", headers: [("Origin", "http://app.example:8080")]
            )
            #expect(poll.status == 200)
            #expect(poll.headers["access-control-allow-origin"] == "http://app.example:8080")
            let deletePreflight = try await TestHTTPClient.request(
                "OPTIONS", port: port, path: TestHub.path + "?id=\(token)",
                headers: [("Origin", "http://app.example:8080"), ("Access-Control-Request-Method", "DELETE")])
            #expect(deletePreflight.status == 204)
            #expect(deletePreflight.headers["access-control-allow-methods"] == "DELETE")

            // Another origin: the same answers, without CORS headers (the browser refuses them).
            let other = try await TestHTTPClient.request(
                "OPTIONS", port: port, path: TestHub.path + "/negotiate",
                headers: [("Origin", "http://evil.example"), ("Access-Control-Request-Method", "POST")])
            #expect(other.status == 204)
            #expect(other.headers["access-control-allow-origin"] == nil)
            let otherNegotiate = try await TestHTTPClient.request(
                "POST", port: port, path: TestHub.path + "/negotiate", headers: [("Origin", "http://evil.example")])
            #expect(otherNegotiate.headers["access-control-allow-origin"] == nil)
        }
        // Any origin: `*`, without credentials.
        options.cors = HubCORS(allowedOrigins: ["*"], allowCredentials: false)
        try await TestHub.withServer(routeOptions: options) { port in
            let negotiate = try await TestHTTPClient.request(
                "POST", port: port, path: TestHub.path + "/negotiate", headers: [("Origin", "http://any.example")])
            #expect(negotiate.headers["access-control-allow-origin"] == "*")
            #expect(negotiate.headers["access-control-allow-credentials"] == nil)
        }
        // No policy: a preflight is an unknown method at a hub path.
        try await TestHub.withServer { port in
            let preflight = try await TestHTTPClient.request(
                "OPTIONS", port: port, path: TestHub.path + "/negotiate",
                headers: [("Origin", "http://app.example:8080"), ("Access-Control-Request-Method", "POST")])
            #expect(preflight.status == 405)
            #expect(preflight.headers["access-control-allow-origin"] == nil)
        }
    }

    @Test("Requests at the hub path that are not WebSocket upgrades")
    func hubPathRequests() async throws {
        try await TestHub.withServer { port in
            let poll = try await TestHTTPClient.request("GET", port: port, path: TestHub.path + "?id=x")
            #expect(poll.status == 404)
            #expect(poll.body == "No Connection with that ID")
            let events = try await TestHTTPClient.request(
                "GET", port: port, path: TestHub.path, headers: [("Accept", "text/event-stream")])
            #expect(events.status == 400)
            #expect(events.body == "Connection ID required")

            let negotiated = try await TestHTTPClient.request(
                "POST", port: port, path: TestHub.path + "/negotiate?negotiateVersion=1")
            let token = try #require(negotiated.body.firstMatch(of: #/"connectionToken":"([^"]+)"/#)?.1)
            // Before any transport a send is kept for the transport to come (long polling may
            // send its handshake first); on a WebSocket connection it is refused.
            let early = try await TestHTTPClient.request(
                "POST", port: port, path: TestHub.path + "?id=\(token)", body: "x")
            #expect(early.status == 200)
            let webSocket = try await TestHub.connect(port: port, query: "?id=\(token)")
            let post = try await TestHTTPClient.request(
                "POST", port: port, path: TestHub.path + "?id=\(token)", body: "x")
            #expect(post.status == 405)
            #expect(post.body == "POST requests are not allowed for WebSocket connections.")
            let unknown = try await TestHTTPClient.request(
                "POST", port: port, path: TestHub.path + "?id=nope", body: "")
            #expect(unknown.status == 404)
            let missing = try await TestHTTPClient.request("POST", port: port, path: TestHub.path, body: "")
            #expect(missing.status == 400)
            let delete = try await TestHTTPClient.request("DELETE", port: port, path: TestHub.path + "?id=\(token)")
            #expect(delete.status == 400)
            #expect(delete.body == "Cannot terminate this connection using the DELETE endpoint.")
            let put = try await TestHTTPClient.request("PUT", port: port, path: TestHub.path, body: "")
            #expect(put.status == 405)
            await webSocket.disconnect()
        }
    }

    @Test("A negotiated connection that never connects expires")
    func expiry() {
        let table = HubNegotiatedConnections(timeout: .seconds(15))
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        table.add(token: "a", connectionId: "A", now: start)
        table.add(token: "b", connectionId: "B", now: start + .seconds(10))
        #expect(table.claim(token: "b", transport: .webSockets, now: start + .seconds(11)) == .success("B"))
        #expect(table.claim(token: "b", transport: .webSockets, now: start + .seconds(12)) == .failure(.alreadyActive))
        #expect(table.entry(token: "a", now: start + .seconds(14)) != nil)
        #expect(table.claim(token: "a", transport: .webSockets, now: start + .seconds(15)) == .failure(.unknown))
        // An active connection outlives its negotiation deadline until its transport ends.
        #expect(table.entry(token: "b", now: start + .seconds(60)) != nil)
        table.remove(token: "b")
        #expect(table.count == 0)
    }

    @Test("Query parsing: percent escapes, plus signs, case-insensitive lookup")
    func queryParsing() {
        let uri = HubRequestURI("/hub/negotiate?NegotiateVersion=1&access_token=a%2Bb+c&bad=%zz&flag")
        #expect(uri.path == "/hub/negotiate")
        #expect(uri.value("negotiateversion") == "1")
        #expect(uri.value("access_token") == "a+b c")
        #expect(uri.value("bad") == "%zz")
        #expect(uri.value("flag") == "")
    }
}
