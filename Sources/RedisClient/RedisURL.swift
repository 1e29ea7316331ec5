/// Where and how to reach a Redis server, parsed from a URL.
///
/// Accepted forms (redis-cli's `-u` rules for the user information):
/// - `redis://[[username:]password@]host[:port][/db]` — TCP, port 6379 by default;
/// - `rediss://…` — the same over TLS;
/// - `unix://[[username:]password@]/path/to/socket[?db=N]` — a Unix domain socket.
///
/// User information without a colon is a password (the `default` user's). Percent-escapes are
/// decoded in the user name, the password and the socket path. IPv6 hosts go in brackets
/// (`redis://[::1]:6380`).
public struct RedisURL: Sendable, Hashable, CustomStringConvertible {
    /// How the server is reached.
    public enum Endpoint: Sendable, Hashable {
        /// TCP to `host` and `port`.
        case tcp(host: String, port: Int)
        /// A Unix domain socket at `path`.
        case unixSocket(path: String)
    }

    /// How the server is reached.
    public var endpoint: Endpoint
    /// Whether the connection uses TLS (`rediss://`).
    public var usesTLS: Bool
    /// The ACL user to authenticate as; `nil` means the `default` user.
    public var username: String?
    /// The password, if any.
    public var password: String?
    /// The database to `SELECT` after connecting.
    public var database: Int

    /// Makes a URL value from its parts.
    public init(
        endpoint: Endpoint, usesTLS: Bool = false, username: String? = nil, password: String? = nil,
        database: Int = 0
    ) {
        self.endpoint = endpoint
        self.usesTLS = usesTLS
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses `text`; throws ``RedisClientError`` with code `invalidURL` saying what is wrong.
    public init(_ text: String) throws(RedisClientError) {
        func fail(_ why: String) -> RedisClientError {
            RedisClientError(.invalidURL, "'\(Self.redacted(text))': \(why)")
        }
        guard let schemeEnd = text.firstRange(of: "://") else {
            throw fail("expected redis://, rediss:// or unix://")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        var rest = Substring(text[schemeEnd.upperBound...])
        guard ["redis", "rediss", "unix"].contains(scheme) else {
            throw fail("unsupported scheme '\(scheme)' (expected redis, rediss or unix)")
        }
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        if rest.contains("#") { throw fail("fragments are not allowed") }
        var username: String?
        var password: String?
        // The user information ends at the last '@' (a password may contain '@' only escaped, but
        // be lenient with an unescaped one, as redis-cli is).
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                let user = userInfo[..<colon]
                guard let decodedUser = Self.percentDecoded(user),
                    let decodedPassword = Self.percentDecoded(userInfo[userInfo.index(after: colon)...])
                else { throw fail("bad percent-escape in the user information") }
                username = user.isEmpty ? nil : decodedUser
                password = decodedPassword
            } else {
                guard let decoded = Self.percentDecoded(userInfo) else {
                    throw fail("bad percent-escape in the password")
                }
                password = decoded
            }
        }
        var database = 0
        var queryDatabase: Int?
        for item in query.split(separator: "&") where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0].lowercased()
            let value = parts.count == 2 ? String(parts[1]) : ""
            switch name {
            case "db":
                guard let n = Int(value), n >= 0 else { throw fail("db must be a number ≥ 0, not '\(value)'") }
                queryDatabase = n
            default:
                throw fail("unknown option '\(name)'")
            }
        }
        let endpoint: Endpoint
        if scheme == "unix" {
            guard rest.hasPrefix("/"), rest.count > 1 else {
                throw fail("a unix URL needs an absolute socket path (unix:///path/to/socket)")
            }
            guard let path = Self.percentDecoded(rest) else { throw fail("bad percent-escape in the path") }
            endpoint = .unixSocket(path: path)
        } else {
            var hostPort = rest
            if let slash = rest.firstIndex(of: "/") {
                hostPort = rest[..<slash]
                let path = rest[rest.index(after: slash)...]
                if !path.isEmpty {
                    guard let n = Int(path), n >= 0 else {
                        throw fail("the path must be a database number ≥ 0, not '\(path)'")
                    }
                    database = n
                }
            }
            var host: Substring
            var portText: Substring?
            if hostPort.hasPrefix("[") {
                guard let close = hostPort.firstIndex(of: "]") else { throw fail("unclosed '[' in the host") }
                host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
                let after = hostPort[hostPort.index(after: close)...]
                if !after.isEmpty {
                    guard after.hasPrefix(":") else { throw fail("unexpected text after the IPv6 address") }
                    portText = after.dropFirst()
                }
            } else if let colon = hostPort.lastIndex(of: ":") {
                host = hostPort[..<colon]
                portText = hostPort[hostPort.index(after: colon)...]
            } else {
                host = hostPort
            }
            if host.isEmpty { host = "localhost" }
            var port = 6379
            if let portText {
                guard let p = Int(portText), (1...65535).contains(p) else {
                    throw fail("the port must be a number from 1 to 65535, not '\(portText)'")
                }
                port = p
            }
            endpoint = .tcp(host: String(host), port: port)
        }
        if let queryDatabase {
            if scheme != "unix" && database != 0 && database != queryDatabase {
                throw fail("the database is given twice, differently")
            }
            database = queryDatabase
        }
        self.init(
            endpoint: endpoint, usesTLS: scheme == "rediss", username: username, password: password,
            database: database)
    }

    /// The URL as text, with the password replaced by `***`.
    public var description: String {
        var text = usesTLS ? "rediss://" : (endpoint.isUnixSocket ? "unix://" : "redis://")
        if password != nil { text += (username ?? "") + ":***@" }
        switch endpoint {
        case .tcp(let host, let port):
            text += host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            if database != 0 { text += "/\(database)" }
        case .unixSocket(let path):
            text += path
            if database != 0 { text += "?db=\(database)" }
        }
        return text
    }

    /// `text` with anything between `://` and the last `@` hidden, for error messages.
    static func redacted(_ text: String) -> String {
        guard let schemeEnd = text.firstRange(of: "://"), let at = text.lastIndex(of: "@"), at > schemeEnd.upperBound
        else { return text }
        return String(text[..<schemeEnd.upperBound]) + "***" + String(text[at...])
    }

    /// Decodes `%XX` escapes; `nil` for a malformed escape or bytes that are not UTF-8.
    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue)
                else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension RedisURL.Endpoint {
    /// Whether this is a Unix domain socket.
    public var isUnixSocket: Bool {
        if case .unixSocket = self { return true }
        return false
    }
}
