import CBrokerSupport
import BrokerStorage
import Collections
import Logging
import NIOCore
import RESP

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The broker's state — configuration, databases, pub/sub, clients, statistics — and command
/// dispatch, all owned by the one event loop that serves every connection (Redis's model).
///
/// Nothing here is locked: every method runs on `eventLoop`.
///
/// Its hot stored properties are `@exclusivity(unchecked)`: they are touched only on the broker's
/// event loop, by synchronous code that never overlaps two accesses to one of them, and the
/// runtime exclusivity checks cost about 7% of a pipelined `GET` (perf, docs/benchmarks.md).
final class BrokerCore {
    let eventLoop: BrokerEventLoop
    let logger: Logger
    @exclusivity(unchecked) var configuration: BrokerConfiguration
    @exclusivity(unchecked) var databases: [Keyspace]
    let pubsub = PubSubRegistry()
    @exclusivity(unchecked) var clients: OrderedDictionary<UInt64, ClientSession> = [:]
    @exclusivity(unchecked) var monitors: [ClientSession] = []
    @exclusivity(unchecked) var stats: BrokerStats
    let metrics = BrokerMetrics()
    let commands: CommandTable
    let commandTimer = CommandTimer()
    /// The largest buffer kept for reuse once empty (query, output, message encoding); one that
    /// a big command, reply or message grew past this is let go.
    static let retainedBufferCapacity = 64 * 1024
    let startTime: Double
    let runID: String
    var boundPort = 0
    var nextClientID: UInt64 = 1
    /// Called by `SHUTDOWN`.
    var onShutdown: (() -> Void)?
    @exclusivity(unchecked) private var pendingFlush: [ClientSession] = []
    @exclusivity(unchecked) private var flushScheduled = false
    private var cron: RepeatedTask?
    /// `CLIENT PAUSE` state: until when, and whether every command (not just writes) waits.
    @exclusivity(unchecked) var pauseEnd: Double = 0
    @exclusivity(unchecked) var pauseAll = false
    private var pauseTimer: Scheduled<Void>?
    private var paused: [ClientSession: () -> Void] = [:]

    init(eventLoop: BrokerEventLoop, configuration: BrokerConfiguration, logger: Logger) {
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.logger = logger
        self.databases = Array(repeating: Keyspace(), count: configuration.databases)
        self.commands = CommandTable.standard
        self.stats = BrokerStats(commandCount: CommandTable.standard.statsSlots)
        self.startTime = Self.now()
        var generator = SystemRandomNumberGenerator()
        self.runID = (0..<40).map { _ in String(UInt8.random(in: 0..<16, using: &generator), radix: 16) }.joined()
        refreshAccessClock()
    }

    /// Wall-clock seconds.
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    // MARK: Clients

    /// Registers a new connection, or refuses it with Redis's error when `maxclients` is reached.
    func accept(connection: BrokerConnection) -> ClientSession? {
        stats.totalConnectionsReceived += 1
        if clients.count >= configuration.maxClients {
            stats.rejectedConnections += 1
            metrics.rejectedConnections.increment()
            let buffer = ByteBuffer(staticString: "-ERR max number of clients reached\r\n")
            connection.refuse(buffer)
            return nil
        }
        let remote = Self.describe(connection.remoteAddress)
        if configuration.protectedMode && configuration.requirePass == nil,
            let address = connection.remoteAddress, !Self.isLoopback(address)
        {
            stats.rejectedConnections += 1
            metrics.rejectedConnections.increment()
            let buffer = ByteBuffer(
                staticString:
                    "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"
            )
            connection.refuse(buffer)
            return nil
        }
        let session = ClientSession(
            id: nextClientID, connection: connection, remoteAddress: remote,
            localAddress: Self.describe(connection.localAddress), now: Self.now(),
            isAuthenticated: configuration.requirePass == nil)
        nextClientID += 1
        clients[session.id] = session
        return session
    }

    /// Forgets a connection that closed.
    func disconnected(_ session: ClientSession) {
        guard clients.removeValue(forKey: session.id) != nil else { return }
        session.isClosed = true
        pubsub.removeAll(session)
        if session.isMonitor { monitors.removeAll { $0 === session } }
        paused.removeValue(forKey: session)
    }

    /// Closes a connection now, dropping whatever it had not yet been sent.
    func kill(_ session: ClientSession) {
        session.output.clear()
        session.isClosed = true
        disconnected(session)
        session.connection.close()
    }

    static func describe(_ address: SocketAddress?) -> String {
        guard let address else { return "?:0" }
        switch address {
        case .v4:
            return "\(address.ipAddress ?? "?"):\(address.port ?? 0)"
        case .v6:
            // In brackets, as Redis's anetFormatAddr writes an address with a colon in it.
            return "[\(address.ipAddress ?? "?")]:\(address.port ?? 0)"
        case .unixDomainSocket:
            return "\(address.pathname ?? ""):0"
        }
    }

