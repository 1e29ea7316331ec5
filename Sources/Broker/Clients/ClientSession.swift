import Collections
import NIOCore
import RESP

/// One client connection's state, owned by the broker's event loop.
///
/// Replies and pushes are written into `output`; the connection handler flushes it once per read
/// batch, and ``BrokerCore`` flushes sessions that received pushes once per loop tick.
final class ClientSession {
    /// What `CLIENT REPLY` asked for.
    enum ReplyMode {
        case on, off, skipNext, skipThis
    }

    let id: UInt64
    let channel: Channel
    let remoteAddress: String
    let localAddress: String
    let createdAt: Double
    var lastInteraction: Double
    var name: [UInt8] = []
    var libraryName: [UInt8] = []
    var libraryVersion: [UInt8] = []
    var database = 0
    var protocolVersion: RESPVersion = .resp2
    var isAuthenticated: Bool
    var user = "default"
    var replyMode: ReplyMode = .on
    /// While one of this client's requests runs: the pushes written to `output` meanwhile, which
    /// `CLIENT REPLY OFF|SKIP` must not drop (nil outside a request).
    var requestPushes: [Range<Int>]? = nil
    var noEvict = false
    var isMonitor = false
    var closeAfterReply = false
    var isClosed = false
    var lastCommand = "NULL"
    var channels = SubscriptionSet()
    var patterns = SubscriptionSet()
    var shardChannels = SubscriptionSet()
    var output: ByteBuffer
    var queryBufferBytes = 0
    var queryBufferCapacity = 0
    var isQueuedForFlush = false
    var softLimitReachedAt: Double? = nil
    /// Set while a `CLIENT PAUSE` holds this client's commands back.
    var isWaitingForUnpause = false

    init(
        id: UInt64, channel: Channel, remoteAddress: String, localAddress: String, now: Double,
        isAuthenticated: Bool
    ) {
        self.id = id
        self.channel = channel
        self.remoteAddress = remoteAddress
        self.localAddress = localAddress
        self.createdAt = now
        self.lastInteraction = now
        self.isAuthenticated = isAuthenticated
        self.output = channel.allocator.buffer(capacity: 1024)
    }

    /// Channels and patterns together, the count Redis puts in (un)subscribe replies.
    var subscriptionCount: Int { channels.count + patterns.count }

    /// Whether the connection is in pub/sub mode (RESP2 restricts its commands then).
    var isSubscriber: Bool { !channels.isEmpty || !patterns.isEmpty || !shardChannels.isEmpty }

    /// `CLIENT LIST`'s `flags=` letters.
    var flagLetters: String {
        var f = ""
        if isMonitor { f += "O" }
        if isSubscriber { f += "P" }
        if closeAfterReply { f += "c" }
        if noEvict { f += "e" }
        return f.isEmpty ? "N" : f
    }
}

extension ClientSession: Hashable {
    static func == (a: ClientSession, b: ClientSession) -> Bool { a === b }
    func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}
