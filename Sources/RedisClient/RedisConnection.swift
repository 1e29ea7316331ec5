import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import RESP

/// One connection to a Redis server: connects, authenticates, selects the database, then sends
/// commands with their replies matched in order.
///
/// Commands may be sent from any task: their bytes join an outbox under a lock, and the channel's
/// event loop writes the whole outbox with one write and one flush per loop tick, so commands
/// issued concurrently share one write (automatic pipelining). Replies resume the waiting task
/// straight from the channel handler, with no future in between.
/// A connection does not reconnect: ``RedisClient`` and ``RedisSubscriber`` do that with new
/// connections.
public final class RedisConnection: Sendable {
    /// The event loop the connection lives on.
    public let eventLoop: EventLoop
    let channel: Channel
    let configuration: RedisClientConfiguration
    private let handler: RedisChannelHandler
    private let outbox = NIOLockedValueBox(Outbox())

    /// Runs tasks on this connection's event loop (see ``EventLoopTaskExecutor``): a task that
    /// prefers it sends and gets its replies with no thread hop.
    public let taskExecutor: EventLoopTaskExecutor

    private init(channel: Channel, handler: RedisChannelHandler, configuration: RedisClientConfiguration) {
        self.channel = channel
        self.handler = handler
        self.eventLoop = channel.eventLoop
        self.taskExecutor = EventLoopTaskExecutor(channel.eventLoop)
        self.configuration = configuration
    }

    /// Connects, then runs the handshake (`HELLO 3` or `AUTH`, `CLIENT SETNAME`, `SELECT`) — all
    /// within the connect timeout. `onPush` gets every push (RESP3 `>` values, and on a subscriber
    /// connection RESP2 pub/sub arrays) on the event loop.
    public static func connect(
        configuration: RedisClientConfiguration, eventLoop: EventLoop, isSubscriber: Bool = false,
        logger: Logger = Logger(label: "redis"),
        onPush: @escaping @Sendable (RESPValue) -> Void = { _ in }
    ) async throws -> RedisConnection {
        let resp3 = configuration.protocolVersion == .resp3
        return try await connect(
            configuration: configuration, eventLoop: eventLoop, isSubscriber: isSubscriber, logger: logger,
            onPush: onPush, onMessage: { onPush($0.value(resp3: resp3)) })
    }

