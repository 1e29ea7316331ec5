import Logging
import Metrics
import NIOCore
import NIOPosix
import RESP
import ServiceLifecycle

/// A Redis client that keeps its connection up: commands from any task, pipelined automatically
/// on one connection, with reconnection (backoff and jitter; the handshake re-authenticates,
/// re-selects the database and renames the client) and a choice of failing fast or queueing
/// while disconnected.
///
/// Start it with ``connect()`` or run it as a ServiceLifecycle `Service`; ``close()`` ends it.
public final class RedisClient: Sendable, Service {
    /// The event loop its connection lives on.
    public let eventLoop: EventLoop
    /// The configuration it was made with.
    public let configuration: RedisClientConfiguration
    /// Runs tasks on the client's event loop (see ``EventLoopTaskExecutor``): a task that prefers
    /// it sends and gets its replies with no thread hop.
    public let taskExecutor: EventLoopTaskExecutor
    let manager: RedisConnectionManager
    private let waiting: NIOLoopBoundBox<WaitQueue>
    private let commands: Counter
    private let errors: Counter
    private let queueDepth: Gauge

    /// Commands waiting for a connection (`DisconnectedBehavior.queue`).
    final class WaitQueue {
        struct Entry {
            var command: RedisCommand
            var promise: EventLoopPromise<RESPValue>
            var deadline: NIODeadline
        }
        var entries = CircularBuffer<Entry>()
        var timer: Scheduled<Void>?
    }

