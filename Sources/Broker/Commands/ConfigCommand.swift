import BrokerStorage
import NIOCore
import RESP

/// `CONFIG GET`, `CONFIG SET`, `CONFIG RESETSTAT`.
enum ConfigCommand {
    static let handlers: [String: CommandHandler] = [
        "config|get": get,
        "config|set": set,
        "config|resetstat": { c in
            let core = c.core
            core.stats = BrokerStats(commandCount: core.commands.statsSlots)
            c.ok()
        },
        "config|help": { c in
            c.help([
                "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
                "SET <directive> <value>", "    Set the configuration <directive> to <value>.",
                "RESETSTAT", "    Reset statistics reported by the INFO command.",
                "REWRITE", "    Rewrite the configuration file.",
            ])
        },
    ]

    static func get(_ c: inout CommandContext) {
        var matches: [(String, ConfigParameter)] = []
        var seen = Set<String>()
        for i in 2..<c.argumentCount {
            let name = c.command.string(i)
            if !name.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) {
                if let p = ConfigParameter.named(name), seen.insert(p.name).inserted { matches.append((name, p)) }
                continue
            }
            let pattern = Array(name.utf8)
            for p in ConfigParameter.all where !seen.contains(p.name) {
                if GlobPattern.matches(pattern: pattern, string: Array(p.name.utf8), caseInsensitive: true) {
                    seen.insert(p.name)
                    matches.append((p.name, p))
                }
            }
        }
        c.map(matches.count)
        for (name, p) in matches {
            c.bulk(name)
            c.bulk(p.get(c.core.configuration))
        }
    }

    static func set(_ c: inout CommandContext) {
        guard c.argumentCount % 2 == 0 else {
            c.syntaxError()
            return
        }
        var updated = c.core.configuration
        var chosen: [ConfigParameter] = []
        var unknown: String? = nil
        var refusal: (String, String)? = nil
        var i = 2
        while i < c.argumentCount {
            let name = c.command.string(i)
            defer { i += 2 }
            guard let p = ConfigParameter.named(name) else {
                // As in Redis, only the first invalid argument is reported, whatever made it invalid.
                if unknown == nil && refusal == nil { unknown = name }
                continue
            }
            if unknown != nil || refusal != nil { continue }
            if !p.isMutable {
                refusal = (name, "can't set immutable config")
                continue
            }
            if chosen.contains(where: { $0.name == p.name }) {
                refusal = (name, "duplicate parameter")
                continue
            }
            chosen.append(p)
        }
        if let unknown {
            c.error("Unknown option or number of arguments for CONFIG SET - '\(unknown)'")
            return
        }
        if let (name, reason) = refusal {
            c.error("CONFIG SET failed (possibly related to argument '\(name)') - \(reason)")
            return
        }
        i = 2
        for p in chosen {
            while ConfigParameter.named(c.command.string(i))?.name != p.name { i += 2 }
            if let reason = p.set(&updated, [c.command.string(i + 1)]) {
                c.error("CONFIG SET failed (possibly related to argument '\(p.name)') - \(reason)")
                return
            }
            i += 2
        }
        c.core.apply(configuration: updated)
        c.ok()
    }
}

extension BrokerCore {
    /// Puts a changed configuration into effect.
    func apply(configuration updated: BrokerConfiguration) {
        let passwordChanged = updated.requirePass != configuration.requirePass
        configuration = updated
        refreshAccessClock()
        eventLoop.busyPoll.enabled = configuration.busyPoll
        if passwordChanged {
            logger.notice("The default user's password changed")
        }
    }
}
