import RESP

/// The flags dispatch looks at, read from a command's Redis metadata.
struct CommandFlags: OptionSet, Sendable {
    let rawValue: UInt32
    static let noAuth = CommandFlags(rawValue: 1 << 0)
    static let admin = CommandFlags(rawValue: 1 << 1)
    static let pubsub = CommandFlags(rawValue: 1 << 2)
    static let write = CommandFlags(rawValue: 1 << 3)
    static let mayReplicate = CommandFlags(rawValue: 1 << 4)
    static let skipMonitor = CommandFlags(rawValue: 1 << 5)
    static let fast = CommandFlags(rawValue: 1 << 6)

    init(rawValue: UInt32) { self.rawValue = rawValue }

    init(names: [String]) {
        var f: CommandFlags = []
        for n in names {
            switch n {
            case "no_auth": f.insert(.noAuth)
            case "admin": f.insert(.admin)
            case "pubsub": f.insert(.pubsub)
            case "write": f.insert(.write)
            case "may_replicate": f.insert(.mayReplicate)
            case "skip_monitor": f.insert(.skipMonitor)
            case "fast": f.insert(.fast)
            default: break
            }
        }
        self = f
    }
}

/// What runs a command: it reads its arguments and writes exactly one reply (or none, where Redis
/// sends none) through the context.
typealias CommandHandler = @Sendable (inout CommandContext) -> Void

/// One entry of the command table: Redis's metadata plus the handler.
final class CommandSpec: Sendable {
    /// Lowercase name (`list` for `CLIENT LIST`).
    let name: String
    /// `client|list` style name used in errors, stats and `COMMAND INFO`.
    let fullName: String
    /// Redis arity: exact if positive, a minimum if negative, counting the command name.
    let arity: Int
    let flags: CommandFlags
    let metadata: CommandMetadata
    let handler: CommandHandler?
    /// Subcommands by lowercase name (empty for a plain command).
    let subcommands: [String: CommandSpec]
    /// Subcommands in `COMMAND INFO` order.
    let orderedSubcommands: [CommandSpec]
    /// ACL categories without the `@`.
    let categories: [String]
    /// This command's slot in `BrokerStats.commands` (unique across the table).
    let statsIndex: Int

    var isContainer: Bool { !orderedSubcommands.isEmpty }
    /// Whether this is `DEBUG`, which `enable-debug-command` guards (checked for every command).
    let isDebug: Bool

    init(metadata: CommandMetadata, parent: String?, handlers: [String: CommandHandler], counter: inout Int) {
        self.statsIndex = counter
        counter += 1
        let items = metadata.info.items
        let full = items[0].text ?? metadata.name
        self.fullName = full
        self.isDebug = full == "debug"
        self.name = parent == nil ? full : String(full.split(separator: "|").last!)
        self.arity = items[1].integerValue ?? -1
        self.flags = CommandFlags(names: items[2].items.compactMap(\.text))
        self.categories = items[6].items.compactMap { $0.text.map { String($0.dropFirst()) } }
        self.metadata = metadata
        self.handler = handlers[full]
        var subs: [CommandSpec] = []
        let subDocs = metadata.docs["subcommands"]
        for subInfo in items.count > 9 ? items[9].items : [] {
            let subName = subInfo.items[0].text ?? ""
            let subMetadata = CommandMetadata(name: subName, info: subInfo, docs: subDocs?[subName] ?? .map([]))
            subs.append(CommandSpec(metadata: subMetadata, parent: full, handlers: handlers, counter: &counter))
        }
        self.orderedSubcommands = subs
        self.subcommands = Dictionary(uniqueKeysWithValues: subs.map { ($0.name, $0) })
    }

    /// Whether the arguments' count fits the arity.
    func accepts(argumentCount n: Int) -> Bool {
        arity > 0 ? n == arity : n >= -arity
    }
}
