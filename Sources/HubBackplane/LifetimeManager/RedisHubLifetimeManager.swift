import HubProtocol
import Hubs
import Logging
import Metrics
import NIOCore
import NIOPosix
import RedisClient
import ServiceLifecycle
import Synchronization

/// A hub lifetime manager that makes several nodes one hub through Redis pub/sub, byte-compatible
/// with ASP.NET Core's Redis backplane (channels and MessagePack payloads of
/// `signalr-protocol.md` §g), so Switchboard and ASP.NET Core nodes can share one Redis.
///
/// Sends to all, groups and users are published (the format carries no origin, so a local
/// short-cut would deliver twice); every node, the sender included, delivers what it receives to
/// its own connections, writing the received bytes as they are. A send to one local connection
/// skips Redis. Channels follow interest: a node subscribes a connection's channel while it is
/// connected, and a group's or user's channel while it has a local member; connecting and joining
/// a group return once Redis has confirmed the subscription.
///
/// While Redis is unreachable the node keeps serving its own connections: sends reach the local
/// recipients and then fail fast with a ``HubError`` (code `deliveryFailed`), counted in
/// `switchboard_backplane_publish_failures`; the connections reconnect by themselves and subscribe
/// every needed channel again. Run it as a `Service` (or call ``connect()`` and ``close()``).
public final class RedisHubLifetimeManager: HubLifetimeManager, Service {
    /// The hub's channel names.
    public let channels: BackplaneChannels
    /// This node's server name (its ack and return channels carry it).
    public let serverName: String
    /// The options.
    public let options: RedisHubLifetimeManagerOptions
    /// This node's connections, groups and users.
    let local = InMemoryHubLifetimeManager()
    let publisher: RedisClient
    let subscriber: RedisSubscriber
    let logger: Logger
    let metrics: BackplaneMetrics
    let state = Mutex(State())
    private let nextCommandId = Atomic<Int>(1)
    let groupCommands: AsyncStream<BackplaneGroupCommand>.Continuation

    struct State {
        /// Subscribed channels with how many local reasons (connections, memberships) need each.
        var interest: [String: ChannelInterest] = [:]
        /// The groups of each local connection; a connection is here from start to end.
        var groupsOf: [String: Set<String>] = [:]
        /// Client results other nodes asked of local connections, by invocation id.
        var forwarded: [String: ForwardedResult] = [:]
        /// This node's group commands waiting for their ack, by command id.
        var acks: [Int: EventLoopPromise<Void>] = [:]
        /// This node's client results waiting on other nodes, by invocation id.
        var results: [String: EventLoopPromise<HubValue>] = [:]
        var isClosed = false
    }

    struct ChannelInterest {
        var count: Int
        let subscription: RedisSubscription
        let confirmed: EventLoopFuture<Void>
    }

    struct ForwardedResult {
        let invocationId: String
        let connectionId: String
        let returnChannel: String
        let hubProtocol: any HubProtocol
    }

    /// The event loop the backplane's Redis connections use unless told otherwise: one thread of
    /// their own in the process, shared by every manager, and never shut down (like NIO's
    /// singleton group).
    ///
    /// Not the hub connections' loops: a message to every connection keeps its loop busy for as
    /// long as the writes take (milliseconds for thousands of sockets), and a `PUBLISH` reply or
    /// a message from Redis read on that loop would wait behind them. A hub method awaiting its
    /// `PUBLISH` then holds up the caller's next invocation, so under load the invocations of a
    /// busy sender queue up. StackExchange.Redis, under ASP.NET Core's backplane, likewise
    /// completes its I/O on a dedicated thread pool that its connections share.
    public static let defaultEventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup._makePerpetualGroup(
        threadNamePrefix: "NIO-BACKPLANE-", numberOfThreads: 1)

