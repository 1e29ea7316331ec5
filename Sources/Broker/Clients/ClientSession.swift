import Collections
import NIOCore
import RESP

/// One client connection's state, owned by the broker's event loop.
///
/// Replies and pushes are written into `output`; the connection handler flushes it once per read
/// batch, and ``BrokerCore`` flushes sessions that received pushes once per loop tick.
///
/// Its hot stored properties are `@exclusivity(unchecked)`: they are touched only on the broker's
/// event loop, by synchronous code that never overlaps two accesses to one of them, and the
/// runtime exclusivity checks cost about 7% of a pipelined `GET` (perf, docs/benchmarks.md).
final class ClientSession {
    /// What `CLIENT REPLY` asked for.
    enum ReplyMode {
        case on, off, skipNext, skipThis
    }

    let id: UInt64
    let connection: BrokerConnection
    let remoteAddress: String
    let localAddress: String
    let createdAt: Double
    @exclusivity(unchecked) var lastInteraction: Double
    var name: [UInt8] = []
    var libraryName: [UInt8] = []
    var libraryVersion: [UInt8] = []
    @exclusivity(unchecked) var database = 0
    @exclusivity(unchecked) var protocolVersion: RESPVersion = .resp2
    @exclusivity(unchecked) var isAuthenticated: Bool
    var user = "default"
    @exclusivity(unchecked) var replyMode: ReplyMode = .on
    /// While one of this client's requests runs: the pushes written to `output` meanwhile, which
    /// `CLIENT REPLY OFF|SKIP` must not drop (nil outside a request).
    @exclusivity(unchecked) var requestPushes: [Range<Int>]? = nil
    var noEvict = false
    @exclusivity(unchecked) var isMonitor = false
    @exclusivity(unchecked) var closeAfterReply = false
    @exclusivity(unchecked) var isClosed = false
    @exclusivity(unchecked) var lastCommand = "NULL"
    @exclusivity(unchecked) var channels = SubscriptionSet()
    @exclusivity(unchecked) var patterns = SubscriptionSet()
    @exclusivity(unchecked) var shardChannels = SubscriptionSet()
    @exclusivity(unchecked) var output: ByteBuffer
    @exclusivity(unchecked) var queryBufferBytes = 0
    @exclusivity(unchecked) var queryBufferCapacity = 0
    @exclusivity(unchecked) var isQueuedForFlush = false
    /// Whether the socket took all output so far; false from a send it did not take in full until
    /// it reports itself writable again.
    @exclusivity(unchecked) var isWritable = true
    @exclusivity(unchecked) var softLimitReachedAt: Double? = nil
    /// Set while a `CLIENT PAUSE` holds this client's commands back.
    var isWaitingForUnpause = false

    init(
        id: UInt64, connection: BrokerConnection, remoteAddress: String, localAddress: String, now: Double,
        isAuthenticated: Bool
    ) {
        self.id = id
        self.connection = connection
        self.remoteAddress = remoteAddress
        self.localAddress = localAddress
        self.createdAt = now
        self.lastInteraction = now
        self.isAuthenticated = isAuthenticated
        self.output = ByteBufferAllocator().buffer(capacity: 1024)
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
