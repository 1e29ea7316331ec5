import NIOCore
import RESP

/// Something that sends commands and returns their replies: ``RedisClient`` and
/// ``RedisConnection``. The typed helpers below are built on ``send(_:)``, the raw call for every
/// other command.
public protocol RedisCommandSender: Sendable {
    /// Sends `command` and returns its reply; an error reply throws `serverError`.
    @discardableResult
    func send(_ command: RedisCommand) async throws -> RESPValue
}

extension RedisClient: RedisCommandSender {}
extension RedisConnection: RedisCommandSender {}

/// When `SET` writes.
public enum RedisSetCondition: Sendable, Hashable {
    /// Always (plain `SET`).
    case always
    /// Only if the key does not exist (`NX`).
    case ifNotExists
    /// Only if the key exists (`XX`).
    case ifExists
}

/// The typed helpers the hubs and tools use. Replies of another shape than the command's
/// documented one throw `protocolError`.
extension RedisCommandSender {
    /// `PUBLISH channel message`: how many subscribers received it (on this server or shard).
    @discardableResult
    public func publish(_ channel: RedisArgument, _ message: RedisArgument) async throws -> Int {
        try Self.int(try await send(RedisCommand("PUBLISH", channel, message)), "PUBLISH")
    }

    /// `SPUBLISH shardchannel message`: how many shard subscribers received it.
    @discardableResult
    public func spublish(_ shardChannel: RedisArgument, _ message: RedisArgument) async throws -> Int {
        try Self.int(try await send(RedisCommand("SPUBLISH", shardChannel, message)), "SPUBLISH")
    }

    /// `GET key`: the value's bytes, or `nil` if the key does not exist.
    public func get(_ key: RedisArgument) async throws -> ByteBuffer? {
        switch try await send(RedisCommand("GET", key)) {
        case .bulkString(let value): value
        case .nullBulkString, .null: nil
        case let other: throw Self.unexpected(other, "GET")
        }
    }

    /// `GET key` as UTF-8 text, or `nil` if the key does not exist.
    public func getString(_ key: RedisArgument) async throws -> String? {
        try await get(key).map { String(buffer: $0) }
    }

    /// `SET key value [NX|XX] [PX milliseconds]`: `true` if the value was written, `false` if the
    /// condition kept it from being written.
    @discardableResult
    public func set(
        _ key: RedisArgument, _ value: RedisArgument, expiration: Duration? = nil,
        condition: RedisSetCondition = .always
    ) async throws -> Bool {
        var arguments: [RedisArgument] = [key, value]
        switch condition {
        case .always: break
        case .ifNotExists: arguments.append("NX")
        case .ifExists: arguments.append("XX")
        }
        if let expiration { arguments += ["PX", .integer(Self.milliseconds(expiration))] }
        switch try await send(RedisCommand("SET", arguments)) {
        case .simpleString: return true
        case .nullBulkString, .null: return false
        case let other: throw Self.unexpected(other, "SET")
        }
    }

    /// `PEXPIRE key milliseconds`: `true` if the key exists and now expires after `duration`.
    @discardableResult
    public func expire(_ key: RedisArgument, after duration: Duration) async throws -> Bool {
        try Self.int(try await send(RedisCommand("PEXPIRE", key, .integer(Self.milliseconds(duration)))), "PEXPIRE")
            == 1
    }

    /// `INCR key` (or `INCRBY key by`): the value after the increment.
    @discardableResult
    public func incr(_ key: RedisArgument, by amount: Int64 = 1) async throws -> Int64 {
        let command = amount == 1 ? RedisCommand("INCR", key) : RedisCommand("INCRBY", key, .integer(amount))
        switch try await send(command) {
        case .integer(let n): return n
        case let other: throw Self.unexpected(other, command.name)
        }
    }

    /// `PING` (or `PING message`): `PONG`, or the message echoed.
    @discardableResult
    public func ping(_ message: String? = nil) async throws -> String {
        let reply = try await send(message.map { RedisCommand("PING", .string($0)) } ?? RedisCommand("PING"))
        switch reply {
        case .simpleString(let s), .bulkString(let s): return String(buffer: s)
        case let other: throw Self.unexpected(other, "PING")
        }
    }

    /// `INFO [section]`: the text as the server sends it.
    public func info(_ section: String? = nil) async throws -> String {
        let reply = try await send(section.map { RedisCommand("INFO", .string($0)) } ?? RedisCommand("INFO"))
        switch reply {
        case .bulkString(let s), .verbatimString(_, let s): return String(buffer: s)
        case let other: throw Self.unexpected(other, "INFO")
        }
    }

