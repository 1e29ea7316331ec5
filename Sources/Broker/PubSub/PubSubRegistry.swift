import BrokerStorage
import Collections
import NIOCore
import RESP

/// Who listens to what: channels, patterns and shard channels, each in subscription order.
///
/// Owned by the broker's event loop. Publishing encodes a message once per wire form (RESP2 or
/// RESP3; `message`, `pmessage` or `smessage`) and appends the same bytes to every receiver.
///
/// Its stored properties are `@exclusivity(unchecked)`: they are touched only on the broker's event
/// loop, by synchronous code that never overlaps two accesses to one of them.
final class PubSubRegistry {
    @exclusivity(unchecked) private(set) var channels: [ByteBuffer: [ClientSession]] = [:]
    @exclusivity(unchecked) private(set) var patterns: OrderedDictionary<ByteBuffer, [ClientSession]> = [:]
    @exclusivity(unchecked) private(set) var shardChannels: [ByteBuffer: [ClientSession]] = [:]
    /// Where messages are encoded, reused from one publish to the next: receivers copy the bytes,
    /// so the storage is free again when the publish returns (a buffer per message otherwise).
    @exclusivity(unchecked) private var buffers = EncodedMessage.Buffers()
    /// Set while a publish delivers, so a publish nested in a delivery encodes into buffers of its own.
    @exclusivity(unchecked) private var isPublishing = false

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
    func publish(
        channel: ByteBuffer, message: ByteBuffer, deliver: (ClientSession, UnsafeRawBufferPointer) -> Void
    ) -> Int {
        let list = channels[channel]
        if list == nil && patterns.isEmpty { return 0 }
        return withEncodingBuffers { buffers in
            var receivers = 0
            if let list {
                var encoded = EncodedMessage(kind: "message", pattern: nil, channel: channel, message: message)
                Self.forEachUnretained(list) { client in
                    deliver(client, encoded.bytes(for: client.protocolVersion, in: &buffers))
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
                        var encoded = EncodedMessage(
                            kind: "pmessage", pattern: pattern, channel: channel, message: message)
                        Self.forEachUnretained(list) { client in
                            deliver(client, encoded.bytes(for: client.protocolVersion, in: &buffers))
                        }
                        receivers += list.count
                    }
                }
            }
            return receivers
        }
    }

    /// Delivers `message` to the listeners of a shard channel (`SPUBLISH`).
    func publish(
        shardChannel: ByteBuffer, message: ByteBuffer, deliver: (ClientSession, UnsafeRawBufferPointer) -> Void
    ) -> Int {
        guard let list = shardChannels[shardChannel] else { return 0 }
        var encoded = EncodedMessage(kind: "smessage", pattern: nil, channel: shardChannel, message: message)
        return withEncodingBuffers { buffers in
            Self.forEachUnretained(list) { client in
                deliver(client, encoded.bytes(for: client.protocolVersion, in: &buffers))
            }
            return list.count
        }
    }

    /// Calls `body` with each session of `list` without retaining it (`list` keeps them alive, even
    /// if a delivery unsubscribes one: the registry's array is then copied). A retain and a release
    /// per subscriber are atomic read-modify-writes, each waiting for the stores before it; they
    /// serialised the cache misses of writing into a thousand output buffers, and were a third of a
    /// fan-out-to-1,000 profile.
    @inline(__always)
    private static func forEachUnretained(_ list: [ClientSession], _ body: (ClientSession) -> Void) {
        list.withUnsafeBufferPointer { elements in
            elements.withMemoryRebound(to: Unmanaged<ClientSession>.self) { references in
                for reference in references { reference._withUnsafeGuaranteedRef(body) }
            }
        }
    }

    /// Runs `body` with the registry's encoding buffers, or with fresh ones when a publish is
    /// nested in a delivery (the outer one is still handing its bytes out).
    private func withEncodingBuffers(_ body: (inout EncodedMessage.Buffers) -> Int) -> Int {
        guard !isPublishing else {
            var fresh = EncodedMessage.Buffers()
            return body(&fresh)
        }
        var buffers = EncodedMessage.Buffers()
        swap(&buffers, &self.buffers)
        isPublishing = true
        defer {
            isPublishing = false
            // Kept for the next message, unless a big message grew them.
            if buffers.resp2.capacity > BrokerCore.retainedBufferCapacity
                || buffers.resp3.capacity > BrokerCore.retainedBufferCapacity
                || buffers.raw2.capacity > BrokerCore.retainedBufferCapacity
                || buffers.raw3.capacity > BrokerCore.retainedBufferCapacity
            {
                buffers = EncodedMessage.Buffers()
            }
            swap(&buffers, &self.buffers)
        }
        return body(&buffers)
    }
}

