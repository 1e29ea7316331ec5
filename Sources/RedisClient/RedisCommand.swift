import NIOCore
import RESP

/// One argument of a command: text, bytes or an integer, sent as a RESP bulk string.
public enum RedisArgument: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case string(String)
    case bytes([UInt8])
    case buffer(ByteBuffer)
    case integer(Int64)

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }

    func write(into buffer: inout ByteBuffer) {
        switch self {
        case .string(let s): buffer.writeRESPBulkString(s)
        case .bytes(let b): buffer.writeRESPBulkString(bytes: b)
        case .buffer(let b): buffer.writeRESPBulkString(buffer: b)
        case .integer(let n): buffer.writeRESPBulkString(decimal: n)
        }
    }
}

/// A command ready to send: its name and arguments encoded once as a RESP array of bulk strings.
public struct RedisCommand: Sendable, Hashable, CustomStringConvertible {
    /// The command's name as given (for errors, logs and metrics).
    public let name: String
    /// The wire bytes.
    public let encoded: ByteBuffer

    /// Encodes `name` followed by `arguments`.
    public init(_ name: String, _ arguments: [RedisArgument] = []) {
        self.name = name
        var buffer = ByteBuffer()
        buffer.reserveCapacity(16 + name.utf8.count + arguments.count * 16)
        buffer.writeRESPArrayHeader(arguments.count + 1)
        buffer.writeRESPBulkString(name)
        for argument in arguments { argument.write(into: &buffer) }
        self.encoded = buffer
    }

    /// Encodes `name` followed by `arguments`.
    public init(_ name: String, _ arguments: RedisArgument...) {
        self.init(name, arguments)
    }

    public var description: String { name }
}
