import NIOCore
import RESP

/// Runs one scripted exchange against a server and records every reply's exact bytes, so the same
/// script run against redis-server and against the broker can be compared byte for byte.
public final class TranscriptSession: @unchecked Sendable {
    // @unchecked: a session is driven by one test task at a time.
    /// The server's port.
    public let port: Int
    /// One line per recorded reply: `[connection] <escaped bytes>`.
    public private(set) var transcript: [String] = []
    private var connections: [Int: RESPTestConnection] = [:]

    /// Makes a session against 127.0.0.1:`port`.
    public init(port: Int) {
        self.port = port
    }

    /// Connection `index`, opened on first use.
    public func connection(_ index: Int = 0) async throws -> RESPTestConnection {
        if let c = connections[index] { return c }
        let c = try await RESPTestConnection.connect(port: port)
        connections[index] = c
        return c
    }

    /// Sends a command on connection `on` and records its reply.
    public func call(_ arguments: String..., on index: Int = 0) async throws {
        try await call(arguments, on: index)
    }

    /// Sends a command on connection `on` and records its reply.
    public func call(_ arguments: [String], on index: Int = 0) async throws {
        let c = try await connection(index)
        try await c.send(arguments)
        try await read(on: index)
    }

    /// Sends a command of raw byte arguments (binary keys with NUL or non-UTF-8 bytes) on
    /// connection `on` and records its reply.
    public func call(bytes arguments: [[UInt8]], on index: Int = 0) async throws {
        try await connection(index).send(bytes: arguments)
        try await read(on: index)
    }

    /// Sends a command and records its reply with the elements of a top-level array or set
    /// sorted by their bytes — for replies in hash-table order (`KEYS`), which differs between
    /// servers because each seeds its hash function at random. The header is kept as sent.
    public func callSorted(_ arguments: String..., on index: Int = 0) async throws {
        let c = try await connection(index)
        try await c.send(arguments)
        let reply = try await c.readReply()
        switch reply.value {
        case .array(let elements), .set(let elements):
            var raw = reply.raw
            let header = raw.readBytes(length: raw.readableBytesView.firstIndex(of: 0x0A)! - raw.readerIndex + 1)!
            var sorted = ByteBuffer(bytes: header)
            for bytes in elements.map({ Array($0.encoded.readableBytesView) }).sorted(by: {
                $0.lexicographicallyPrecedes($1)
            }) {
                sorted.writeBytes(bytes)
            }
            transcript.append("[\(index)] sorted \(RESPTestConnection.escape(sorted))")
        default:
            transcript.append("[\(index)] \(reply.description)")
        }
    }

    /// Sends exact bytes on connection `on` without reading.
    public func send(raw: String, on index: Int = 0) async throws {
        try await connection(index).send(raw: raw)
    }

    /// Sends a command on connection `on` without reading.
    public func send(_ arguments: String..., on index: Int = 0) async throws {
        try await connection(index).send(arguments)
    }

    /// Records the next `count` replies (or pushes) of connection `on`.
    public func read(_ count: Int = 1, on index: Int = 0) async throws {
        let c = try await connection(index)
        for _ in 0..<count {
            let reply = try await c.readReply()
            transcript.append("[\(index)] \(reply.description)")
        }
    }

    /// Records what connection `on` receives until the server closes it.
    public func readUntilClosed(on index: Int = 0) async throws {
        let rest = try await connection(index).readUntilClosed()
        transcript.append("[\(index)] \(RESPTestConnection.escape(rest))<closed>")
    }

    /// Records a note (for example a value computed from replies) in the transcript.
    public func note(_ text: String) {
        transcript.append(text)
    }

    /// Closes every connection.
    public func close() async {
        for c in connections.values { await c.close() }
        connections.removeAll()
    }
}