    /// Makes a client; nothing connects until ``connect()`` or ``run()``.
    ///
    /// With RESP3, `onPush` gets the server's pushes on this connection (`CLIENT TRACKING`
    /// invalidations, say) on the event loop. Subscribe with ``RedisSubscriber``, not here: a
    /// subscription's confirmations are pushes, not replies.
    public init(
        configuration: RedisClientConfiguration, eventLoopGroup: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "redis"), onPush: @escaping @Sendable (RESPValue) -> Void = { _ in }
    ) {
        let eventLoop = eventLoopGroup.next()
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.taskExecutor = EventLoopTaskExecutor(eventLoop)
        self.manager = RedisConnectionManager(
            configuration: configuration, eventLoop: eventLoop, isSubscriber: false, logger: logger,
            metricsLabel: "redis_client")
        self.waiting = NIOLoopBoundBox.makeBoxSendingValue(WaitQueue(), eventLoop: eventLoop)
        self.commands = Counter(label: "redis_client_commands_total")
        self.errors = Counter(label: "redis_client_errors_total")
        self.queueDepth = Gauge(label: "redis_client_queue_depth")
        manager.configure(
            prepare: { $0.eventLoop.makeSucceededVoidFuture() },
            onConnected: { [weak self] connection in self?.drainQueue(into: connection) },
            onPush: onPush,
            onMessage: { _ in })
    }

    /// Connects; returns once connected, or throws the first attempt's error (with reconnection on,
    /// attempts go on in the background and queued commands wait for them).
    public func connect() async throws {
        _ = try await manager.start().get()
    }

    /// Runs as a service: connects (retrying in the background if the first attempt fails) and
    /// closes on graceful shutdown or cancellation.
    public func run() async throws {
        await manager.run()
        await close()
    }

    /// Closes the connection for good; queued commands fail with `clientClosed`.
    public func close() async {
        try? await manager.close().get()
        try? await eventLoop.submit { self.failQueue(RedisClientError(.clientClosed, "the client is closed")) }.get()
    }

    /// How many commands wait for a connection now (`DisconnectedBehavior.queue`).
    public func queuedCommandCount() async -> Int {
        (try? await eventLoop.submit { self.waiting.value.entries.count }.get()) ?? 0
    }

    /// The connection's state now.
    public var state: RedisClientState { manager.state }

    /// Every state from now on, the current one first; the stream ends when the client closes.
    public func stateChanges() -> AsyncStream<RedisClientState> { manager.stateChanges() }

    /// Sends `command` and returns its reply; an error reply throws `serverError` with the server's
    /// text. While disconnected: `notConnected` at once, or a wait in the queue (see
    /// ``RedisClientConfiguration/DisconnectedBehavior``).
    @discardableResult
    public func send(_ command: RedisCommand) async throws -> RESPValue {
        commands.increment()
        do {
            // Connected: straight into the connection's outbox, resumed from its handler.
            if let connection = manager.liveConnection {
                return try RedisConnection.checked(try await connection.sendReturningErrors(command))
            }
            return try RedisConnection.checked(try await submit(command).get())
        } catch {
            errors.increment()
            throw error
        }
    }

    /// Sends `name` with `arguments`.
    @discardableResult
    public func send(_ name: String, _ arguments: RedisArgument...) async throws -> RESPValue {
        try await send(RedisCommand(name, arguments))
    }

    /// Sends `commands` together and returns each reply or server error, in order.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [Result<RESPValue, RedisClientError>] {
        self.commands.increment(by: commands.count)
        if let connection = manager.liveConnection {
            do {
                return try await connection.pipeline(commands)
            } catch {
                errors.increment()
                throw error
            }
        }
        let futures = commands.map { submit($0) }
        var results: [Result<RESPValue, RedisClientError>] = []
        results.reserveCapacity(commands.count)
        for future in futures {
            do {
                results.append(.success(try RedisConnection.checked(try await future.get())))
            } catch let error as RedisClientError where error.code == .serverError {
                results.append(.failure(error))
            } catch {
                errors.increment()
                throw error
            }
        }
        return results
    }

    private func submit(_ command: RedisCommand) -> EventLoopFuture<RESPValue> {
        if eventLoop.inEventLoop { return submitOnLoop(command) }
        return eventLoop.flatSubmit { self.submitOnLoop(command) }
    }

    private func submitOnLoop(_ command: RedisCommand) -> EventLoopFuture<RESPValue> {
        if let connection = manager.connection {
            return connection.sendReturningErrors(command)
        }
        if manager.state == .closed {
            return eventLoop.makeFailedFuture(RedisClientError(.clientClosed, "the client is closed"))
        }
        switch configuration.disconnectedBehavior {
        case .failFast:
            return eventLoop.makeFailedFuture(
                RedisClientError(.notConnected, "not connected to \(configuration.url) (\(manager.state))"))
        case .queue(let limit, let timeout):
            let queue = waiting.value
            guard queue.entries.count < limit else {
                return eventLoop.makeFailedFuture(
                    RedisClientError(.queueFull, "not connected and \(limit) commands are already waiting"))
            }
            let promise = eventLoop.makePromise(of: RESPValue.self)
            queue.entries.append(.init(command: command, promise: promise, deadline: .now() + timeout))
            queueDepth.record(queue.entries.count)
            if queue.timer == nil { armQueueTimer() }
            return promise.futureResult
        }
    }

    private func armQueueTimer() {
        let queue = waiting.value
        guard let first = queue.entries.first else { return }
        queue.timer = eventLoop.scheduleTask(deadline: first.deadline) {
            let queue = self.waiting.value
            queue.timer = nil
            let now = NIODeadline.now()
            while let first = queue.entries.first, first.deadline <= now {
                queue.entries.removeFirst()
                first.promise.fail(
                    RedisClientError(
                        .queueTimeout, "no connection to \(self.configuration.url) within the queue timeout"))
            }
            self.queueDepth.record(queue.entries.count)
            self.armQueueTimer()
        }
    }

    private func drainQueue(into connection: RedisConnection) {
        let queue = waiting.value
        queue.timer?.cancel()
        queue.timer = nil
        while let entry = queue.entries.popFirst() {
            connection.sendReturningErrors(entry.command).cascade(to: entry.promise)
        }
        queueDepth.record(0)
    }

    private func failQueue(_ error: RedisClientError) {
        let queue = waiting.value
        queue.timer?.cancel()
        queue.timer = nil
        while let entry = queue.entries.popFirst() { entry.promise.fail(error) }
        queueDepth.record(0)
    }
}
