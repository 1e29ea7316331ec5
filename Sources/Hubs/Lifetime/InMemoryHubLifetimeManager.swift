import HubProtocol
import NIOCore
import Synchronization

/// The lifetime manager of a single node: connections, groups and users in memory.
///
/// Connections are kept per event loop (a shard each), touched only on that loop, so a message to
/// many connections costs one hop per loop; the shard writes the same wire bytes to each of its
/// connections (built once per protocol and transport kind) and flushes them together. Group names
/// compare exactly (ordinal), as in ASP.NET Core's in-memory manager.
public final class InMemoryHubLifetimeManager: HubLifetimeManager {
    private struct Index {
        var connections: [String: HubConnection] = [:]
        var shards: [ObjectIdentifier: HubConnectionShard] = [:]
        var shardList: [HubConnectionShard] = []
    }

    private let index = Mutex(Index())
    let clientResults = HubClientResults()

    /// An empty manager.
    public init() {}

    /// The number of connections registered.
    public var connectionCount: Int { index.withLock { $0.connections.count } }

    public func connectionStarted(_ connection: HubConnection) async throws {
        let shard = index.withLock { index -> HubConnectionShard in
            index.connections[connection.connectionId] = connection
            let key = ObjectIdentifier(connection.eventLoop)
            if let shard = index.shards[key] { return shard }
            let shard = HubConnectionShard(eventLoop: connection.eventLoop)
            index.shards[key] = shard
            index.shardList.append(shard)
            return shard
        }
        try await shard.eventLoop.submit { shard.add(connection) }.get()
    }

    public func connectionEnded(_ connection: HubConnection) async {
        let shard = index.withLock { index -> HubConnectionShard? in
            if index.connections[connection.connectionId] === connection {
                index.connections.removeValue(forKey: connection.connectionId)
            }
            return index.shards[ObjectIdentifier(connection.eventLoop)]
        }
        if let shard {
            try? await shard.eventLoop.submit { shard.remove(connection) }.get()
        }
        clientResults.connectionEnded(connection.connectionId)
    }

    public func connectionAborted(_ connection: HubConnection) {
        clientResults.connectionEnded(connection.connectionId)
    }

    public func send(_ message: SerializedHubMessage, to target: HubSendTarget) async throws {
        deliver(message, to: target)
    }

    /// Hands `message` to this node's connections that `target` names, without waiting: each
    /// event loop's share is queued on that loop (a backplane delivers what it receives this way).
    public func deliver(_ message: SerializedHubMessage, to target: HubSendTarget) {
        switch target {
        case .all(let excluding):
            for shard in shards() {
                shard.eventLoop.execute { shard.sendAll(message, excluding: excluding) }
            }
        case .connection(let id):
            connection(id)?.send(message)
        case .connections(let ids):
            let connections = index.withLock { index in ids.compactMap { index.connections[$0] } }
            for connection in connections { connection.send(message) }
        case .group(let group, let excluding):
            for shard in shards() {
                shard.eventLoop.execute { shard.sendGroups([group], message, excluding: excluding) }
            }
        case .groups(let groups):
            let groups = groups.filter { !$0.isEmpty }
            guard !groups.isEmpty else { return }
            for shard in shards() {
                shard.eventLoop.execute { shard.sendGroups(groups, message, excluding: []) }
            }
        case .user(let user):
            for shard in shards() {
                shard.eventLoop.execute { shard.sendUsers([user], message) }
            }
        case .users(let users):
            let users = users.filter { !$0.isEmpty }
            guard !users.isEmpty else { return }
            for shard in shards() {
                shard.eventLoop.execute { shard.sendUsers(users, message) }
            }
        }
    }

    public func addToGroup(_ group: String, connectionId: String) async throws {
        guard let (connection, shard) = located(connectionId) else { return }
        try await shard.eventLoop.submit { shard.addToGroup(group, connection) }.get()
    }

    public func removeFromGroup(_ group: String, connectionId: String) async throws {
        guard let (connection, shard) = located(connectionId) else { return }
        try await shard.eventLoop.submit { shard.removeFromGroup(group, connection) }.get()
    }

    public func invoke(connectionId: String, target: String, arguments: HubArguments) async throws -> HubValue {
        guard let connection = connection(connectionId) else {
            throw HubError(.connectionNotFound, "Connection '\(connectionId)' does not exist.")
        }
        return try await clientResults.invoke(connectionId: connectionId, isAborted: { connection.isAborted }) {
            invocationId in
            connection.send(
                SerializedHubMessage(
                    .invocation(InvocationMessage(invocationId: invocationId, target: target, arguments: arguments))))
        }
    }

    public func setConnectionResult(connectionId: String, completion: CompletionMessage) {
        clientResults.complete(connectionId: connectionId, completion: completion)
    }

    /// The members of `group` on this node (for tests and diagnostics).
    public func groupMembers(_ group: String) async -> Set<String> {
        var members: Set<String> = []
        for shard in shards() {
            if let ids = try? await shard.eventLoop.submit({ shard.members(of: group) }).get() {
                members.formUnion(ids)
            }
        }
        return members
    }

    private func shards() -> [HubConnectionShard] {
        index.withLock { $0.shardList }
    }

    /// The connection with `id`, when it is on this node.
    public func connection(_ id: String) -> HubConnection? {
        index.withLock { $0.connections[id] }
    }

    private func located(_ id: String) -> (HubConnection, HubConnectionShard)? {
        index.withLock { index in
            guard let connection = index.connections[id],
                let shard = index.shards[ObjectIdentifier(connection.eventLoop)]
            else { return nil }
            return (connection, shard)
        }
    }
}

