import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import RESP
import ServiceLifecycle

/// Keeps one connection up: connects, and after a loss reconnects with backoff and jitter,
/// running the owner's `prepare` step (resubscribing, say) before reporting `connected`.
///
/// All state lives on `eventLoop`; the public state and the live connection are mirrored in a lock
/// for synchronous reads from any thread (commands go straight to the live connection).
/// Shared by ``RedisClient`` and ``RedisSubscriber``.
final class RedisConnectionManager: Sendable {
    let eventLoop: EventLoop
    let configuration: RedisClientConfiguration
    let logger: Logger
    let isSubscriber: Bool
    private let machine: NIOLoopBoundBox<Machine>
    private let published = NIOLockedValueBox(Published())
    private let observers = NIOLockedValueBox([Int: AsyncStream<RedisClientState>.Continuation]())
    private let reconnects: Counter

    /// What happens on the event loop after each connect, before the state says `connected`;
    /// throwing drops that connection and schedules another attempt.
    typealias Prepare = @Sendable (RedisConnection) -> EventLoopFuture<Void>

    struct Published {
        var state = RedisClientState.idle
        var connection: RedisConnection?
    }

    final class Machine {
        var state = RedisClientState.idle
        var connection: RedisConnection?
        var attempt = 0
        var retry: Scheduled<Void>?
        var waiters: [EventLoopPromise<RedisConnection>] = []
        var firstFailureReported = false
        var generator = SystemRandomNumberGenerator()
        var prepare: Prepare = { $0.eventLoop.makeSucceededVoidFuture() }
        var onConnected: (RedisConnection) -> Void = { _ in }
        var onPush: @Sendable (RESPValue) -> Void = { _ in }
        var onMessage: @Sendable (PubSubMessage) -> Void = { _ in }
        var nextObserver = 0
    }

