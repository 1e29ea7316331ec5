import NIOCore

/// A raw HTTP/1.1 client for tests: one request per connection (`Connection: close`), the
/// response read to the end of the stream.
public enum TestHTTPClient {
    /// A response.
    public struct Response: Sendable {
        /// The status code.
        public var status: Int
        /// Header fields, names lowercased.
        public var headers: [String: String]
        /// The body as text.
        public var body: String
    }

    /// Sends `method path` to `127.0.0.1:port` and returns the whole response.
    public static func request(
        _ method: String, port: Int, path: String, headers: [(String, String)] = [], body: String? = nil,
        timeout: Duration = .seconds(10)
    ) async throws -> Response {
        let (channel, received) = try await TestByteCollector.connect(port: port)
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        let bodyBytes = Array((body ?? "").utf8)
        if body != nil || method == "POST" || method == "PUT" { request += "Content-Length: \(bodyBytes.count)\r\n" }
        request += "\r\n"
        var buffer = ByteBuffer(string: request)
        buffer.writeBytes(bodyBytes)
        try await channel.writeAndFlush(buffer)
        var all = ByteBuffer()
        while var part = try await received.next(timeout: timeout) {
            all.writeBuffer(&part)
            // A server that keeps the connection open despite `Connection: close` (Chromium's
            // DevTools) has still said how long its body is.
            if isComplete(all) { break }
        }
        try? await channel.close()
        return try parse(all)
    }

    /// Whether `buffer` holds a whole response with a `Content-Length` body.
    private static func isComplete(_ buffer: ByteBuffer) -> Bool {
        let bytes = buffer.readableBytesView
        guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else { return false }
        let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self).lowercased()
        guard let match = head.firstMatch(of: #/\r\ncontent-length:\s*(\d+)/#), let length = Int(match.1) else {
            return false
        }
        return bytes.distance(from: end.upperBound, to: bytes.endIndex) >= length
    }

    static func parse(_ buffer: ByteBuffer) throws -> Response {
        let bytes = Array(buffer.readableBytesView)
        guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else {
            throw TestTimeoutError(description: "No complete HTTP response head")
        }
        let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingSpaces()
        }
        var body = Array(bytes[end.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return Response(status: status, headers: headers, body: String(decoding: body, as: UTF8.self))
    }

    private static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while let lineEnd = bytes[index...].firstRange(of: Array("\r\n".utf8)) {
            let sizeText = String(decoding: bytes[index..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            guard start + size <= bytes.count else { break }
            out.append(contentsOf: bytes[start..<(start + size)])
            index = start + size + 2
            guard index < bytes.count else { break }
        }
        return out
    }

}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        var result = self
        while result.first == " " { result = result.dropFirst() }
        while result.last == " " { result = result.dropLast() }
        return String(result)
    }
}
