import Logging
import Metrics
import NIOCore
import NIOPosix
import RESP
import ServiceLifecycle
import Synchronization

/// A pub/sub connection built for fan-out: channels, patterns and shard channels, each
/// subscribed once on the server however many local handlers share it, with messages handed to
/// the handlers on the connection's event loop — no task and no buffer per subscription.
///
/// ``subscribe(_:_:handler:)`` returns once the server has confirmed every name. After a lost
/// connection the subscriber reconnects (backoff and jitter, handshake again) and subscribes
/// every channel, pattern and shard channel again in batched commands; it reports `connected`
/// only when the server has confirmed them all. ``messages(_:_:)`` and
/// ``withSubscription(_:_:_:)`` give the same messages as an `AsyncSequence`.
public final class RedisSubscriber: Sendable, Service {
    /// What a subscription listens to.
    public enum Kind: Sendable, Hashable, CaseIterable {
        /// Channels (`SUBSCRIBE`).
        case channel
        /// Glob patterns over channel names (`PSUBSCRIBE`).
        case pattern
        /// Shard channels (`SSUBSCRIBE`).
        case shardChannel

        var subscribe: String {
            switch self {
            case .channel: "SUBSCRIBE"
            case .pattern: "PSUBSCRIBE"
            case .shardChannel: "SSUBSCRIBE"
            }
        }

        var unsubscribe: String {
            switch self {
            case .channel: "UNSUBSCRIBE"
            case .pattern: "PUNSUBSCRIBE"
            case .shardChannel: "SUNSUBSCRIBE"
            }
        }
    }

    /// Called on the event loop with the channel a message was published to and its payload.
    public typealias Handler = @Sendable (_ channel: ByteBuffer, _ payload: ByteBuffer) -> Void

    /// How many names one resubscribing command carries.
    static let batchSize = 1000

    /// The event loop handlers run on.
    public let eventLoop: EventLoop
    /// The configuration it was made with.
    public let configuration: RedisClientConfiguration
    let manager: RedisConnectionManager
    private let registry: NIOLoopBoundBox<Registry>
    private let logger: Logger
    private let received: Counter
    private let nextID = Atomic<Int>(1)

    final class Registry {
        struct Entry {
            var handlers: [Int: Handler] = [:]
            /// Sent on the current connection and not yet confirmed, or confirmed.
            var sent = false
            var confirmed = false
            /// Part of the resubscription after a connect, not yet confirmed.
            var awaitedByResubscription = false
            var waiters: [EventLoopPromise<Void>] = []
        }
        var entries: [Kind: [ByteBuffer: Entry]] = [.channel: [:], .pattern: [:], .shardChannel: [:]]
        /// Completed when every entry of the resubscription after a connect is confirmed.
        var allConfirmed: [EventLoopPromise<Void>] = []
        /// How many entries the resubscription still waits for.
        var awaitedCount = 0
        /// Callers of `unsubscribe` waiting for the server's confirmation, per name.
        var unsubscribing: [Kind: [ByteBuffer: [EventLoopPromise<Void>]]] = [
            .channel: [:], .pattern: [:], .shardChannel: [:],
        ]

        /// Hands a message to the handlers of its channel, shard channel or pattern.
        func deliver(_ message: PubSubMessage) {
            let entry: Entry?
            switch message.kind {
            case .message: entry = entries[.channel]![message.channel]
            case .smessage: entry = entries[.shardChannel]![message.channel]
            case .pmessage: entry = message.pattern.flatMap { entries[.pattern]![$0] }
            }
            guard let entry else { return }
            for handler in entry.handlers.values { handler(message.channel, message.payload) }
        }

        /// Releases every `unsubscribe` waiter (the connection they wait on is gone).
        func releaseUnsubscribing() {
            for kind in Kind.allCases {
                for promises in unsubscribing[kind]!.values { for p in promises { p.succeed(()) } }
                unsubscribing[kind] = [:]
            }
        }

        /// An entry of the resubscription was confirmed or removed.
        func resubscriptionProgressed() {
            awaitedCount -= 1
            guard awaitedCount == 0 else { return }
            let promises = allConfirmed
            allConfirmed = []
            for promise in promises { promise.succeed(()) }
        }
    }

