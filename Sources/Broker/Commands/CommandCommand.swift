import BrokerStorage
import NIOCore
import RESP

/// `COMMAND` and its subcommands, answered from the generated metadata.
enum CommandCommand {
    static let handlers: [String: CommandHandler] = [
        "command": { c in
            let all = c.core.commands.ordered
            c.array(all.count)
            for spec in all { spec.metadata.info.write(into: &c.client.output, c.version) }
        },
        "command|count": { c in c.integer(c.core.commands.ordered.count) },
        "command|info": info,
        "command|docs": docs,
        "command|list": list,
        "command|getkeys": { c in getKeys(&c, withFlags: false) },
        "command|getkeysandflags": { c in getKeys(&c, withFlags: true) },
        "command|help": { c in
            c.help([
                "(no subcommand)", "    Return details about all Redis commands.",
                "COUNT", "    Return the total number of commands in this Redis server.",
                "LIST", "    Return a list of all commands in this Redis server.",
                "INFO [<command-name> ...]",
                "    Return details about multiple Redis commands.",
                "    If no command names are given, documentation details for all",
                "    commands are returned.",
                "DOCS [<command-name> ...]",
                "    Return documentation details about multiple Redis commands.",
                "    If no command names are given, documentation details for all",
                "    commands are returned.",
                "GETKEYS <full-command>", "    Return the keys from a full Redis command.",
                "GETKEYSANDFLAGS <full-command>",
                "    Return the keys and the access flags from a full Redis command.",
            ])
        },
    ]

    static func info(_ c: inout CommandContext) {
        let table = c.core.commands
        if c.argumentCount == 2 {
            c.array(table.ordered.count)
            for spec in table.ordered { spec.metadata.info.write(into: &c.client.output, c.version) }
            return
        }
        c.array(c.argumentCount - 2)
        for i in 2..<c.argumentCount {
            if let spec = table.lookup(fullName: c.command.string(i)) {
                spec.metadata.info.write(into: &c.client.output, c.version)
            } else {
                c.null()
            }
        }
    }

    static func docs(_ c: inout CommandContext) {
        let table = c.core.commands
        var selected: [CommandSpec] = []
        if c.argumentCount == 2 {
            selected = table.ordered
        } else {
            for i in 2..<c.argumentCount {
                if let spec = table.lookup(fullName: c.command.string(i)) { selected.append(spec) }
            }
        }
        c.map(selected.count)
        for spec in selected {
            c.bulk(spec.fullName)
            spec.metadata.docs.write(into: &c.client.output, c.version)
        }
    }

    static func list(_ c: inout CommandContext) {
        let all = c.core.commands.all
        var selected = all
        if c.argumentCount == 5 && c.command.equalsCaseInsensitive(2, "filterby") {
            let value = c.command.string(4)
            switch c.command.lowercasedString(3) {
            case "module":
                selected = []
            case "aclcat":
                selected = all.filter { $0.categories.contains(value.lowercased()) }
            case "pattern":
                selected = all.filter {
                    GlobPattern.matches(
                        pattern: Array(value.utf8), string: Array($0.fullName.utf8), caseInsensitive: true)
                }
            default:
                c.syntaxError()
                return
            }
        } else if c.argumentCount != 2 {
            c.syntaxError()
            return
        }
        c.array(selected.count)
        for spec in selected { c.bulk(spec.fullName) }
    }

    /// Finds the key arguments of a command from its key specs.
    static func keyPositions(_ spec: CommandSpec, _ argumentCount: Int) -> [(Int, [String])] {
        var result: [(Int, [String])] = []
        let items = spec.metadata.info.items
        guard items.count > 8 else { return [] }
        for keySpec in items[8].items {
            let flags = keySpec["flags"]?.items.compactMap(\.text) ?? []
            guard let begin = keySpec["begin_search"], let find = keySpec["find_keys"] else { continue }
            guard begin["type"]?.text == "index", let start = begin["spec"]?["index"]?.integerValue else { continue }
            guard start < argumentCount else { continue }
            switch find["type"]?.text {
            case "range":
                let lastKey = find["spec"]?["lastkey"]?.integerValue ?? 0
                let step = max(1, find["spec"]?["keystep"]?.integerValue ?? 1)
                let last = lastKey >= 0 ? start + lastKey : argumentCount + lastKey
                var i = start
                while i <= min(last, argumentCount - 1) {
                    result.append((i, flags))
                    i += step
                }
            default:
                continue
            }
        }
        return result
    }

    static func getKeys(_ c: inout CommandContext, withFlags: Bool) {
        let inner = RESPCommand(
            buffer: c.command.buffer, ranges: Array(c.command.ranges.dropFirst(2)))
        var spec = c.core.commands.lookup(inner, 0)
        if let base = spec, base.isContainer, inner.count >= 2 {
            spec = base.subcommands[inner.lowercasedString(1)]
        }
        guard let spec else {
            c.error("Invalid command specified")
            return
        }
        // Redis's doesCommandHaveKeys: channels (key specs flagged not_key) are no keys.
        let keySpecs = spec.metadata.info.items.count > 8 ? spec.metadata.info.items[8].items : []
        guard keySpecs.contains(where: { !($0["flags"]?.items.contains { $0.text == "not_key" } ?? false) }) else {
            c.error("The command has no key arguments")
            return
        }
        guard spec.accepts(argumentCount: inner.count) else {
            c.error("Invalid number of arguments specified for command")
            return
        }
        let keys = keyPositions(spec, inner.count)
        guard !keys.isEmpty else {
            c.error("Invalid arguments specified for command")
            return
        }
        c.array(keys.count)
        for (index, flags) in keys {
            if withFlags {
                c.array(2)
                c.bulk(buffer: inner.slice(index))
                c.set(flags.count)
                for f in flags { c.status(text: f) }
            } else {
                c.bulk(buffer: inner.slice(index))
            }
        }
    }
}
