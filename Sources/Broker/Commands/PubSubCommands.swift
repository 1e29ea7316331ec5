import BrokerStorage
import NIOCore
import RESP

/// `(P|S)SUBSCRIBE`, `(P|S)UNSUBSCRIBE`, `PUBLISH`, `SPUBLISH`, `PUBSUB …`.
enum PubSubCommands {
    static let handlers: [String: CommandHandler] = [
        "subscribe": { c in subscribe(&c, kind: .channel) },
        "psubscribe": { c in subscribe(&c, kind: .pattern) },
        "ssubscribe": { c in subscribe(&c, kind: .shard) },
        "unsubscribe": { c in unsubscribe(&c, kind: .channel) },
        "punsubscribe": { c in unsubscribe(&c, kind: .pattern) },
        "sunsubscribe": { c in unsubscribe(&c, kind: .shard) },
        "publish": { c in
            let core = c.core
            let receivers = core.pubsub.publish(channel: c.command.slice(1), message: c.command.slice(2)) {
                core.push($1, to: $0)
            }
            c.integer(receivers)
        },
        "spublish": { c in
            let core = c.core
            let receivers = core.pubsub.publish(shardChannel: c.command.slice(1), message: c.command.slice(2)) {
                core.push($1, to: $0)
            }
            c.integer(receivers)
        },
        "pubsub|channels": { c in channels(&c, shard: false) },
        "pubsub|shardchannels": { c in channels(&c, shard: true) },
        "pubsub|numsub": { c in numsub(&c, shard: false) },
        "pubsub|shardnumsub": { c in numsub(&c, shard: true) },
        "pubsub|numpat": { c in c.integer(c.core.pubsub.patternCount) },
        "pubsub|help": { c in
            c.help([
                "CHANNELS [<pattern>]",
                "    Return the currently active channels matching a <pattern> (default: '*').",
                "NUMPAT", "    Return number of subscriptions to patterns.",
                "NUMSUB [<channel> ...]",
                "    Return the number of subscribers for the specified channels, excluding",
                "    pattern subscriptions(default: no channels).",
                "SHARDCHANNELS [<pattern>]",
                "    Return the currently active shard level channels matching a <pattern> (default: '*').",
                "SHARDNUMSUB [<shardchannel> ...]",
                "    Return the number of subscribers for the specified shard level channel(s)",
            ])
        },
    ]

    static func kindName(_ kind: PubSubRegistry.Kind, subscribe: Bool) -> StaticString {
        switch (kind, subscribe) {
        case (.channel, true): "subscribe"
        case (.pattern, true): "psubscribe"
        case (.shard, true): "ssubscribe"
        case (.channel, false): "unsubscribe"
        case (.pattern, false): "punsubscribe"
        case (.shard, false): "sunsubscribe"
        }
    }

    static func count(_ client: ClientSession, _ kind: PubSubRegistry.Kind) -> Int {
        kind == .shard ? client.shardChannels.count : client.subscriptionCount
    }

    static func writeConfirmation(
        _ c: inout CommandContext, _ kind: PubSubRegistry.Kind, subscribe: Bool, name: ByteBuffer?
    ) {
        let start = c.client.output.writerIndex
        c.client.output.writeRESPPushHeader(3, c.version)
        let word = kindName(kind, subscribe: subscribe)
        c.client.output.writeRESPBulkString(bytes: word.withUTF8Buffer { Array($0) })
        if let name { c.bulk(buffer: name) } else { c.null() }
        c.integer(count(c.client, kind))
        c.core.notePush(c.client, from: start)  // a push: CLIENT REPLY OFF does not drop it
    }

    static func subscribe(_ c: inout CommandContext, kind: PubSubRegistry.Kind) {
        for i in 1..<c.argumentCount {
            let name = c.command.ownedSlice(i)
            _ = c.core.pubsub.subscribe(c.client, to: name, kind: kind)
            writeConfirmation(&c, kind, subscribe: true, name: name)
        }
    }

    static func unsubscribe(_ c: inout CommandContext, kind: PubSubRegistry.Kind) {
        let registry = c.core.pubsub
        if c.argumentCount == 1 {
            let names: [ByteBuffer] =
                switch kind {
                case .channel: Array(c.client.channels)
                case .pattern: Array(c.client.patterns)
                case .shard: Array(c.client.shardChannels)
                }
            if names.isEmpty {
                writeConfirmation(&c, kind, subscribe: false, name: nil)
                return
            }
            for name in names {
                _ = registry.unsubscribe(c.client, from: name, kind: kind)
                writeConfirmation(&c, kind, subscribe: false, name: name)
            }
            return
        }
        for i in 1..<c.argumentCount {
            let name = c.command.slice(i)
            _ = registry.unsubscribe(c.client, from: name, kind: kind)
            writeConfirmation(&c, kind, subscribe: false, name: name)
        }
    }

    static func channels(_ c: inout CommandContext, shard: Bool) {
        guard c.argumentCount <= 3 else {
            c.subcommandSyntaxError()
            return
        }
        let names = c.core.pubsub.channelNames(shard: shard)
        var selected: [ByteBuffer] = []
        if c.argumentCount == 3 {
            let pattern = c.command.bytes(2)
            pattern.withUnsafeBytes { p in
                for name in names {
                    let hit = name.withUnsafeReadableBytes { GlobPattern.matches(pattern: p, string: $0) }
                    if hit { selected.append(name) }
                }
            }
        } else {
            selected = Array(names)
        }
        c.array(selected.count)
        for name in selected { c.bulk(buffer: name) }
    }

    static func numsub(_ c: inout CommandContext, shard: Bool) {
        c.array((c.argumentCount - 2) * 2)  // a flat array in RESP3 too, as in Redis 7.0
        for i in 2..<max(2, c.argumentCount) {
            let name = c.command.slice(i)
            c.bulk(buffer: name)
            c.integer(
                shard ? c.core.pubsub.subscriberCount(shardChannel: name) : c.core.pubsub.subscriberCount(channel: name)
            )
        }
    }
}