    /// Makes a subscriber; nothing connects until ``connect()``, ``run()`` or the first subscription.
    public init(
        configuration: RedisClientConfiguration, eventLoopGroup: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "redis.subscriber")
    ) {
        let eventLoop = eventLoopGroup.next()
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.logger = logger
        self.manager = RedisConnectionManager(
            configuration: configuration, eventLoop: eventLoop, isSubscriber: true, logger: logger,
            metricsLabel: "redis_subscriber")
        self.registry = NIOLoopBoundBox.makeBoxSendingValue(Registry(), eventLoop: eventLoop)
        self.received = Counter(label: "redis_subscriber_messages_total")
        manager.configure(
            prepare: { [weak self] connection in
                guard let self else { return connection.eventLoop.makeSucceededVoidFuture() }
                return self.resubscribe(on: connection)
            },
            onConnected: { [weak self] connection in self?.sendUnsent(on: connection) },
            onPush: { [weak self] value in self?.handlePush(value) },
            onMessage: { [registry, received] message in
                received.increment()
                registry.value.deliver(message)
            })
    }

    /// Connects; returns once connected, or throws the first attempt's error (attempts go on).
    public func connect() async throws {
        _ = try await manager.start().get()
    }

    /// Runs as a service until graceful shutdown or cancellation.
    public func run() async throws {
        await manager.run()
        await close()
    }

    /// Closes the connection for good; waiting subscriptions fail with `clientClosed`.
    public func close() async {
        try? await manager.close().get()
        try? await eventLoop.submit {
            let error = RedisClientError(.clientClosed, "the subscriber is closed")
            let registry = self.registry.value
            for kind in Kind.allCases {
                for (name, var entry) in registry.entries[kind]! {
                    for waiter in entry.waiters { waiter.fail(error) }
                    entry.waiters = []
                    registry.entries[kind]![name] = entry
                }
            }
            for promise in registry.allConfirmed { promise.fail(error) }
            registry.allConfirmed = []
            registry.releaseUnsubscribing()
        }.get()
    }

    /// The connection's state now.
    public var state: RedisClientState { manager.state }

    /// Every state from now on, the current one first.
    public func stateChanges() -> AsyncStream<RedisClientState> { manager.stateChanges() }

    /// Subscribes `handler` to `names` and returns once the server has confirmed every one. A name
    /// other handlers already listen to costs no command. While disconnected the subscription
    /// fails with `notConnected` (fail fast) or waits for the connection (queue behaviour, up to
    /// the queue timeout); with reconnection on it lives across reconnects.
    public func subscribe(
        _ kind: Kind = .channel, _ names: [String], handler: @escaping Handler
    ) async throws
        -> RedisSubscription
    {
        try await subscribe(kind, names.map { ByteBuffer(string: $0) }, handler: handler)
    }

    /// Subscribes `handler` to `names` given as bytes.
    public func subscribe(
        _ kind: Kind = .channel, _ names: [ByteBuffer], handler: @escaping Handler
    ) async throws
        -> RedisSubscription
    {
        precondition(!names.isEmpty, "subscribe needs at least one name")
        // The first subscription of a subscriber nobody connected yet connects it.
        if manager.state == .idle { _ = try await manager.start().get() }
        let (subscription, confirmed) = try await eventLoop.submit {
            try self.registerOnLoop(kind, names, handler: handler)
        }.get()
        do {
            try await confirmed.get()
        } catch {
            await unsubscribe(subscription)
            throw error
        }
        return subscription
    }

    /// Removes a subscription's handler; names no other handler listens to are unsubscribed on
    /// the server, and this returns once the server has confirmed that (or the connection is gone,
    /// or the command timeout passed).
    public func unsubscribe(_ subscription: RedisSubscription) async {
        try? await eventLoop.flatSubmit { self.deregisterOnLoop(subscription) }.get()
    }

    /// The messages of `names` as an async sequence; ending the iteration (or dropping the
    /// sequence) unsubscribes. Messages wait in the sequence until read.
    public func messages(_ kind: Kind = .channel, _ names: [String]) async throws -> RedisMessageSequence {
        let (stream, continuation) = AsyncStream.makeStream(of: RedisMessage.self)
        let isPattern = kind == .pattern
        let subscription = try await subscribe(kind, names.map { ByteBuffer(string: $0) }) { channel, payload in
            continuation.yield(RedisMessage(channel: channel, payload: payload, isFromPattern: isPattern))
        }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            self.eventLoop.execute { self.deregisterOnLoop(subscription) }
        }
        return RedisMessageSequence(stream: stream, subscription: subscription)
    }

    /// Runs `body` with the messages of `names`, unsubscribing when it returns or throws.
    public func withSubscription<T: Sendable>(
        _ kind: Kind = .channel, _ names: [String], _ body: (RedisMessageSequence) async throws -> T
    ) async throws -> T {
        let messages = try await messages(kind, names)
        do {
            let result = try await body(messages)
            await unsubscribe(messages.subscription)
            return result
        } catch {
            await unsubscribe(messages.subscription)
            throw error
        }
    }

    /// Subscribes `handler` to `names` in call order, without waiting and without failing for a
    /// missing connection: for interest that must outlive outages (a backplane's channels).
    ///
    /// The registration is queued on the event loop at once, so a ``register(_:_:handler:)`` and a
    /// ``deregister(_:)`` of the same name called one after the other (from one thread, or under
    /// one lock) reach the server in that order. The future succeeds when the server has confirmed
    /// every name; at once while disconnected; or when the connection is lost before confirming.
    /// In the last two cases the subscription is kept and made on the next connection. It fails
    /// only when the subscriber is closed.
    public func register(
        _ kind: Kind = .channel, _ names: [ByteBuffer], handler: @escaping Handler
    ) -> (RedisSubscription, EventLoopFuture<Void>) {
        precondition(!names.isEmpty, "register needs at least one name")
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        let subscription = RedisSubscription(id: id, kind: kind, names: names)
        let confirmed = eventLoop.submit {
            self.registerKeepingInterest(subscription, handler: handler)
        }.flatMap { $0 }
        return (subscription, confirmed)
    }

    /// Removes a subscription in call order (see ``register(_:_:handler:)``); the future succeeds
    /// once the server has confirmed the unsubscribe, or the connection is gone, or the command
    /// timeout passed.
    @discardableResult
    public func deregister(_ subscription: RedisSubscription) -> EventLoopFuture<Void> {
        eventLoop.flatSubmit { self.deregisterOnLoop(subscription) }
    }

    /// How many names the server is asked to keep subscribed, per kind (for health endpoints).
    public func subscribedNameCount() async -> [Kind: Int] {
        (try? await eventLoop.submit {
            self.registry.value.entries.mapValues { $0.count }
        }.get()) ?? [:]
    }

    // MARK: - On the event loop

    private func registerOnLoop(
        _ kind: Kind, _ names: [ByteBuffer], handler: @escaping Handler
    ) throws
        -> (RedisSubscription, EventLoopFuture<Void>)
    {
        let registry = self.registry.value
        let connection = manager.connection
        if connection == nil {
            switch (manager.state, configuration.disconnectedBehavior) {
            case (.closed, _):
                throw RedisClientError(.clientClosed, "the subscriber is closed")
            case (_, .failFast):
                throw RedisClientError(.notConnected, "not connected to \(configuration.url) (\(manager.state))")
            case (_, .queue):
                break
            }
        }
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        var waits: [EventLoopFuture<Void>] = []
        var toSend: [ByteBuffer] = []
        for name in Set(names) {
            var entry = registry.entries[kind]![name] ?? Registry.Entry()
            entry.handlers[id] = handler
            // While disconnected a confirmation from the last connection counts for nothing.
            if !entry.confirmed || connection == nil {
                let promise = eventLoop.makePromise(of: Void.self)
                entry.waiters.append(promise)
                waits.append(promise.futureResult)
                if connection != nil && !entry.sent {
                    entry.sent = true
                    toSend.append(name)
                }
            }
            registry.entries[kind]![name] = entry
        }
        if let connection, !toSend.isEmpty { send(kind.subscribe, toSend, on: connection) }
        var confirmed = EventLoopFuture.andAllSucceed(waits, on: eventLoop)
        if connection == nil, case .queue(_, let timeout) = configuration.disconnectedBehavior {
            let promise = eventLoop.makePromise(of: Void.self)
            let timer = eventLoop.scheduleTask(in: timeout) {
                promise.fail(RedisClientError(.queueTimeout, "no connection to \(self.configuration.url) in time"))
            }
            confirmed.whenComplete { result in
                timer.cancel()
                promise.completeWith(result)
            }
            confirmed = promise.futureResult
        }
        return (RedisSubscription(id: id, kind: kind, names: names), confirmed)
    }

    private func registerKeepingInterest(
        _ subscription: RedisSubscription, handler: @escaping Handler
    ) -> EventLoopFuture<Void> {
        guard manager.state != .closed else {
            return eventLoop.makeFailedFuture(RedisClientError(.clientClosed, "the subscriber is closed"))
        }
        let registry = self.registry.value
        let connection = manager.connection
        var waits: [EventLoopFuture<Void>] = []
        var toSend: [ByteBuffer] = []
        for name in Set(subscription.names) {
            var entry = registry.entries[subscription.kind]![name] ?? Registry.Entry()
            entry.handlers[subscription.id] = handler
            if connection != nil && !entry.confirmed {
                let promise = eventLoop.makePromise(of: Void.self)
                entry.waiters.append(promise)
                waits.append(promise.futureResult)
                if !entry.sent {
                    entry.sent = true
                    toSend.append(name)
                }
            }
            registry.entries[subscription.kind]![name] = entry
        }
        guard let connection else { return eventLoop.makeSucceededVoidFuture() }
        if !toSend.isEmpty { send(subscription.kind.subscribe, toSend, on: connection) }
        guard !waits.isEmpty else { return eventLoop.makeSucceededVoidFuture() }
        // Done at the confirmations, or when this connection goes (the next one subscribes again).
        let done = eventLoop.makePromise(of: Void.self)
        EventLoopFuture.andAllComplete(waits, on: eventLoop).whenComplete { _ in done.succeed(()) }
        connection.closeFuture.whenComplete { _ in done.succeed(()) }
        return done.futureResult
    }

    @discardableResult
    private func deregisterOnLoop(_ subscription: RedisSubscription) -> EventLoopFuture<Void> {
        let registry = self.registry.value
        var toSend: [ByteBuffer] = []
        for name in Set(subscription.names) {
            guard var entry = registry.entries[subscription.kind]![name],
                entry.handlers.removeValue(forKey: subscription.id) != nil
            else { continue }
            if entry.handlers.isEmpty {
                for waiter in entry.waiters { waiter.succeed(()) }
                registry.entries[subscription.kind]![name] = nil
                if entry.awaitedByResubscription { registry.resubscriptionProgressed() }
                if entry.sent { toSend.append(name) }
            } else {
                registry.entries[subscription.kind]![name] = entry
            }
        }
        guard let connection = manager.connection, !toSend.isEmpty else { return eventLoop.makeSucceededVoidFuture() }
        send(subscription.kind.unsubscribe, toSend, on: connection)
        let confirmations = toSend.map { name -> EventLoopFuture<Void> in
            let promise = eventLoop.makePromise(of: Void.self)
            registry.unsubscribing[subscription.kind]![name, default: []].append(promise)
            return promise.futureResult
        }
        // Done at the confirmations, or when the connection goes (and the server's subscriptions
        // with it), or after the command timeout.
        let done = eventLoop.makePromise(of: Void.self)
        let timer = configuration.commandTimeout.map { timeout in
            eventLoop.scheduleTask(in: timeout) { done.succeed(()) }
        }
        done.futureResult.whenComplete { _ in timer?.cancel() }
        EventLoopFuture.andAllComplete(confirmations, on: eventLoop).whenComplete { _ in done.succeed(()) }
        connection.closeFuture.whenComplete { _ in done.succeed(()) }
        return done.futureResult
    }

    /// Writes `command` with `names`, at most `batchSize` names a command.
    private func send(_ command: String, _ names: [ByteBuffer], on connection: RedisConnection) {
        var start = 0
        while start < names.count {
            let end = min(start + Self.batchSize, names.count)
            var buffer = ByteBuffer()
            buffer.writeRESPArrayHeader(end - start + 1)
            buffer.writeRESPBulkString(command)
            for name in names[start..<end] { buffer.writeRESPBulkString(buffer: name) }
            connection.sendUnmatched(buffer)
            start = end
        }
    }

    /// After a connect, before `connected`: subscribes everything again and waits for the
    /// server to confirm it all.
    private func resubscribe(on connection: RedisConnection) -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            let registry = self.registry.value
            registry.releaseUnsubscribing()
            var total = 0
            for kind in Kind.allCases {
                var names: [ByteBuffer] = []
                for (name, var entry) in registry.entries[kind]! {
                    entry.sent = true
                    entry.confirmed = false
                    entry.awaitedByResubscription = true
                    registry.entries[kind]![name] = entry
                    names.append(name)
                }
                total += names.count
                self.send(kind.subscribe, names, on: connection)
            }
            registry.awaitedCount = total
            if total == 0 { return self.eventLoop.makeSucceededVoidFuture() }
            self.logger.info("resubscribing", metadata: ["names": "\(total)"])
            let promise = self.eventLoop.makePromise(of: Void.self)
            registry.allConfirmed.append(promise)
            let timer = self.eventLoop.scheduleTask(in: self.configuration.connectTimeout) {
                promise.fail(RedisClientError(.connectTimeout, "the server did not confirm the resubscription in time"))
            }
            promise.futureResult.whenComplete { _ in timer.cancel() }
            connection.closeFuture.whenComplete { _ in
                promise.fail(RedisClientError(.connectionClosed, "the connection closed while resubscribing"))
            }
            return promise.futureResult
        }
    }

    /// Once connected: subscribes what was registered while the resubscription ran.
    private func sendUnsent(on connection: RedisConnection) {
        let registry = self.registry.value
        for kind in Kind.allCases {
            var names: [ByteBuffer] = []
            for (name, var entry) in registry.entries[kind]! where !entry.sent {
                entry.sent = true
                registry.entries[kind]![name] = entry
                names.append(name)
            }
            if !names.isEmpty { send(kind.subscribe, names, on: connection) }
        }
    }

    private func handlePush(_ value: RESPValue) {
        let items: [RESPValue]
        switch value {
        case .push(let i), .array(let i): items = i
        default: return
        }
        guard items.count >= 3, case .bulkString(let word) = items[0],
            let kind = RedisChannelHandler.pubSubKind(word)
        else { return }
        let registry = self.registry.value
        switch kind {
        case .message, .smessage:
            // Messages normally take the connection's fast path straight to `Registry.deliver`.
            guard case .bulkString(let channel) = items[1], case .bulkString(let payload) = items[2] else { return }
            received.increment()
            registry.deliver(
                PubSubMessage(kind: kind == .message ? .message : .smessage, channel: channel, payload: payload))
        case .pmessage:
            guard items.count >= 4, case .bulkString(let pattern) = items[1], case .bulkString(let channel) = items[2],
                case .bulkString(let payload) = items[3]
            else { return }
            received.increment()
            registry.deliver(PubSubMessage(kind: .pmessage, pattern: pattern, channel: channel, payload: payload))
        case .subscribe, .psubscribe, .ssubscribe:
            guard case .bulkString(let name) = items[1] else { return }
            let target: Kind = kind == .subscribe ? .channel : kind == .psubscribe ? .pattern : .shardChannel
            guard var entry = registry.entries[target]![name] else { return }
            entry.confirmed = true
            let waiters = entry.waiters
            entry.waiters = []
            let progressed = entry.awaitedByResubscription
            entry.awaitedByResubscription = false
            registry.entries[target]![name] = entry
            for waiter in waiters { waiter.succeed(()) }
            if progressed { registry.resubscriptionProgressed() }
        case .unsubscribe, .punsubscribe, .sunsubscribe:
            guard case .bulkString(let name) = items[1] else { return }
            let target: Kind = kind == .unsubscribe ? .channel : kind == .punsubscribe ? .pattern : .shardChannel
            guard var waiters = registry.unsubscribing[target]![name], !waiters.isEmpty else { return }
            let first = waiters.removeFirst()
            registry.unsubscribing[target]![name] = waiters.isEmpty ? nil : waiters
            first.succeed(())
        }
    }
}

/// A subscription made with ``RedisSubscriber/subscribe(_:_:handler:)``; pass it to
/// ``RedisSubscriber/unsubscribe(_:)`` to end it.
public struct RedisSubscription: Sendable, Hashable {
    let id: Int
    /// What it listens to.
    public let kind: RedisSubscriber.Kind
    /// The channels or patterns.
    public let names: [ByteBuffer]
}

/// A published message.
public struct RedisMessage: Sendable, Hashable {
    /// The channel it was published to.
    public var channel: ByteBuffer
    /// Its payload.
    public var payload: ByteBuffer
    /// Whether it arrived through a pattern subscription.
    public var isFromPattern: Bool
}

/// The messages of a subscription as an `AsyncSequence`; ending the iteration unsubscribes.
public struct RedisMessageSequence: AsyncSequence, Sendable {
    public typealias Element = RedisMessage
    let stream: AsyncStream<RedisMessage>
    /// The subscription behind the sequence.
    public let subscription: RedisSubscription

    public func makeAsyncIterator() -> AsyncStream<RedisMessage>.Iterator { stream.makeAsyncIterator() }
}
