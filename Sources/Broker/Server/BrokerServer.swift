import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle

/// The bundled Redis-compatible server as a ServiceLifecycle `Service`.
///
/// Every connection and all state live on one event loop, a thread of the broker's own that waits
/// in epoll (Redis's threading model and I/O, ``BrokerEventLoop``). Call
/// ``start()`` to bind and learn the port (tests use port 0), or just run it as a service; it stops
/// on graceful shutdown, on `SHUTDOWN`, or through ``stop()``.
public final class BrokerServer: Service, @unchecked Sendable {
    // @unchecked: `core` and `listeners` are only touched on `eventLoop`; the rest is immutable or
    // guarded by that loop's ordering.
    private let eventLoop: BrokerEventLoop
    private let core: BrokerCore
    private let logger: Logger
    private var listeners: [BrokerListener] = []
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
        // Only a process out of descriptors or threads cannot make one; nothing could be served.
        do { self.eventLoop = try BrokerEventLoop(busyPoll: configuration.busyPoll) } catch {
            fatalError("Cannot start the broker's event loop: \(error)")
        }
        self.core = BrokerCore(eventLoop: eventLoop, configuration: configuration, logger: logger)
        self.stopped = eventLoop.makePromise()
    }

    /// Binds every address of `bind` and returns the port in use (the chosen one when `port` is 0).
    @discardableResult
    public func start() async throws -> Int {
        try await eventLoop.submit { () -> Int in
            precondition(!self.isStarted, "BrokerServer.start() called twice")
            self.isStarted = true
            self.core.onShutdown = { [weak self] in self?.stopOnLoop() }
            // A failed start stops the server, so `stopped` completes and `shutdown()` works.
            do {
                return try self.bindAll()
            } catch {
                self.stopOnLoop()
                throw error
            }
        }.get()
    }

    /// The port bound by ``start()``.
    public var port: Int {
        get async throws { try await eventLoop.submit { self.core.boundPort }.get() }
    }

    /// Whether the loop may busy-poll now (`busy-poll`), read on the loop.
    var loopBusyPollEnabled: Bool {
        get async throws { try await eventLoop.submit { self.eventLoop.busyPoll.enabled }.get() }
    }

    private func bindAll() throws -> Int {
        var addresses = configuration.bind
        if addresses.isEmpty { addresses = ["*"] }
        // Bind the first address (which may pick the port), then the rest on that same port.
        var port = configuration.port
        for var name in addresses {
            let optional = name.hasPrefix("-")
            if optional { name.removeFirst() }
            let host = name == "*" ? "0.0.0.0" : name == "::*" ? "::" : name
            do {
                let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
                let listener = try BrokerListener(
                    address: address, backlog: Int32(clamping: configuration.tcpBacklog), loop: eventLoop, core: core)
                try listener.start()
                listeners.append(listener)
                port = listener.port
            } catch {
                if optional {
                    logger.debug("Skipping optional bind address", metadata: ["address": "\(host)"])
                    continue
                }
                logger.error("Could not create server TCP listening socket \(host):\(port): \(error)")
                throw error
            }
        }
        guard !listeners.isEmpty else { throw BrokerServerError.noAddressBound }
        core.boundPort = port
        // `CONFIG GET port` reports the port chosen for port 0, as the port line and INFO do.
        core.configuration.port = port
        core.startCron()
        logger.notice("Ready to accept connections tcp", metadata: ["port": "\(port)"])
        return port
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
        try await eventLoop.shutdownGracefully()
    }

    /// Closes the listeners and every client connection.
    public func stop() {
        eventLoop.execute { self.stopOnLoop() }
    }

    /// Stops the server and releases its thread (for embedders that call ``start()`` without ``run()``).
    public func shutdown() async throws {
        // A second call would schedule on (and shut down again) a loop that is gone: it must
        // return at once instead.
        let already = isShutDown.withLockedValue { done in
            defer { done = true }
            return done
        }
        guard !already else { return }
        stop()
        try await stopped.futureResult.get()
        try await eventLoop.shutdownGracefully()
    }

    private func stopOnLoop() {
        guard !isStopped else { return }
        isStopped = true
        core.stopCron()
        for listener in listeners { listener.close() }
        listeners.removeAll()
        for session in Array(core.clients.values) {
            core.flush(session)
            core.kill(session)
        }
        hasStopped.withLockedValue { $0 = true }
        stopped.succeed(())
    }
}

/// Why the broker could not start.
public enum BrokerServerError: Error, Sendable {
    /// None of the `bind` addresses could be bound.
    case noAddressBound
}
