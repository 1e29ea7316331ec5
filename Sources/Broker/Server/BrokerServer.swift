import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The bundled Redis-compatible server as a ServiceLifecycle `Service`.
///
/// Every connection and all state live on one event loop (Redis's threading model). Call
/// ``start()`` to bind and learn the port (tests use port 0), or just run it as a service; it stops
/// on graceful shutdown, on `SHUTDOWN`, or through ``stop()``.
public final class BrokerServer: Service, @unchecked Sendable {
    // @unchecked: `core` and `channels` are only touched on `eventLoop`; the rest is immutable or
    // guarded by that loop's ordering.
    private let group: MultiThreadedEventLoopGroup
    private let eventLoop: EventLoop
    private let core: BrokerCore
    private let logger: Logger
    private var channels: [Channel] = []
    private let stopped: EventLoopPromise<Void>
    private var isStarted = false
    private var isStopped = false

    /// Whether `stopped` has completed (read by `deinit`, on any thread).
    private let hasStopped = NIOLockedValueBox(false)
    private let isShutDown = NIOLockedValueBox(false)

    deinit {
        // A server dropped without `shutdown()` (a failed test, say) must not trip NIO's
        // leaked-promise check; its thread is the embedder's to end. A stopped server's loop may
        // be shut down already, so nothing is scheduled on it then.
        if !hasStopped.withLockedValue({ $0 }) { stopped.succeed(()) }
    }

    /// The configuration the server was made with.
    public let configuration: BrokerConfiguration

    /// Makes a server; nothing is bound until ``start()`` or ``run()``.
    public init(configuration: BrokerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.eventLoop = group.next()
        self.core = BrokerCore(eventLoop: eventLoop, configuration: configuration, logger: logger)
        self.stopped = eventLoop.makePromise()
    }

    /// Binds every address of `bind` and returns the port in use (the chosen one when `port` is 0).
    @discardableResult
    public func start() async throws -> Int {
        try await eventLoop.submit { () -> EventLoopFuture<Int> in
            precondition(!self.isStarted, "BrokerServer.start() called twice")
            self.isStarted = true
            self.core.onShutdown = { [weak self] in self?.stopOnLoop() }
            // A failed start stops the server, so `stopped` completes and `shutdown()` works.
            return self.bindAll().flatMapErrorThrowing { error in
                self.stopOnLoop()
                throw error
            }
        }.flatMap { $0 }.get()
    }

    /// The port bound by ``start()``.
    public var port: Int {
        get async throws { try await eventLoop.submit { self.core.boundPort }.get() }
    }

    private func bindAll() -> EventLoopFuture<Int> {
        let core = self.core
        let bootstrap = ServerBootstrap(group: eventLoop)
            .serverChannelOption(.backlog, value: Int32(clamping: configuration.tcpBacklog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: configuration.tcpKeepAlive > 0 ? 1 : 0)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(BrokerConnectionHandler(core: core))
                }
            }
        var addresses = configuration.bind
        if addresses.isEmpty { addresses = ["*"] }
        // Bind the first address (which may pick the port), then the rest on that same port.
        func bind(_ index: Int, port: Int) -> EventLoopFuture<Int> {
            guard index < addresses.count else {
                guard !channels.isEmpty else {
                    return eventLoop.makeFailedFuture(BrokerServerError.noAddressBound)
                }
                core.boundPort = port
                // `CONFIG GET port` reports the port chosen for port 0, as the port line and INFO do.
                core.configuration.port = port
                core.startCron()
                logger.notice("Ready to accept connections tcp", metadata: ["port": "\(port)"])
                return eventLoop.makeSucceededFuture(port)
            }
            var name = addresses[index]
            let optional = name.hasPrefix("-")
            if optional { name.removeFirst() }
            let host = name == "*" ? "0.0.0.0" : name == "::*" ? "::" : name
            return bootstrap.bind(host: host, port: port).flatMap { channel in
                self.channels.append(channel)
                return bind(index + 1, port: channel.localAddress?.port ?? port)
            }.flatMapError { error in
                if optional {
                    self.logger.debug("Skipping optional bind address", metadata: ["address": "\(host)"])
                    return bind(index + 1, port: port)
                }
                self.logger.error("Could not create server TCP listening socket \(host):\(port): \(error)")
                return self.eventLoop.makeFailedFuture(error)
            }
        }
        return bind(0, port: configuration.port)
    }

    /// Runs until graceful shutdown or `SHUTDOWN`.
    public func run() async throws {
        let needsStart = try await eventLoop.submit { !self.isStarted }.get()
        if needsStart { try await start() }
        try await withGracefulShutdownHandler {
            try await stopped.futureResult.get()
        } onGracefulShutdown: {
            self.stop()
        }
        try await group.shutdownGracefully()
    }

    /// Closes the listeners and every client connection.
    public func stop() {
        eventLoop.execute { self.stopOnLoop() }
    }

    /// Stops the server and releases its thread (for embedders that call ``start()`` without ``run()``).
    public func shutdown() async throws {
        // A second call would schedule on (and shut down again) a group that is gone: it must
        // return at once instead.
        let already = isShutDown.withLockedValue { done in
            defer { done = true }
            return done
        }
        guard !already else { return }
        stop()
        try await stopped.futureResult.get()
        try await group.shutdownGracefully()
    }

    private func stopOnLoop() {
        guard !isStopped else { return }
        isStopped = true
        core.stopCron()
        let listeners = channels
        channels.removeAll()
        let closes = listeners.map { $0.close() }
        for session in Array(core.clients.values) {
            core.flush(session)
            core.kill(session)
        }
        EventLoopFuture.andAllComplete(closes, on: eventLoop).whenComplete { _ in
            self.hasStopped.withLockedValue { $0 = true }
            self.stopped.succeed(())
        }
    }
}

/// Why the broker could not start.
public enum BrokerServerError: Error, Sendable {
    /// None of the `bind` addresses could be bound.
    case noAddressBound
}
