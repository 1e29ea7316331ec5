import RESP

/// Every command the broker serves, built from the generated Redis metadata and the handlers.
final class CommandTable: Sendable {
    /// Top-level commands by lowercase name.
    let byName: [String: CommandSpec]
    /// Top-level commands in table order.
    let ordered: [CommandSpec]
    /// How many commands and subcommands there are (the size of `BrokerStats.commands`).
    let statsSlots: Int

    init(metadata: [CommandMetadata], handlers: [String: CommandHandler]) {
        var counter = 0
        let specs = metadata.map { CommandSpec(metadata: $0, parent: nil, handlers: handlers, counter: &counter) }
        self.statsSlots = counter
        self.ordered = specs
        self.byName = Dictionary(uniqueKeysWithValues: specs.map { ($0.name, $0) })
        for spec in specs {
            for s in spec.isContainer ? spec.orderedSubcommands : [spec] {
                precondition(s.handler != nil, "no handler for \(s.fullName)")
            }
        }
    }

    /// The broker's table.
    static let standard = CommandTable(metadata: CommandMetadata.generated, handlers: CommandHandlers.all)

    /// The command named by argument `index`, ignoring case.
    func lookup(_ command: RESPCommand, _ index: Int) -> CommandSpec? {
        // Names are short, so the lowercased key is a small string that needs no allocation.
        let key = command.withBytes(index) { bytes in
            String(unsafeUninitializedCapacity: bytes.count) { out in
                for i in 0..<bytes.count {
                    let c = bytes[i]
                    out[i] = c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") ? c | 0x20 : c
                }
                return bytes.count
            }
        }
        return byName[key]
    }

    /// A command or subcommand by its full name (`client|list`), ignoring case.
    func lookup(fullName: String) -> CommandSpec? {
        let parts = fullName.lowercased().split(separator: "|", maxSplits: 1)
        guard let first = parts.first, let base = byName[String(first)] else { return nil }
        if parts.count == 2 { return base.subcommands[String(parts[1])] }
        return base
    }

    /// Every command and subcommand, parents before their subcommands.
    var all: [CommandSpec] { ordered.flatMap { [$0] + $0.orderedSubcommands } }
}

/// The handler of every command, by full name.
enum CommandHandlers {
    static let all: [String: CommandHandler] = {
        var table: [String: CommandHandler] = [:]
        for part in [
            ConnectionCommands.handlers, ClientCommand.handlers, ServerCommands.handlers,
            CommandCommand.handlers, ConfigCommand.handlers, PubSubCommands.handlers,
            StringCommands.handlers, KeyCommands.handlers, KeyspaceCommands.handlers, ObjectCommand.handlers,
            BitCommands.handlers,
            DumpCommands.handlers,
        ] {
            table.merge(part) { a, _ in a }
        }
        return table
    }()
}
