import BrokerStorage
import Collections
import NIOCore
import RESP

/// Who listens to what: channels, patterns and shard channels, each in subscription order.
///
/// Owned by the broker's event loop. Publishing encodes a message once per wire form (RESP2 or
/// RESP3; `message`, `pmessage` or `smessage`) and appends the same bytes to every receiver.
final class PubSubRegistry {
    private(set) var channels: [ByteBuffer: [ClientSession]] = [:]
    private(set) var patterns: OrderedDictionary<ByteBuffer, [ClientSession]> = [:]
    private(set) var shardChannels: [ByteBuffer: [ClientSession]] = [:]

    /// Unique patterns (`PUBSUB NUMPAT`).
    var patternCount: Int { patterns.count }

    enum Kind {
        case channel, pattern, shard
    }

    /// Adds `client` to `name`'s listeners; `false` if it was already there.
    func subscribe(_ client: ClientSession, to name: ByteBuffer, kind: Kind) -> Bool {
        switch kind {
        case .channel:
            guard client.channels.insert(name) else { return false }
            channels[name, default: []].append(client)
        case .pattern:
            guard client.patterns.insert(name) else { return false }
            patterns[name, default: []].append(client)
        case .shard:
            guard client.shardChannels.insert(name) else { return false }
            shardChannels[name, default: []].append(client)
        }
        return true
    }

    /// Removes `client` from `name`'s listeners; `false` if it was not there.
    func unsubscribe(_ client: ClientSession, from name: ByteBuffer, kind: Kind) -> Bool {
        switch kind {
        case .channel:
            guard client.channels.remove(name) else { return false }
            Self.remove(client, from: &channels, name)
        case .pattern:
            guard client.patterns.remove(name) else { return false }
            if var list = patterns[name] {
                list.removeAll { $0 === client }
                patterns[name] = list.isEmpty ? nil : list
            }
        case .shard:
            guard client.shardChannels.remove(name) else { return false }
            Self.remove(client, from: &shardChannels, name)
        }
        return true
    }

    private static func remove(
        _ client: ClientSession, from table: inout [ByteBuffer: [ClientSession]], _ name: ByteBuffer
    ) {
        guard var list = table[name] else { return }
        list.removeAll { $0 === client }
        table[name] = list.isEmpty ? nil : list
    }

    /// Removes every subscription of a client that is going away.
    func removeAll(_ client: ClientSession) {
        for name in client.channels { Self.remove(client, from: &channels, name) }
        for name in client.shardChannels { Self.remove(client, from: &shardChannels, name) }
        for name in client.patterns {
            if var list = patterns[name] {
                list.removeAll { $0 === client }
                patterns[name] = list.isEmpty ? nil : list
            }
        }
        client.channels.removeAll()
        client.patterns.removeAll()
        client.shardChannels.removeAll()
    }

    /// Subscriber count of a channel (`PUBSUB NUMSUB`).
    func subscriberCount(channel: ByteBuffer) -> Int { channels[channel]?.count ?? 0 }

    /// Subscriber count of a shard channel (`PUBSUB SHARDNUMSUB`).
    func subscriberCount(shardChannel: ByteBuffer) -> Int { shardChannels[shardChannel]?.count ?? 0 }

    /// Every active channel name (of the given table).
    func channelNames(shard: Bool) -> Dictionary<ByteBuffer, [ClientSession]>.Keys {
        shard ? shardChannels.keys : channels.keys
    }

    /// Delivers `message` on `channel` and returns the number of receivers, as `PUBLISH` replies.
    ///
    /// Each pattern match counts (and is delivered) separately, as in Redis.
    func publish(channel: ByteBuffer, message: ByteBuffer, deliver: (ClientSession, ByteBuffer) -> Void) -> Int {
        var receivers = 0
        if let list = channels[channel] {
            var encoded = EncodedMessage(kind: "message", pattern: nil, channel: channel, message: message)
            for client in list {
                deliver(client, encoded.bytes(for: client.protocolVersion))
            }
            receivers += list.count
        }
        if !patterns.isEmpty {
            channel.withUnsafeReadableBytes { channelBytes in
                for (pattern, list) in patterns {
                    let matched = pattern.withUnsafeReadableBytes {
                        GlobPattern.matches(pattern: $0, string: channelBytes)
                    }
                    guard matched else { continue }
                    var encoded = EncodedMessage(kind: "pmessage", pattern: pattern, channel: channel, message: message)
                    for client in list {
                        deliver(client, encoded.bytes(for: client.protocolVersion))
                    }
                    receivers += list.count
                }
            }
        }
        return receivers
    }

    /// Delivers `message` to the listeners of a shard channel (`SPUBLISH`).
    func publish(shardChannel: ByteBuffer, message: ByteBuffer, deliver: (ClientSession, ByteBuffer) -> Void) -> Int {
        guard let list = shardChannels[shardChannel] else { return 0 }
        var encoded = EncodedMessage(kind: "smessage", pattern: nil, channel: shardChannel, message: message)
        for client in list {
            deliver(client, encoded.bytes(for: client.protocolVersion))
        }
        return list.count
    }
}

/// A published message's wire bytes, made once per protocol version on first need.
struct EncodedMessage {
    let kind: StaticString
    let pattern: ByteBuffer?
    let channel: ByteBuffer
    let message: ByteBuffer
    private var resp2: ByteBuffer? = nil
    private var resp3: ByteBuffer? = nil

    init(kind: StaticString, pattern: ByteBuffer?, channel: ByteBuffer, message: ByteBuffer) {
        self.kind = kind
        self.pattern = pattern
        self.channel = channel
        self.message = message
    }

    mutating func bytes(for version: RESPVersion) -> ByteBuffer {
        if version == .resp3 {
            if let resp3 { return resp3 }
            let made = make(.resp3)
            resp3 = made
            return made
        }
        if let resp2 { return resp2 }
        let made = make(.resp2)
        resp2 = made
        return made
    }

    private func make(_ version: RESPVersion) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(message.readableBytes + channel.readableBytes + 48 + (pattern?.readableBytes ?? 0))
        buffer.writeRESPPushHeader(pattern == nil ? 3 : 4, version)
        buffer.writeRESPBulkString(bytes: kind.withUTF8Buffer { Array($0) })
        if let pattern { buffer.writeRESPBulkString(buffer: pattern) }
        buffer.writeRESPBulkString(buffer: channel)
        buffer.writeRESPBulkString(buffer: message)
        return buffer
    }
}