/// The connections of one event loop, with their groups and users; touched only on that loop.
final class HubConnectionShard: @unchecked Sendable {
    // @unchecked: all mutable state is confined to `eventLoop` (asserted in each method).
    let eventLoop: any EventLoop
    private var connections: [String: HubConnection] = [:]
    private var groups: [String: [String: HubConnection]] = [:]
    private var memberships: [String: Set<String>] = [:]
    private var users: [String: [String: HubConnection]] = [:]
    /// Sessions written and not flushed yet (from `flushCursor` on), and whether a task to flush
    /// them is queued.
    private var unflushed: [HubConnectionSession] = []
    private var flushCursor = 0
    private var flushScheduled = false
    /// Sessions one flush task sends before the loop goes back to its sockets (see
    /// ``flushWritten()``).
    static let flushChunk = 32
    /// How long the rest of a long flush waits, at least, so the loop polls its sockets first.
    static let flushPause = TimeAmount.microseconds(20)

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func add(_ connection: HubConnection) {
        eventLoop.assertInEventLoop()
        connections[connection.connectionId] = connection
        if let user = connection.userIdentifier {
            users[user, default: [:]][connection.connectionId] = connection
        }
    }

    func remove(_ connection: HubConnection) {
        eventLoop.assertInEventLoop()
        let id = connection.connectionId
        guard connections[id] === connection else { return }
        connections.removeValue(forKey: id)
        for group in memberships.removeValue(forKey: id) ?? [] {
            groups[group]?.removeValue(forKey: id)
            if groups[group]?.isEmpty == true { groups.removeValue(forKey: group) }
        }
        if let user = connection.userIdentifier {
            users[user]?.removeValue(forKey: id)
            if users[user]?.isEmpty == true { users.removeValue(forKey: user) }
        }
    }

    func addToGroup(_ group: String, _ connection: HubConnection) {
        eventLoop.assertInEventLoop()
        guard connections[connection.connectionId] === connection else { return }
        groups[group, default: [:]][connection.connectionId] = connection
        memberships[connection.connectionId, default: []].insert(group)
    }

    func removeFromGroup(_ group: String, _ connection: HubConnection) {
        eventLoop.assertInEventLoop()
        let id = connection.connectionId
        groups[group]?.removeValue(forKey: id)
        if groups[group]?.isEmpty == true { groups.removeValue(forKey: group) }
        memberships[id]?.remove(group)
    }

    func members(of group: String) -> Set<String> {
        eventLoop.assertInEventLoop()
        return Set(groups[group]?.keys ?? [:].keys)
    }

    private func queueFlush(_ session: HubConnectionSession?) {
        if let session { unflushed.append(session) }
    }

    /// Flushes the sessions written since the last flush in a task of their own, so the messages
    /// the loop already has queued (a burst from the backplane, say) are written first and each
    /// socket gets one write for all of them instead of one per message.
    private func scheduleFlush() {
        guard !flushScheduled, flushCursor < unflushed.count else { return }
        flushScheduled = true
        eventLoop.execute { self.flushWritten() }
    }

    /// Flushes up to `flushChunk` sessions. When more are waiting, the rest follows in a timer
    /// task a moment later rather than at once, because a loop runs every queued task before it
    /// polls its sockets: a fan-out to hundreds of connections would otherwise keep an
    /// invocation that just arrived on one of them (the next broadcast, say) unread until the
    /// last write. Between chunks the loop reads it, and when the next message comes back through
    /// the backplane while this flush is still going, it joins the outboxes of the connections
    /// not flushed yet: they get both in one write. A loop that falls behind thus catches up with
    /// fewer writes per message, and the next message's path through the hub and the backplane
    /// overlaps this one's writes instead of waiting for them.
    private func flushWritten() {
        flushScheduled = false
        let end = min(unflushed.count, flushCursor + Self.flushChunk)
        while flushCursor < end {
            let session = unflushed[flushCursor]
            flushCursor += 1
            session.flushQueued = false
            session.flush()
        }
        if flushCursor == unflushed.count {
            unflushed.removeAll(keepingCapacity: true)
            flushCursor = 0
        } else {
            flushScheduled = true
            eventLoop.scheduleTask(in: Self.flushPause) { self.flushWritten() }
        }
    }

    func sendAll(_ message: SerializedHubMessage, excluding: [String]) {
        eventLoop.assertInEventLoop()
        var batch = HubWriteBatch(message: message)
        if excluding.isEmpty {
            for connection in connections.values { queueFlush(batch.write(to: connection)) }
        } else {
            for connection in connections.values where !excluding.contains(connection.connectionId) {
                queueFlush(batch.write(to: connection))
            }
        }
        scheduleFlush()
    }

    func sendGroups(_ names: [String], _ message: SerializedHubMessage, excluding: [String]) {
        eventLoop.assertInEventLoop()
        var batch = HubWriteBatch(message: message)
        for name in names {
            guard let members = groups[name] else { continue }
            for connection in members.values where !excluding.contains(connection.connectionId) {
                queueFlush(batch.write(to: connection))
            }
        }
        scheduleFlush()
    }

    func sendUsers(_ names: [String], _ message: SerializedHubMessage) {
        eventLoop.assertInEventLoop()
        var batch = HubWriteBatch(message: message)
        for name in names {
            guard let connections = users[name] else { continue }
            for connection in connections.values { queueFlush(batch.write(to: connection)) }
        }
        scheduleFlush()
    }
}
