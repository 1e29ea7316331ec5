import NIOCore
import RESP

/// A command's description as `COMMAND INFO` and `COMMAND DOCS` give it, read from Redis 7.0 by
/// `tools/gen-command-table.py` (summaries are our own).
struct CommandMetadata: Sendable {
    /// Lowercase command name.
    var name: String
    /// The `COMMAND INFO` entry (name, arity, flags, first/last key, step, ACL categories, tips,
    /// key specs, subcommands).
    var info: CommandDocValue
    /// The `COMMAND DOCS` map.
    var docs: CommandDocValue
}

/// A RESP3 value of the metadata tables; RESP2 connections get sets as arrays and maps flattened.
indirect enum CommandDocValue: Sendable {
    case status(String)
    case bulk(String)
    case integer(Int)
    case array([CommandDocValue])
    case set([CommandDocValue])
    /// Keys and values alternate.
    case map([CommandDocValue])

    func write(into buffer: inout ByteBuffer, _ version: RESPVersion) {
        switch self {
        case .status(let s):
            buffer.writeInteger(UInt8(ascii: "+"))
            buffer.writeString(s)
            buffer.writeStaticString("\r\n")
        case .bulk(let s):
            buffer.writeRESPBulkString(s)
        case .integer(let n):
            buffer.writeRESPInteger(n)
        case .array(let items):
            buffer.writeRESPArrayHeader(items.count)
            for i in items { i.write(into: &buffer, version) }
        case .set(let items):
            buffer.writeRESPSetHeader(items.count, version)
            for i in items { i.write(into: &buffer, version) }
        case .map(let items):
            buffer.writeRESPMapHeader(items.count / 2, version)
            for i in items { i.write(into: &buffer, version) }
        }
    }

    var items: [CommandDocValue] {
        switch self {
        case .array(let i), .set(let i), .map(let i): return i
        default: return []
        }
    }

    var integerValue: Int? {
        if case .integer(let n) = self { return n }
        return nil
    }

    var text: String? {
        switch self {
        case .status(let s), .bulk(let s): return s
        default: return nil
        }
    }

    /// The value of `key` in a map.
    subscript(key: String) -> CommandDocValue? {
        guard case .map(let items) = self else { return nil }
        var i = 0
        while i + 1 < items.count {
            if items[i].text == key { return items[i + 1] }
            i += 2
        }
        return nil
    }
}