    /// A manager for the hub named `hubName` (the .NET hub type's full name, the same on every
    /// node); nothing connects until ``connect()`` or ``run()``. Its Redis connections run on
    /// `eventLoopGroup`: by default ``defaultEventLoopGroup``, a thread apart from the hub
    /// connections'.
    public init(
        hubName: String, options: RedisHubLifetimeManagerOptions,
        eventLoopGroup: any EventLoopGroup = RedisHubLifetimeManager.defaultEventLoopGroup,
        logger: Logger = Logger(label: "switchboard.backplane"), metricsFactory: (any MetricsFactory)? = nil
    ) {
        let serverName = BackplaneServerName.make(host: options.serverHost)
        self.serverName = serverName
        self.channels = BackplaneChannels(hubName: hubName, prefix: options.channelPrefix)
        self.options = options
        var logger = logger
        logger[metadataKey: "server"] = "\(serverName)"
        self.logger = logger
        self.metrics = BackplaneMetrics(hub: hubName, factory: metricsFactory ?? MetricsSystem.factory)
        var publisherConfiguration = options.redis
        var subscriberConfiguration = options.redis
        if options.redis.clientName == nil {
            publisherConfiguration.clientName = Self.clientName(serverName, "pub")
            subscriberConfiguration.clientName = Self.clientName(serverName, "sub")
        }
        self.publisher = RedisClient(
            configuration: publisherConfiguration, eventLoopGroup: eventLoopGroup, logger: logger)
        self.subscriber = RedisSubscriber(
            configuration: subscriberConfiguration, eventLoopGroup: eventLoopGroup, logger: logger)
        let (commands, continuation) = AsyncStream.makeStream(of: BackplaneGroupCommand.self)
        self.groupCommands = continuation
        subscribeNodeChannels()
        // Group commands are applied one at a time, in the order they arrive.
        Task { [weak self] in
            for await command in commands {
                await self?.apply(command)
            }
        }
    }

    /// `CLIENT SETNAME` forbids spaces and newlines.
    private static func clientName(_ serverName: String, _ role: String) -> String {
        String(serverName.map { $0 == " " || $0.isNewline ? "-" : $0 }) + ":" + role
    }

    // MARK: - Life cycle

    /// Connects to Redis; returns once both connections are up, or throws the first attempt's
    /// error (attempts go on in the background, and the node works locally meanwhile).
    public func connect() async throws {
        async let published: Void = publisher.connect()
        async let subscribed: Void = subscriber.connect()
        _ = try await (published, subscribed)
    }