    init(
        configuration: RedisClientConfiguration, eventLoop: EventLoop, isSubscriber: Bool, logger: Logger,
        metricsLabel: String
    ) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.isSubscriber = isSubscriber
        self.logger = logger
        self.machine = NIOLoopBoundBox.makeBoxSendingValue(Machine(), eventLoop: eventLoop)
        self.reconnects = Counter(label: "\(metricsLabel)_reconnects_total")
    }

    /// The current state.
    var state: RedisClientState { published.withLockedValue { $0.state } }

    /// The live connection, read from any thread: `nil` while not connected.
    var liveConnection: RedisConnection? { published.withLockedValue { $0.connection } }

    /// The live connection, on the event loop.
    var connection: RedisConnection? {
        eventLoop.preconditionInEventLoop()
        return machine.value.connection
    }

    /// Sets the hooks; call before `start` (on any thread: it hops).
    func configure(
        prepare: @escaping Prepare, onConnected: @escaping @Sendable (RedisConnection) -> Void,
        onPush: @escaping @Sendable (RESPValue) -> Void,
        onMessage: @escaping @Sendable (PubSubMessage) -> Void
    ) {
        eventLoop.execute {
            self.machine.value.prepare = prepare
            self.machine.value.onConnected = onConnected
            self.machine.value.onPush = onPush
            self.machine.value.onMessage = onMessage
        }
    }

    /// A stream of every state from now on (the current one first); ends when the manager closes.
    func stateChanges() -> AsyncStream<RedisClientState> {
        let (stream, continuation) = AsyncStream.makeStream(of: RedisClientState.self)
        let id = observers.withLockedValue { observers -> Int in
            let id = (observers.keys.max() ?? 0) + 1
            observers[id] = continuation
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.observers.withLockedValue { $0.removeValue(forKey: id) }
        }
        let current = state
        continuation.yield(current)
        if current == .closed { continuation.finish() }
        return stream
    }

    /// Starts connecting (once); the future completes with the first connection, or fails with
    /// the first attempt's error while retries go on in the background.
    func start() -> EventLoopFuture<RedisConnection> {
        eventLoop.flatSubmit {
            let m = self.machine.value
            switch m.state {
            case .connected:
                return self.eventLoop.makeSucceededFuture(m.connection!)
            case .closed:
                return self.eventLoop.makeFailedFuture(RedisClientError(.clientClosed, "the client is closed"))
            case .idle:
                let promise = self.eventLoop.makePromise(of: RedisConnection.self)
                m.waiters.append(promise)
                self.setState(.connecting)
                self.attemptConnect()
                return promise.futureResult
            case .connecting, .reconnecting:
                let promise = self.eventLoop.makePromise(of: RedisConnection.self)
                m.waiters.append(promise)
                return promise.futureResult
            }
        }
    }

    /// Starts, then waits until closed, closing on graceful shutdown or cancellation (the body of
    /// the owners' `Service.run()`).
    func run() async {
        _ = start()
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                for await state in stateChanges() where state == .closed { break }
            } onCancel: {
                _ = self.close()
            }
        } onGracefulShutdown: {
            _ = self.close()
        }
        // Cancellation ends the wait above at once; return only once closed.
        try? await close().get()
    }

    /// Closes for good: no more reconnects; the connection closes.
    func close() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            let m = self.machine.value
            m.retry?.cancel()
            m.retry = nil
            let connection = m.connection
            m.connection = nil
            self.setState(.closed)
            let error = RedisClientError(.clientClosed, "the client is closed")
            for waiter in m.waiters { waiter.fail(error) }
            m.waiters = []
            self.finishObservers()
            guard let connection else { return self.eventLoop.makeSucceededVoidFuture() }
            return connection.channel.close().recover { _ in }
        }
    }

    /// Ends every state stream. Outside the lock: finishing runs the stream's termination
    /// handler, which takes the lock to remove its observer.
    private func finishObservers() {
        let continuations = observers.withLockedValue { observers in
            defer { observers = [:] }
            return Array(observers.values)
        }
        for continuation in continuations { continuation.finish() }
    }

    private func setState(_ state: RedisClientState) {
        machine.value.state = state
        let connection = state == .connected ? machine.value.connection : nil
        published.withLockedValue { $0 = Published(state: state, connection: connection) }
        let continuations = observers.withLockedValue { Array($0.values) }
        for continuation in continuations { continuation.yield(state) }
    }

    private func attemptConnect() {
        let m = machine.value
        let onPush = m.onPush
        let onMessage = m.onMessage
        let prepare = m.prepare
        let promise = eventLoop.makePromise(of: RedisConnection.self)
        promise.completeWithTask { [configuration, eventLoop, isSubscriber, logger] in
            let connection = try await RedisConnection.connect(
                configuration: configuration, eventLoop: eventLoop, isSubscriber: isSubscriber, logger: logger,
                onPush: onPush, onMessage: onMessage)
            do {
                try await prepare(connection).get()
            } catch {
                await connection.close()
                throw error
            }
            return connection
        }
        promise.futureResult.hop(to: eventLoop).whenComplete { result in
            self.attemptFinished(result)
        }
    }

    private func attemptFinished(_ result: Result<RedisConnection, Error>) {
        let m = machine.value
        if m.state == .closed {
            if case .success(let connection) = result { connection.channel.close(promise: nil) }
            return
        }
        switch result {
        case .success(let connection):
            if m.attempt > 0 { logger.notice("reconnected", metadata: ["url": "\(configuration.url)"]) }
            m.connection = connection
            m.attempt = 0
            setState(.connected)
            m.onConnected(connection)
            for waiter in m.waiters { waiter.succeed(connection) }
            m.waiters = []
            connection.closeFuture.whenComplete { _ in self.lost(connection) }
        case .failure(let error):
            logger.warning(
                "could not connect", metadata: ["url": "\(configuration.url)", "error": "\(error)"])
            if !m.firstFailureReported {
                m.firstFailureReported = true
                for waiter in m.waiters { waiter.fail(error) }
                m.waiters = []
            }
            scheduleRetry(after: error)
        }
    }

    private func lost(_ connection: RedisConnection) {
        let m = machine.value
        guard m.connection === connection, m.state != .closed else { return }
        m.connection = nil
        logger.warning("connection lost", metadata: ["url": "\(configuration.url)"])
        scheduleRetry(after: RedisClientError(.connectionClosed, "the connection closed"))
    }

    private func scheduleRetry(after error: Error) {
        let m = machine.value
        guard configuration.reconnect.enabled else {
            setState(.closed)
            for waiter in m.waiters { waiter.fail(error) }
            m.waiters = []
            finishObservers()
            return
        }
        m.attempt += 1
        reconnects.increment()
        setState(.reconnecting(attempt: m.attempt))
        let delay = configuration.reconnect.delay(attempt: m.attempt, using: &m.generator)
        m.retry = eventLoop.scheduleTask(in: delay) {
            self.machine.value.retry = nil
            self.attemptConnect()
        }
    }
}