    /// `connect`, with published messages on a subscriber connection going to `onMessage` as
    /// slices instead of to `onPush` as values.
    static func connect(
        configuration: RedisClientConfiguration, eventLoop: EventLoop, isSubscriber: Bool, logger: Logger,
        onPush: @escaping @Sendable (RESPValue) -> Void, onMessage: @escaping @Sendable (PubSubMessage) -> Void
    ) async throws -> RedisConnection {
        let sslContext = try configuration.url.usesTLS ? makeSSLContext(configuration.tls) : nil
        let serverName: String? = {
            guard case .tcp(let host, _) = configuration.url.endpoint else { return nil }
            return configuration.tls.serverName ?? (isIPAddress(host) ? nil : host)
        }()
        let tlsHandshake = eventLoop.makePromise(of: Void.self)
        if sslContext == nil { tlsHandshake.succeed(()) }
        let handler = RedisChannelHandler(
            isSubscriber: isSubscriber, commandTimeout: configuration.commandTimeout, onPush: onPush,
            onMessage: onMessage)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(configuration.connectTimeout)
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let sslContext {
                        try sync.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                        try sync.addHandler(TLSHandshakeHandler(promise: tlsHandshake))
                    }
                    try sync.addHandler(handler)
                }
            }
        let deadline = NIODeadline.now() + configuration.connectTimeout
        let channel: Channel
        do {
            switch configuration.url.endpoint {
            case .tcp(let host, let port):
                channel = try await bootstrap.connect(host: host, port: port).get()
            case .unixSocket(let path):
                channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
            }
        } catch {
            // The handshake promise must not be left pending (NIO checks for that).
            tlsHandshake.fail(error)
            throw Self.connectError(error, configuration)
        }
        let connection = RedisConnection(channel: channel, handler: handler, configuration: configuration)
        do {
            if sslContext != nil {
                try await waitForTLS(tlsHandshake.futureResult, channel: channel, deadline: deadline)
            }
            try await connection.handshake(deadline: deadline)
        } catch {
            try? await channel.close()
            // Past the deadline whatever failed failed for want of time.
            if let error = error as? RedisClientError, error.code == .commandTimeout || NIODeadline.now() >= deadline {
                throw RedisClientError(.connectTimeout, "\(configuration.url) did not answer the handshake in time")
            }
            throw error
        }
        logger.debug("connected", metadata: ["url": "\(configuration.url)"])
        return connection
    }

    /// The client error for a failed connect.
    private static func connectError(_ error: Error, _ configuration: RedisClientConfiguration) -> RedisClientError {
        switch error {
        case ChannelError.connectTimeout:
            RedisClientError(.connectTimeout, "could not connect to \(configuration.url) in time")
        case let error as RedisClientError:
            error
        default:
            RedisClientError(.connectionClosed, "could not connect to \(configuration.url): \(error)")
        }
    }

    /// Waits for the TLS handshake, failing with `tlsFailure` or, past `deadline`, closing the
    /// connection (reported as `connectTimeout`).
    private static func waitForTLS(
        _ handshake: EventLoopFuture<Void>, channel: Channel, deadline: NIODeadline
    ) async throws {
        let timer = channel.eventLoop.scheduleTask(deadline: deadline) {
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        do {
            try await handshake.get()
        } catch let error as RedisClientError {
            throw error
        } catch {
            throw RedisClientError(.tlsFailure, "TLS handshake failed: \(error)")
        }
    }

    /// `HELLO 3` (with `AUTH` and `SETNAME`) or `AUTH` + `CLIENT SETNAME`, then `SELECT`.
    private func handshake(deadline: NIODeadline) async throws {
        let url = configuration.url
        var commands: [RedisCommand] = []
        if configuration.protocolVersion == .resp3 {
            var arguments: [RedisArgument] = ["3"]
            if let password = url.password {
                arguments += ["AUTH", .string(url.username ?? "default"), .string(password)]
            }
            if let name = configuration.clientName { arguments += ["SETNAME", .string(name)] }
            commands.append(RedisCommand("HELLO", arguments))
        } else {
            if let password = url.password {
                commands.append(
                    url.username.map { RedisCommand("AUTH", .string($0), .string(password)) }
                        ?? RedisCommand("AUTH", .string(password)))
            }
            if let name = configuration.clientName { commands.append(RedisCommand("CLIENT", "SETNAME", .string(name))) }
        }
        if url.database != 0 { commands.append(RedisCommand("SELECT", .integer(Int64(url.database)))) }
        for command in commands {
            _ = try await send(command, deadline: deadline)
        }
    }

    /// Sends `command` and returns its reply; a server error reply throws `serverError` with the
    /// server's text. Fails with `commandTimeout` after the configured command timeout.
    public func send(_ command: RedisCommand) async throws -> RESPValue {
        try Self.checked(try await sendReturningErrors(command))
    }

    func send(_ command: RedisCommand, deadline: NIODeadline) async throws -> RESPValue {
        let value = try await withUnsafeThrowingContinuation { continuation in
            submit(command.encoded, .continuation(continuation), deadline: deadline)
        }
        return try Self.checked(value)
    }

    /// Sends `command` and returns its reply as the server sent it, error replies included.
    func sendReturningErrors(_ command: RedisCommand) async throws -> RESPValue {
        try await withUnsafeThrowingContinuation { continuation in
            submit(command.encoded, .continuation(continuation), deadline: nil)
        }
    }

    /// Sends `command`; the future gets its reply as the server sent it, error replies included.
    func sendReturningErrors(_ command: RedisCommand) -> EventLoopFuture<RESPValue> {
        let promise = eventLoop.makePromise(of: RESPValue.self)
        submit(command.encoded, .promise(promise), deadline: nil)
        return promise.futureResult
    }

    /// Sends `commands` in one write and returns each reply (or server error) in order.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [Result<RESPValue, RedisClientError>] {
        try await pipelineReturningErrors(commands).map { value in
            Result { () throws(RedisClientError) in try Self.checked(value) }
        }
    }

    /// Sends `commands` in one write and returns their replies as the server sent them.
    func pipelineReturningErrors(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        guard !commands.isEmpty else { return [] }
        return try await withUnsafeThrowingContinuation { continuation in
            let batch = PipelineBatch(count: commands.count, continuation: continuation)
            let wake = outbox.withLockedValue { box in
                for command in commands {
                    box.append(command.encoded)
                    box.entries.append(Outbox.Entry(completion: .batch(batch), deadline: nil))
                }
                return box.scheduleDrain()
            }
            if wake { scheduleDrain() }
        }
    }

    /// Writes bytes whose replies are not matched to commands (subscription commands).
    func sendUnmatched(_ bytes: ByteBuffer) {
        let wake = outbox.withLockedValue { box in
            box.append(bytes)
            return box.scheduleDrain()
        }
        if wake { scheduleDrain() }
    }

    /// Puts one command in the outbox; the first command of a loop tick schedules the drain.
    private func submit(_ bytes: ByteBuffer, _ completion: ReplyCompletion, deadline: NIODeadline?) {
        let wake = outbox.withLockedValue { box in
            box.append(bytes)
            box.entries.append(Outbox.Entry(completion: completion, deadline: deadline))
            return box.scheduleDrain()
        }
        if wake { scheduleDrain() }
    }

    private func scheduleDrain() {
        eventLoop.execute { self.handler.drain(self.outbox) }
    }

    /// Closes the connection; pending commands fail with `connectionClosed`.
    public func close() async {
        try? await channel.close()
    }

    /// Completes when the connection has closed, for whatever reason.
    public var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    /// Whether the connection is still open.
    public var isActive: Bool { channel.isActive }

    /// `value`, or a `serverError` if it is an error reply.
    static func checked(_ value: RESPValue) throws(RedisClientError) -> RESPValue {
        switch value {
        case .simpleError(let message), .blobError(let message):
            throw RedisClientError(.serverError, String(buffer: message))
        default:
            return value
        }
    }

    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }

    static func makeSSLContext(_ tls: RedisClientConfiguration.TLS) throws -> NIOSSLContext {
        do {
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let ca = tls.caCertificateFile {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
            }
            if let certificate = tls.certificateFile {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
            }
            if let key = tls.privateKeyFile {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            }
            if tls.skipVerification { configuration.certificateVerification = .none }
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw RedisClientError(.invalidConfiguration, "TLS setup failed: \(error)")
        }
    }
}

/// Completes a promise when the TLS handshake has finished, or fails it with the handshake's
/// error (or when the connection closes first).
final class TLSHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    private let promise: EventLoopPromise<Void>

    init(promise: EventLoopPromise<Void>) {
        self.promise = promise
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            promise.succeed(())
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.fail(RedisClientError(.tlsFailure, "TLS handshake failed: \(error)"))
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(RedisClientError(.tlsFailure, "the connection closed during the TLS handshake"))
        context.fireChannelInactive()
    }
}