/// A published message's wire bytes, made once per protocol version on first need.
struct EncodedMessage {
    /// The buffers the two wire forms are written into (a caller may keep them for the next message).
    struct Buffers {
        var resp2 = ByteBuffer()
        var resp3 = ByteBuffer()
        /// The finished bytes, where a pointer to them may be handed to every subscriber.
        let raw2 = RawBytes()
        let raw3 = RawBytes()
    }

    let kind: StaticString
    let pattern: ByteBuffer?
    let channel: ByteBuffer
    let message: ByteBuffer
    private var resp2Bytes: UnsafeRawBufferPointer? = nil
    private var resp3Bytes: UnsafeRawBufferPointer? = nil

    init(kind: StaticString, pattern: ByteBuffer?, channel: ByteBuffer, message: ByteBuffer) {
        self.kind = kind
        self.pattern = pattern
        self.channel = channel
        self.message = message
    }

    /// The message for a `version` client, written into `buffers` the first time it is asked for;
    /// valid until `buffers` is used for the next message.
    mutating func bytes(for version: RESPVersion, in buffers: inout Buffers) -> UnsafeRawBufferPointer {
        if version == .resp3 {
            if let resp3Bytes { return resp3Bytes }
            make(.resp3, into: &buffers.resp3)
            let bytes = buffers.raw3.assign(buffers.resp3)
            resp3Bytes = bytes
            return bytes
        }
        if let resp2Bytes { return resp2Bytes }
        make(.resp2, into: &buffers.resp2)
        let bytes = buffers.raw2.assign(buffers.resp2)
        resp2Bytes = bytes
        return bytes
    }

    private func make(_ version: RESPVersion, into buffer: inout ByteBuffer) {
        buffer.clear()
        buffer.reserveCapacity(message.readableBytes + channel.readableBytes + 48 + (pattern?.readableBytes ?? 0))
        buffer.writeRESPPushHeader(pattern == nil ? 3 : 4, version)
        kind.withUTF8Buffer { buffer.writeRESPBulkString(raw: UnsafeRawBufferPointer($0)) }
        if let pattern { buffer.writeRESPBulkString(buffer: pattern) }
        buffer.writeRESPBulkString(buffer: channel)
        buffer.writeRESPBulkString(buffer: message)
    }
}

/// Bytes in memory of its own, at an address that stays put until the next ``assign(_:)`` (a pointer
/// to a `ByteBuffer`'s bytes may not outlive the closure that lends it).
final class RawBytes {
    private var storage: UnsafeMutableRawPointer? = nil
    private(set) var capacity = 0

    /// Copies `buffer`'s readable bytes in and returns them.
    func assign(_ buffer: ByteBuffer) -> UnsafeRawBufferPointer {
        let count = buffer.readableBytes
        if count > capacity {
            storage?.deallocate()
            capacity = max(count, 256)
            storage = .allocate(byteCount: capacity, alignment: 16)
        }
        buffer.withUnsafeReadableBytes { bytes in
            if let source = bytes.baseAddress, count > 0 { storage!.copyMemory(from: source, byteCount: count) }
        }
        return UnsafeRawBufferPointer(start: storage, count: count)
    }

    deinit { storage?.deallocate() }
}