    static func isLoopback(_ address: SocketAddress) -> Bool {
        switch address {
        case .unixDomainSocket: return true
        case .v4: return address.ipAddress?.hasPrefix("127.") ?? false
        case .v6: return address.ipAddress == "::1" || (address.ipAddress?.hasPrefix("::ffff:127.") ?? false)
        }
    }

    // MARK: Output

    /// Queues `session` to be flushed at the end of this loop tick (after pushes from other clients).
    func scheduleFlush(_ session: ClientSession) {
        guard !session.isQueuedForFlush else { return }
        session.isQueuedForFlush = true
        pendingFlush.append(session)
        if !flushScheduled {
            flushScheduled = true
            // The core lives on its loop, so the task may hold it (it is not Sendable).
            eventLoop.assumeIsolatedUnsafeUnchecked().execute { self.flushPending() }
        }
    }

    private func flushPending() {
        flushScheduled = false
        let sessions = pendingFlush
        pendingFlush.removeAll(keepingCapacity: true)
        for s in sessions {
            s.isQueuedForFlush = false
            flush(s)
        }
    }

    /// Sends what `session` has pending, if its socket can take it; closes it after a final reply.
    func flush(_ session: ClientSession) {
        guard !session.isClosed else { return }
        if session.output.readableBytes > 0 && (session.isWritable || session.closeAfterReply) {
            stats.totalWritesProcessed += 1
            if session.closeAfterReply {
                stats.totalNetOutputBytes += session.output.readableBytes
                session.isClosed = true
                disconnected(session)
                session.connection.closeAfterSending(&session.output)
                return
            }
            // Sent from the session's own buffer; what the socket did not take stays in it.
            guard let sent = session.connection.send(&session.output) else { return }
            stats.totalNetOutputBytes += sent
            if session.output.readableBytes == 0 {
                // Reused for the next replies, unless a big reply grew it (then a small one).
                if session.output.capacity > Self.retainedBufferCapacity {
                    session.output = ByteBufferAllocator().buffer(capacity: 1024)
                } else {
                    session.output.clear()
                }
            } else {
                session.isWritable = false
                checkOutputLimit(session)
            }
        } else if session.closeAfterReply {
            session.isClosed = true
            disconnected(session)
            session.connection.close()
        } else if session.output.readableBytes > 0 {
            // Replies pile up behind a client that does not read: bound them as pushes are bounded.
            checkOutputLimit(session)
        }
    }

    /// Appends a pub/sub or monitor push to `session` and enforces its output buffer limit.
    func push(_ bytes: UnsafeRawBufferPointer, to session: ClientSession) {
        guard !session.isClosed else { return }
        let start = session.output.writerIndex
        session.output.writeRESPRaw(bytes)
        notePush(session, from: start)
        if checkOutputLimit(session) { scheduleFlush(session) }
    }

    func push(_ bytes: ByteBuffer, to session: ClientSession) {
        bytes.withUnsafeReadableBytes { push($0, to: session) }
    }

    /// Bytes waiting for `session`'s socket.
    func pendingOutputBytes(_ session: ClientSession) -> Int {
        session.output.readableBytes
    }

    /// Applies `client-output-buffer-limit`; returns `false` (and closes the client) when exceeded.
    @discardableResult
    func checkOutputLimit(_ session: ClientSession) -> Bool {
        let limits = configuration.outputBufferLimits
        let limit = session.isSubscriber ? limits.pubsub : limits.normal
        guard limit.hard > 0 || limit.soft > 0 else { return true }
        let used = pendingOutputBytes(session)
        var exceeded = limit.hard > 0 && used >= limit.hard
        if !exceeded && limit.soft > 0 && used >= limit.soft {
            let now = Self.now()
            if let since = session.softLimitReachedAt {
                exceeded = now - since > Double(limit.softSeconds)
            } else {
                session.softLimitReachedAt = now
            }
        } else if used < limit.soft && session.softLimitReachedAt != nil {
            session.softLimitReachedAt = nil
        }
        guard exceeded else { return true }
        stats.outputBufferLimitDisconnections += 1
        metrics.outputBufferLimitDisconnections.increment()
        logger.warning(
            "Client scheduled to be closed ASAP for overcoming of output buffer limits.",
            metadata: ["client": "\(session.id)", "addr": "\(session.remoteAddress)", "omem": "\(used)"])
        kill(session)
        return false
    }

    // MARK: Errors

    /// Writes an error reply and counts it in `INFO errorstats`.
    func replyError(_ client: ClientSession, _ message: String) {
        let text = message.hasPrefix("-") ? String(message.dropFirst()) : "ERR " + message
        client.output.writeRESPError(text)
        countError(text)
    }