    /// Runs as a service: connects, keeps reconnecting, and closes on graceful shutdown.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { try? await self.publisher.run() }
            group.addTask { try? await self.subscriber.run() }
        }
        await close()
    }

    /// Closes both Redis connections for good; waiting group changes and client results fail.
    public func close() async {
        let (acks, results) = state.withLock { state in
            state.isClosed = true
            defer {
                state.acks = [:]
                state.results = [:]
            }
            return (Array(state.acks.values), Array(state.results.values))
        }
        let error = Self.closedError
        for ack in acks { ack.fail(error) }
        for result in results { result.fail(error) }
        groupCommands.finish()
        await publisher.close()
        await subscriber.close()
    }

    /// Whether both Redis connections are up (every channel subscribed): `false` means degraded,
    /// with only this node's connections reachable.
    public var isConnected: Bool {
        publisher.state == .connected && subscriber.state == .connected
    }

    /// Returns once ``isConnected`` is `connected`, or when the manager is closed (or the task
    /// cancelled) first: for code that waits for the backplane instead of polling it.
    public func waitUntil(connected: Bool) async {
        // Each stream starts with its connection's current state, so a change that happened
        // before the streams existed is seen at their first element.
        let streams = [publisher.stateChanges(), subscriber.stateChanges()]
        await withTaskGroup(of: Void.self) { group in
            for states in streams {
                group.addTask {
                    for await _ in states where self.isConnected == connected { return }
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// The two connections' states, for health endpoints (`publisher connected, subscriber
    /// reconnecting(3)`).
    public var connectionDescription: String {
        "publisher \(publisher.state), subscriber \(subscriber.state)"
    }

    /// The channels this node keeps subscribed for its connections, groups and users, with how
    /// many local connections need each (the four node channels are not listed).
    public var interestChannels: [String: Int] {
        state.withLock { $0.interest.mapValues(\.count) }
    }

    /// The members of `group` on this node.
    public func localGroupMembers(_ group: String) async -> Set<String> {
        await local.groupMembers(group)
    }

    // MARK: - Connections

    public func connectionStarted(_ connection: HubConnection) async throws {
        let id = connection.connectionId
        let confirmations = state.withLock { state -> [EventLoopFuture<Void>] in
            state.groupsOf[id] = []
            var confirmations = [acquire(&state, channels.connection(id), .connection(id))]
            if let user = connection.userIdentifier, !user.isEmpty {
                confirmations.append(acquire(&state, channels.user(user), .user(user)))
            }
            return confirmations
        }
        do {
            try await local.connectionStarted(connection)
        } catch {
            state.withLock { state in releaseAll(&state, connection) }
            throw error
        }
        // Returns once Redis confirmed, so messages sent to the connection after its onConnected
        // reach it; while Redis is down this returns at once (the channels follow on reconnect).
        for confirmation in confirmations { try? await confirmation.get() }
    }

    public func connectionEnded(_ connection: HubConnection) async {
        let forwarded = state.withLock { state -> [ForwardedResult] in
            releaseAll(&state, connection)
            return takeForwarded(&state, connectionId: connection.connectionId)
        }
        await local.connectionEnded(connection)
        for result in forwarded { returnDisconnected(result) }
    }

    public func connectionAborted(_ connection: HubConnection) {
        local.connectionAborted(connection)
        let forwarded = state.withLock { takeForwarded(&$0, connectionId: connection.connectionId) }
        for result in forwarded { returnDisconnected(result) }
    }

    /// Drops a local connection's channels: its own, its user's and its groups' (locally only, as
    /// ASP.NET Core does: other nodes are not told).
    private func releaseAll(_ state: inout State, _ connection: HubConnection) {
        let id = connection.connectionId
        guard let groups = state.groupsOf.removeValue(forKey: id) else { return }
        release(&state, channels.connection(id))
        if let user = connection.userIdentifier, !user.isEmpty { release(&state, channels.user(user)) }
        for group in groups { release(&state, channels.group(group)) }
    }

    // MARK: - Channel interest

    /// What a subscribed channel delivers to.
    enum Route: Sendable {
        case all
        case group(String)
        case user(String)
        case connection(String)
    }

    /// One more local reason to be subscribed to `channel`; the first subscribes. Registration
    /// happens under the state lock, so subscribes and unsubscribes of a channel reach Redis in
    /// the order its count changed: a join racing a leave never loses the subscription.
    private func acquire(_ state: inout State, _ channel: String, _ route: Route) -> EventLoopFuture<Void> {
        if var interest = state.interest[channel] {
            interest.count += 1
            state.interest[channel] = interest
            return interest.confirmed
        }
        let (subscription, confirmed) = subscriber.register(.channel, [ByteBuffer(string: channel)]) {
            [weak self] _, payload in
            self?.receivedInvocation(payload, route: route)
        }
        state.interest[channel] = ChannelInterest(count: 1, subscription: subscription, confirmed: confirmed)
        return confirmed
    }

    /// One local reason fewer; the last unsubscribes.
    private func release(_ state: inout State, _ channel: String) {
        guard var interest = state.interest[channel] else { return }
        interest.count -= 1
        if interest.count > 0 {
            state.interest[channel] = interest
        } else {
            state.interest.removeValue(forKey: channel)
            subscriber.deregister(interest.subscription)
        }
    }

    /// `P:all`, `P:internal:groups`, and this node's ack and return channels, for the manager's life.
    private func subscribeNodeChannels() {
        _ = subscriber.register(.channel, [ByteBuffer(string: channels.all)]) { [weak self] _, payload in
            self?.receivedInvocation(payload, route: .all)
        }
        _ = subscriber.register(.channel, [ByteBuffer(string: channels.internalGroups)]) { [weak self] _, payload in
            self?.receivedGroupCommand(payload)
        }
        _ = subscriber.register(.channel, [ByteBuffer(string: channels.ack(server: serverName))]) {
            [weak self] _, payload in
            self?.receivedAck(payload)
        }
        _ = subscriber.register(.channel, [ByteBuffer(string: channels.returnResults(server: serverName))]) {
            [weak self] _, payload in
            self?.receivedClientResult(payload)
        }
    }

    // MARK: - Sending

    public func send(_ message: SerializedHubMessage, to target: HubSendTarget) async throws {
        switch target {
        case .all(let excluding):
            try await publish(message, to: [channels.all], excluding: excluding, target: target)
        case .connection(let id):
            if local.connection(id) != nil {
                local.deliver(message, to: target)
            } else {
                try await publish(message, to: [channels.connection(id)], target: target)
            }
        case .connections(let ids):
            var localIds: [String] = []
            var remote: [String] = []
            for id in ids {
                if local.connection(id) != nil { localIds.append(id) } else { remote.append(channels.connection(id)) }
            }
            if !localIds.isEmpty { local.deliver(message, to: .connections(localIds)) }
            try await publish(message, to: remote, target: .connections([]))
        case .group(let group, let excluding):
            try await publish(message, to: [channels.group(group)], excluding: excluding, target: target)
        case .groups(let groups):
            try await publish(message, to: groups.filter { !$0.isEmpty }.map(channels.group), target: target)
        case .user(let user):
            guard !user.isEmpty else { return }
            try await publish(message, to: [channels.user(user)], target: target)
        case .users(let users):
            try await publish(message, to: users.filter { !$0.isEmpty }.map(channels.user), target: target)
        }
    }

    /// Publishes `message` to `names`. While Redis is unreachable nothing is written: `target`'s
    /// local recipients get the message and the send fails fast, counted.
    private func publish(
        _ message: SerializedHubMessage, to names: [String], excluding: [String] = [], target: HubSendTarget
    ) async throws {
        guard !names.isEmpty else { return }
        let payload = try invocationPayload(message, excluding: excluding)
        // Both connections: with the subscriber down this node would not receive its own message,
        // so its local recipients would miss it.
        guard isConnected else {
            throw unavailable(deliveringLocally: message, to: target, count: names.count)
        }
        do {
            if names.count == 1 {
                _ = try await publisher.publish(.string(names[0]), .buffer(payload))
            } else {
                let commands = names.map { RedisCommand("PUBLISH", .string($0), .buffer(payload)) }
                for result in try await publisher.pipeline(commands) { _ = try result.get() }
            }
        } catch let error as RedisClientError where error.code == .notConnected {
            throw unavailable(deliveringLocally: message, to: target, count: names.count)
        } catch {
            metrics.publishFailures.increment(by: names.count)
            throw HubError(.deliveryFailed, "The message could not be published to Redis: \(error)")
        }
    }

    /// Delivers to this node's share of `target` and returns the error for the rest.
    private func unavailable(
        deliveringLocally message: SerializedHubMessage, to target: HubSendTarget, count: Int
    )
        -> HubError
    {
        local.deliver(message, to: target)
        metrics.publishFailures.increment(by: count)
        logger.warning(
            "Redis is unreachable: a message reached only this node's connections",
            metadata: ["redis": "\(connectionDescription)"])
        return HubError(
            .deliveryFailed,
            "The Redis backplane is not connected: the message reached only this node's connections.")
    }

    /// `[excluded, {json: …, messagepack: …}]` with the message in every configured protocol.
    private func invocationPayload(
        _ message: SerializedHubMessage, excluding: [String], invocationId: String? = nil,
        returnChannel: String? = nil
    ) throws -> ByteBuffer {
        var serializations: [(protocolName: String, bytes: ByteBuffer)] = []
        serializations.reserveCapacity(options.protocols.count)
        do {
            for hubProtocol in options.protocols {
                serializations.append((hubProtocol.name, try message.serialized(for: hubProtocol)))
            }
        } catch {
            throw HubError(.serialization, "The message could not be serialized: \(error)")
        }
        return BackplaneInvocation(
            excludedIds: excluding, serializations: serializations, invocationId: invocationId,
            returnChannel: returnChannel
        ).payload
    }

    // MARK: - Groups

    public func addToGroup(_ group: String, connectionId: String) async throws {
        if local.connection(connectionId) != nil {
            try await addLocal(group, connectionId)
        } else {
            try await sendGroupCommand(.add, group, connectionId)
        }
    }

    public func removeFromGroup(_ group: String, connectionId: String) async throws {
        if local.connection(connectionId) != nil {
            try await removeLocal(group, connectionId)
        } else {
            try await sendGroupCommand(.remove, group, connectionId)
        }
    }

    /// Adds a local connection to `group`; returns once Redis confirmed the group's channel (at
    /// once while Redis is down).
    private func addLocal(_ group: String, _ connectionId: String) async throws {
        let confirmation = state.withLock { state -> EventLoopFuture<Void>? in
            guard state.groupsOf[connectionId]?.insert(group).inserted == true else { return nil }
            return acquire(&state, channels.group(group), .group(group))
        }
        guard let confirmation else { return }
        try await local.addToGroup(group, connectionId: connectionId)
        try? await confirmation.get()
    }

    private func removeLocal(_ group: String, _ connectionId: String) async throws {
        let removed = state.withLock { state -> Bool in
            guard state.groupsOf[connectionId]?.remove(group) != nil else { return false }
            release(&state, channels.group(group))
            return true
        }
        guard removed else { return }
        try await local.removeFromGroup(group, connectionId: connectionId)
    }

    /// Asks the node that owns `connectionId` to change its groups, and waits for its ack.
    private func sendGroupCommand(
        _ action: BackplaneGroupCommand.Action, _ group: String, _ connectionId: String
    ) async throws {
        guard publisher.state == .connected else { throw unreachable(connectionId) }
        let id = nextCommandId.wrappingAdd(1, ordering: .relaxed).oldValue
        let loop = publisher.eventLoop
        let acked = loop.makePromise(of: Void.self)
        let registered = state.withLock { state -> Bool in
            guard !state.isClosed else { return false }
            state.acks[id] = acked
            return true
        }
        guard registered else {
            acked.fail(Self.closedError)  // a promise must be completed
            throw Self.closedError
        }
        let seconds = Double(options.groupAckTimeout.nanoseconds) / 1e9
        let timeout = loop.scheduleTask(in: options.groupAckTimeout) { [weak self] in
            self?.failAck(
                id,
                HubError(
                    .deliveryFailed,
                    "No node acknowledged the group change for connection '\(connectionId)' within \(seconds) s."))
        }
        defer { timeout.cancel() }
        let command = BackplaneGroupCommand(
            id: id, serverName: serverName, action: action, groupName: group, connectionId: connectionId)
        do {
            _ = try await publisher.publish(.string(channels.internalGroups), .buffer(command.payload))
        } catch {
            metrics.publishFailures.increment()
            failAck(id, HubError(.deliveryFailed, "The group change could not be published to Redis: \(error)"))
        }
        try await acked.futureResult.get()
    }

    static let closedError = HubError(.deliveryFailed, "The Redis backplane was closed.")

    /// The error (counted) for a group change or client result of a connection on another node
    /// while Redis is unreachable.
    private func unreachable(_ connectionId: String) -> HubError {
        metrics.publishFailures.increment()
        return HubError(
            .deliveryFailed,
            "The Redis backplane is not connected: connection '\(connectionId)' is not on this node and cannot be reached."
        )
    }

    private func failAck(_ id: Int, _ error: any Error) {
        state.withLock { $0.acks.removeValue(forKey: id) }?.fail(error)
    }

    /// Applies a group command for a local connection and acks it (other nodes' commands are
    /// ignored, as ASP.NET Core does).
    private func apply(_ command: BackplaneGroupCommand) async {
        guard local.connection(command.connectionId) != nil else { return }
        do {
            switch command.action {
            case .add: try await addLocal(command.groupName, command.connectionId)
            case .remove: try await removeLocal(command.groupName, command.connectionId)
            }
        } catch {
            logger.warning(
                "A group command could not be applied",
                metadata: ["connection": "\(command.connectionId)", "error": "\(error)"])
        }
        do {
            _ = try await publisher.publish(
                .string(channels.ack(server: command.serverName)), .buffer(BackplaneAck(id: command.id).payload))
        } catch {
            metrics.publishFailures.increment()
            logger.warning("A group command's ack could not be published", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - Client results

    public func invoke(connectionId: String, target: String, arguments: HubArguments) async throws -> HubValue {
        if local.connection(connectionId) != nil {
            return try await local.invoke(connectionId: connectionId, target: target, arguments: arguments)
        }
        let invocationId = Self.makeInvocationId()
        let message = SerializedHubMessage(
            .invocation(InvocationMessage(invocationId: invocationId, target: target, arguments: arguments)))
        let payload = try invocationPayload(
            message, excluding: [], invocationId: invocationId,
            returnChannel: channels.returnResults(server: serverName))
        guard publisher.state == .connected else { throw unreachable(connectionId) }
        let result = publisher.eventLoop.makePromise(of: HubValue.self)
        let registered = state.withLock { state -> Bool in
            guard !state.isClosed else { return false }
            state.results[invocationId] = result
            return true
        }
        guard registered else {
            result.fail(Self.closedError)  // a promise must be completed
            throw Self.closedError
        }
        return try await withTaskCancellationHandler {
            do {
                let receivers = try await publisher.publish(
                    .string(channels.connection(connectionId)), .buffer(payload))
                if receivers == 0 {
                    failResult(
                        invocationId, HubError(.connectionNotFound, "Connection '\(connectionId)' does not exist."))
                }
            } catch {
                metrics.publishFailures.increment()
                failResult(
                    invocationId, HubError(.deliveryFailed, "The invocation could not be published to Redis: \(error)"))
            }
            return try await result.futureResult.get()
        } onCancel: {
            self.failResult(invocationId, CancellationError())
        }
    }

    public func setConnectionResult(connectionId: String, completion: CompletionMessage) {
        let forwarded = state.withLock { state -> ForwardedResult? in
            guard let forwarded = state.forwarded[completion.invocationId], forwarded.connectionId == connectionId
            else { return nil }
            return state.forwarded.removeValue(forKey: completion.invocationId)
        }
        guard let forwarded else {
            local.setConnectionResult(connectionId: connectionId, completion: completion)
            return
        }
        returnCompletion(completion, for: forwarded)
    }

    private func failResult(_ invocationId: String, _ error: any Error) {
        state.withLock { $0.results.removeValue(forKey: invocationId) }?.fail(error)
    }

    private func takeForwarded(_ state: inout State, connectionId: String) -> [ForwardedResult] {
        let ids = state.forwarded.filter { $0.value.connectionId == connectionId }.map(\.key)
        return ids.compactMap { state.forwarded.removeValue(forKey: $0) }
    }

    /// Tells the requesting node that the connection left before answering.
    func returnDisconnected(_ forwarded: ForwardedResult) {
        returnCompletion(
            CompletionMessage(invocationId: forwarded.invocationId, outcome: .error("Connection disconnected.")),
            for: forwarded)
    }

    /// Publishes a local client's Completion, in its protocol, to the node that asked for it.
    private func returnCompletion(_ completion: CompletionMessage, for forwarded: ForwardedResult) {
        let bytes: ByteBuffer
        do {
            bytes = try forwarded.hubProtocol.serialize(.completion(completion))
        } catch {
            logger.error("A client result could not be serialized", metadata: ["error": "\(error)"])
            return
        }
        let payload = BackplaneClientResult(protocolName: forwarded.hubProtocol.name, completion: bytes).payload
        let publisher = self.publisher
        let metrics = self.metrics
        let logger = self.logger
        Task {
            do {
                _ = try await publisher.publish(.string(forwarded.returnChannel), .buffer(payload))
            } catch {
                metrics.publishFailures.increment()
                logger.warning("A client result could not be returned", metadata: ["error": "\(error)"])
            }
        }
    }

    /// A fresh GUID's 16 bytes in standard base64 without the `==` padding (22 characters), as
    /// ASP.NET Core's Redis manager makes client-result ids.
    static func makeInvocationId() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for _ in 0..<2 {
            withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(22)
        var index = 0
        while index + 3 <= 15 {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int(n >> UInt32(shift) & 63)]) }
            index += 3
        }
        let last = UInt32(bytes[15]) << 16
        out.append(alphabet[Int(last >> 18 & 63)])
        out.append(alphabet[Int(last >> 12 & 63)])
        return String(decoding: out, as: UTF8.self)
    }
}

/// Counters of one hub's backplane.
struct BackplaneMetrics: Sendable {
    let publishFailures: Counter
    let invalidMessages: Counter
    let received: Counter

    init(hub: String, factory: any MetricsFactory) {
        publishFailures = Counter(
            label: "switchboard_backplane_publish_failures", dimensions: [("hub", hub)], factory: factory)
        invalidMessages = Counter(
            label: "switchboard_backplane_invalid_messages", dimensions: [("hub", hub)], factory: factory)
        received = Counter(
            label: "switchboard_backplane_messages_received", dimensions: [("hub", hub)], factory: factory)
    }
}