    /// `INFO [section]` as fields: `name:value` lines, sections and comments left out.
    public func infoFields(_ section: String? = nil) async throws -> [String: String] {
        var fields: [String: String] = [:]
        for line in try await info(section).split(whereSeparator: { $0 == "\r\n" || $0 == "\n" }) {
            guard !line.hasPrefix("#"), let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return fields
    }

    /// `CLIENT SETNAME name` (the connection's name in `CLIENT LIST`). On a ``RedisClient`` it
    /// names the current connection only; set ``RedisClientConfiguration/clientName`` to name
    /// every connection, reconnections included.
    public func clientSetName(_ name: String) async throws {
        try Self.ok(try await send(RedisCommand("CLIENT", "SETNAME", .string(name))), "CLIENT SETNAME")
    }

    /// `HSET key field value [field value …]`: how many fields were added (not updated).
    @discardableResult
    public func hset(
        _ key: RedisArgument, _ fields: [(field: RedisArgument, value: RedisArgument)]
    ) async throws
        -> Int
    {
        precondition(!fields.isEmpty, "HSET needs at least one field")
        var arguments: [RedisArgument] = [key]
        for (field, value) in fields { arguments += [field, value] }
        return try Self.int(try await send(RedisCommand("HSET", arguments)), "HSET")
    }

    /// `HSET key field value`: `true` if the field is new.
    @discardableResult
    public func hset(_ key: RedisArgument, field: RedisArgument, value: RedisArgument) async throws -> Bool {
        try await hset(key, [(field, value)]) == 1
    }

    /// `HGETALL key`: every field and value (empty if the key does not exist), from RESP2's flat
    /// array or RESP3's map.
    public func hgetall(_ key: RedisArgument) async throws -> [String: ByteBuffer] {
        var result: [String: ByteBuffer] = [:]
        switch try await send(RedisCommand("HGETALL", key)) {
        case .array(let items) where items.count % 2 == 0:
            for i in stride(from: 0, to: items.count, by: 2) {
                guard case .bulkString(let field) = items[i], case .bulkString(let value) = items[i + 1] else {
                    throw Self.unexpected(.array(items), "HGETALL")
                }
                result[String(buffer: field)] = value
            }
        case .map(let entries):
            for entry in entries {
                guard case .bulkString(let field) = entry.key, case .bulkString(let value) = entry.value else {
                    throw Self.unexpected(.map(entries), "HGETALL")
                }
                result[String(buffer: field)] = value
            }
        case let other:
            throw Self.unexpected(other, "HGETALL")
        }
        return result
    }

    /// `SADD key member [member …]`: how many members were added.
    @discardableResult
    public func sadd(_ key: RedisArgument, _ members: [RedisArgument]) async throws -> Int {
        precondition(!members.isEmpty, "SADD needs at least one member")
        return try Self.int(try await send(RedisCommand("SADD", [key] + members)), "SADD")
    }

    /// `SREM key member [member …]`: how many members were removed.
    @discardableResult
    public func srem(_ key: RedisArgument, _ members: [RedisArgument]) async throws -> Int {
        precondition(!members.isEmpty, "SREM needs at least one member")
        return try Self.int(try await send(RedisCommand("SREM", [key] + members)), "SREM")
    }

    /// `SMEMBERS key`: the members in the server's order (empty if the key does not exist), from
    /// RESP2's array or RESP3's set.
    public func smembers(_ key: RedisArgument) async throws -> [ByteBuffer] {
        let reply = try await send(RedisCommand("SMEMBERS", key))
        switch reply {
        case .array(let items), .set(let items):
            return try items.map { item in
                guard case .bulkString(let member) = item else { throw Self.unexpected(reply, "SMEMBERS") }
                return member
            }
        default:
            throw Self.unexpected(reply, "SMEMBERS")
        }
    }

    // MARK: - Reply shapes

    static func int(_ reply: RESPValue, _ command: String) throws -> Int {
        guard case .integer(let n) = reply else { throw unexpected(reply, command) }
        return Int(n)
    }

    static func ok(_ reply: RESPValue, _ command: String) throws {
        guard case .simpleString(let s) = reply, s.readableBytesView.elementsEqual("OK".utf8) else {
            throw unexpected(reply, command)
        }
    }

    static func unexpected(_ reply: RESPValue, _ command: String) -> RedisClientError {
        RedisClientError(.protocolError, "unexpected reply to \(command): \(reply)")
    }

    /// `duration` in whole milliseconds, rounded up so a positive duration never becomes 0.
    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let ms = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return attoseconds % 1_000_000_000_000_000 > 0 ? ms + 1 : ms
    }
}
