import Foundation
import NIOCore

/// A hub endpoint given with `--node`, such as `http://127.0.0.1:5000/learningHub`.
struct HubNode: Sendable, CustomStringConvertible {
    var host: String
    var port: Int
    /// The hub path, without a trailing slash, e.g. `/learningHub`.
    var path: String
    /// The address, resolved once so that each connection does not ask the resolver again.
    var address: SocketAddress

    var description: String { "http://\(host):\(port)\(path)" }

    /// Parses `http://` or `ws://` URLs (no TLS: the bench runs on loopback).
    init(_ text: String) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else { throw HubBenchError.invalidNode("\(text) is not a URL") }
        guard scheme == "http" || scheme == "ws" else {
            throw HubBenchError.invalidNode("\(text): only http:// and ws:// are supported")
        }
        self.host = host
        self.port = components.port ?? 80
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        self.path = path.isEmpty ? "/" : path
        do {
            self.address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            throw HubBenchError.invalidNode("\(text): cannot resolve \(host): \(error)")
        }
    }

    /// The `Host` header value.
    var hostHeader: String { port == 80 ? host : "\(host):\(port)" }

    /// The WebSocket request target: the hub path, with `?id=<token>` unless negotiation is skipped.
    func webSocketTarget(token: String?) -> String {
        guard let token else { return path }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_.~"))
        return path + "?id=" + (token.addingPercentEncoding(withAllowedCharacters: allowed) ?? token)
    }

    /// The negotiate request target.
    var negotiateTarget: String { (path == "/" ? "" : path) + "/negotiate?negotiateVersion=1" }
}