    func countError(_ text: String) {
        stats.totalErrorReplies += 1
        let code = text.prefix { $0 != " " }
        stats.errors[String(code), default: 0] += 1
    }

    // MARK: Pause

    /// Whether `CLIENT PAUSE` holds this command back.
    func isPaused(_ spec: CommandSpec) -> Bool {
        guard pauseEnd > 0 else { return false }
        if pauseAll { return true }
        return spec.flags.contains(.write) || spec.flags.contains(.mayReplicate)
    }

    func hold(_ session: ClientSession, resume: @escaping () -> Void) {
        paused[session] = resume
    }

    func pause(until end: Double, all: Bool) {
        // A later pause may only extend the time or widen the scope, as in Redis.
        if end > pauseEnd { pauseEnd = end }
        if all { pauseAll = true }
        pauseTimer?.cancel()
        let delay = min(max(0, pauseEnd - Self.now()), 1e9)  // TimeAmount holds ~292 years
        pauseTimer = eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: .nanoseconds(Int64(delay * 1e9))) {
            self.unpause()
        }
    }

    func unpause() {
        pauseEnd = 0
        pauseAll = false
        pauseTimer?.cancel()
        pauseTimer = nil
        let waiting = paused
        paused.removeAll()
        for (_, resume) in waiting { resume() }
    }

    // MARK: Cron

    func startCron() {
        let interval = TimeAmount.milliseconds(Int64(1000 / max(1, min(configuration.hz, 500))))
        // A strong capture, broken by `stopCron` (or the loop's shutdown): a weak reference would
        // give the core a side table, and every retain and release of it would take the slow path.
        let core = NIOLoopBound(self, eventLoop: eventLoop)
        cron = eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            core.value.cronTick()
        }
    }

    func stopCron() {
        cron?.cancel()
        cron = nil
        pauseTimer?.cancel()
    }

    private func cronTick() {
        let now = Self.now()
        refreshAccessClock()
        stats.peakMemory = max(stats.peakMemory, Int(switchboard_heap_bytes_in_use()))
        activeExpireCycle()
        rehashDatabases()
        stats.opsSamples.record(value: stats.totalCommandsProcessed, now: now)
        stats.inputSamples.record(value: stats.totalNetInputBytes, now: now)
        stats.outputSamples.record(value: stats.totalNetOutputBytes, now: now)
        let timeout = Double(configuration.timeout)
        for session in clients.values {
            if timeout > 0 && !session.isSubscriber && !session.isMonitor && now - session.lastInteraction > timeout {
                logger.debug("Closing idle client", metadata: ["client": "\(session.id)"])
                kill(session)
                continue
            }
            if session.softLimitReachedAt != nil { checkOutputLimit(session) }
        }
    }

    // MARK: Monitor

    /// Sends one command line to every `MONITOR` client, as Redis formats it.
    func feedMonitors(_ client: ClientSession, _ command: RESPCommand, redactFrom: Int?) {
        var line = ByteBuffer()
        var tv = timeval()
        gettimeofday(&tv, nil)
        line.writeString("+\(tv.tv_sec).")
        line.writeString(String(tv.tv_usec).leftPadded(to: 6))
        line.writeString(" [\(client.database) \(client.remoteAddress)] ")
        for i in 0..<command.count {
            if i > 0 { line.writeInteger(UInt8(ascii: " ")) }
            if let redactFrom, i >= redactFrom {
                line.writeStaticString("\"(redacted)\"")
            } else {
                command.withBytes(i) { Self.writeRepr($0, into: &line) }
            }
        }
        line.writeStaticString("\r\n")
        for monitor in monitors { push(line, to: monitor) }
    }

    /// Redis's `sdscatrepr`: a double-quoted, escaped rendering of bytes.
    static func writeRepr(_ bytes: UnsafeRawBufferPointer, into out: inout ByteBuffer) {
        out.writeInteger(UInt8(ascii: "\""))
        for c in bytes {
            switch c {
            case UInt8(ascii: "\\"): out.writeStaticString("\\\\")
            case UInt8(ascii: "\""): out.writeStaticString("\\\"")
            case 0x0A: out.writeStaticString("\\n")
            case 0x0D: out.writeStaticString("\\r")
            case 0x09: out.writeStaticString("\\t")
            case 0x07: out.writeStaticString("\\a")
            case 0x08: out.writeStaticString("\\b")
            case 0x20...0x7E: out.writeInteger(c)
            default: out.writeString("\\x" + String(c, radix: 16).leftPadded(to: 2))
            }
        }
        out.writeInteger(UInt8(ascii: "\""))
    }
}
