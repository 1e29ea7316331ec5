import BrokerStorage
import NIOCore
import RESP

/// What a command handler works with: the broker, the calling client, its arguments, and reply
/// writers that follow the client's protocol version and count errors for `INFO errorstats`.
struct CommandContext {
    /// Strong references, counted once when the context is made: reading an `unowned(unsafe)`
    /// field retains and releases it at every use (each reply writer uses `client`), and a
    /// checked `unowned` one took an atomic increment and decrement on a side table per access.
    let core: BrokerCore
    let client: ClientSession
    /// The command being run (a `var` only so `execute` can move it in and out).
    var command: RESPCommand
    let spec: CommandSpec
    /// Set when the handler replied with an error (counted as a failed call).
    var failed = false

    var version: RESPVersion { client.protocolVersion }
    var argumentCount: Int { command.count }

    func ok() { client.output.writeRESPOK() }
    func integer(_ n: Int) { client.output.writeRESPInteger(n) }
    func integer(_ n: Int64) { client.output.writeRESPInteger(n) }
    func bulk(_ s: String) { client.output.writeRESPBulkString(s) }
    func bulk(bytes: some Collection<UInt8>) { client.output.writeRESPBulkString(bytes: bytes) }
    func bulk(buffer: ByteBuffer) { client.output.writeRESPBulkString(buffer: buffer) }
    func bulkString(_ string: StringValue) {
        let client = client
        string.withUnsafeBytes { client.output.writeRESPBulkString(bytes: $0) }
    }
    func null() { client.output.writeRESPNull(version) }
    func nullArray() { client.output.writeRESPNullArray(version) }
    func array(_ n: Int) { client.output.writeRESPArrayHeader(n) }
    func map(_ n: Int) { client.output.writeRESPMapHeader(n, version) }
    func set(_ n: Int) { client.output.writeRESPSetHeader(n, version) }
    func status(_ s: StaticString) { client.output.writeRESPSimpleString(s) }
    func status(text: String) { client.output.writeRESPSimpleString(bytes: text.utf8) }
    func verbatim(_ text: String) { client.output.writeRESPVerbatimString(format: "txt", text, version) }

    /// Replies with an error; `message` without a leading `-` gets Redis's `ERR ` prefix.
    mutating func error(_ message: String) {
        failed = true
        core.replyError(client, message)
    }

    /// `ERR syntax error`.
    mutating func syntaxError() { error("syntax error") }

    /// Redis's `addReplySubcommandSyntaxError`.
    mutating func subcommandSyntaxError() {
        error(
            "unknown subcommand or wrong number of arguments for '\(command.string(1).prefix(128))'. Try \(command.string(0).uppercased()) HELP."
        )
    }

    /// `wrong number of arguments for '<command>' command`.
    mutating func arityError() {
        error("wrong number of arguments for '\(spec.fullName)' command")
    }

    /// `value is not an integer or out of range`.
    mutating func notIntegerError() { error("value is not an integer or out of range") }

    /// Argument `index` as Redis's `getIntFromObjectOrReply` reads it, or `nil` after replying
    /// with its error (or with `message` for either failure, when given).
    mutating func int32Argument(_ index: Int, message: String? = nil) -> Int? {
        guard let value = command.int64(index) else {
            error(message ?? "value is not an integer or out of range")
            return nil
        }
        guard value >= Int64(Int32.min), value <= Int64(Int32.max) else {
            error(message ?? "value is out of range, value must between -2147483648 and 2147483647")
            return nil
        }
        return Int(value)
    }

    /// The database numbered by argument `index` (`selectDb`'s range check), or `nil` after
    /// replying with Redis's error.
    mutating func databaseArgument(_ index: Int) -> Int? {
        guard let id = int32Argument(index) else { return nil }
        guard id >= 0 && id < core.databases.count else {
            error("DB index is out of range")
            return nil
        }
        return id
    }

    /// Lines of a `HELP` reply, under Redis's heading.
    func help(_ lines: [String]) {
        let name = spec.fullName.split(separator: "|").first.map { $0.uppercased() } ?? ""
        let all =
            ["\(name) <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"] + lines + [
                "HELP", "    Prints this help.",
            ]
        array(all.count)
        for l in all { client.output.writeRESPSimpleString(bytes: l.utf8) }
    }
}
