import CBrokerSupport
import NIOCore
import RESP

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One client's socket on the broker's loop: reads its commands, runs them, and sends the replies.
///
/// Bytes are read straight into a query buffer (one `read(2)` per ready event, as Redis reads);
/// commands are parsed as argument slices of it, executed in order, and their replies collected in
/// the session's output, which is sent with one `send(2)` right after that read. Output the socket
/// does not take stays in the session's buffer until the socket is writable again.
///
/// Its hot stored properties are `@exclusivity(unchecked)`: they are touched only on the broker's
/// event loop, by synchronous code that never overlaps two accesses to one of them, and the
/// runtime exclusivity checks cost about 7% of a pipelined `GET` (perf, docs/benchmarks.md).
final class BrokerConnection: BrokerPollable {
    let fd: Int32
    private let loop: BrokerEventLoop
    private let core: BrokerCore
    let remoteAddress: SocketAddress?
    let localAddress: SocketAddress?
    @exclusivity(unchecked) private var session: ClientSession?
    @exclusivity(unchecked) private var query = ByteBuffer()
    @exclusivity(unchecked) private var parser: RESPCommandParser
    @exclusivity(unchecked) private(set) var isOpen = true
    /// What the loop watches the socket for (`SWITCHBOARD_POLL_*`).
    @exclusivity(unchecked) private var watchedEvents = UInt32(SWITCHBOARD_POLL_IN)
    /// Set once the last reply is queued: the connection closes when it has been sent.
    @exclusivity(unchecked) private var closesWhenSent = false

    /// The most a single read asks for, and the least: Redis reads 16 KB at a time, more while a
    /// big argument is arriving.
    private static let readSize = 16 * 1024
    private static let largestRead = 1024 * 1024

    init(
        fd: Int32, loop: BrokerEventLoop, core: BrokerCore, remoteAddress: SocketAddress?, localAddress: SocketAddress?
    ) {
        self.fd = fd
        self.loop = loop
        self.core = core
        self.remoteAddress = remoteAddress
        self.localAddress = localAddress
        var limits = RESPLimits.redisDefaults
        limits.maxBulkLength = core.configuration.protoMaxBulkLength
        limits.maxQueryBufferLength = core.configuration.clientQueryBufferLimit
        self.parser = RESPCommandParser(limits: limits)
    }

    /// Registers the client, or refuses it (the core wrote why): called once, after accepting.
    func start() {
        guard let session = core.accept(connection: self) else { return }
        do {
            try loop.register(fd, self, events: UInt32(SWITCHBOARD_POLL_IN))
            self.session = session
        } catch {
            core.logger.warning("Could not watch a client socket", metadata: ["error": "\(error)"])
            core.disconnected(session)
            closeDescriptor(fd)
            isOpen = false
        }
    }

    func pollReady(_ events: UInt32) {
        if events & UInt32(SWITCHBOARD_POLL_OUT) != 0 { writable() }
        guard isOpen else { return }
        let failed = events & UInt32(SWITCHBOARD_POLL_ERR | SWITCHBOARD_POLL_HUP) != 0
        if closesWhenSent {
            // Nothing is read any more; a broken connection would be reported again and again.
            if failed { close() }
        } else if failed || events & UInt32(SWITCHBOARD_POLL_IN) != 0 {
            readable()
        }
    }

    private func readable() {
        guard let session, !closesWhenSent else { return }
        let wanted = max(Self.readSize, min(query.readableBytes, Self.largestRead))
        var result = 0
        var failure: Int32 = 0
        query.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { buffer in
            result = read(fd, buffer.baseAddress, buffer.count)
            if result < 0 { failure = errno }
            return max(result, 0)
        }
        guard result > 0 else {
            if result == 0 || (failure != EAGAIN && failure != EWOULDBLOCK && failure != EINTR) { self.close() }
            return
        }
        guard !session.isClosed, !session.closeAfterReply else { return }
        core.stats.totalNetInputBytes += result
        core.stats.totalReadsProcessed += 1
        session.lastInteraction = BrokerCore.now()
        process(session)
        // Sent now, not when the batch of ready clients is done (as Redis does): a publisher then
        // has its replies while the broker writes to the subscribers, and a fan-out to 10 delivered
        // 4.1 million messages/s instead of 2.2 (A/B of the two builds, docs/benchmarks.md).
        core.flush(session)
    }

    /// Runs every whole command in the query buffer, unless `CLIENT PAUSE` holds them back.
    private func process(_ session: ClientSession) {
        parser.limits.maxBulkLength = core.configuration.protoMaxBulkLength
        while !session.isClosed && !session.closeAfterReply {
            parser.requiresAuthentication = !session.isAuthenticated
            var parsed: RESPParsedCommand
            do {
                guard let next = try parser.next(query) else { break }
                parsed = next
            } catch {
                core.logger.debug(
                    "Protocol error from client", metadata: ["client": "\(session.id)", "error": "\(error.message)"])
                let mark = core.beginRequest(session)
                core.metrics.protocolErrors.increment()
                core.replyError(session, "Protocol error: \(error.message)")
                core.endRequest(session, from: mark)
                session.closeAfterReply = true
                parser.reset()
                query.clear()
                break
            }
            let mark = core.beginRequest(session)
            if parsed.command.count > 0 {
                guard let spec = core.resolve(session, parsed.command) else {
                    core.endRequest(session, from: mark)
                    query.moveReaderIndex(to: parsed.end)
                    continue
                }
                if core.isPaused(spec) {
                    // Leave the command in the buffer and run it when the pause ends.
                    core.holdRequest(session)
                    core.hold(session) { [weak self] in
                        guard let self, !session.isClosed else { return }
                        self.process(session)
                        self.core.flush(session)
                    }
                    break
                }
                core.execute(session, &parsed.command, spec: spec)
            }
            core.endRequest(session, from: mark)
            query.moveReaderIndex(to: parsed.end)
            parser.recycle(&parsed.command)
        }
        if query.readableBytes == 0 {
            // Kept for the next read, unless a big command grew it: then it is let go, as Redis
            // shrinks a query buffer that grew past what its client now sends.
            if query.capacity > BrokerCore.retainedBufferCapacity { query = ByteBuffer() } else { query.clear() }
        } else if query.readerIndex > 65536 {
            query.discardReadBytes()
        }
        session.queryBufferBytes = query.readableBytes
        session.queryBufferCapacity = query.capacity
        if query.readableBytes > core.configuration.clientQueryBufferLimit {
            core.stats.queryBufferLimitDisconnections += 1
            core.metrics.queryBufferLimitDisconnections.increment()
            core.logger.warning(
                "Closing client that reached max query buffer length",
                metadata: ["client": "\(session.id)", "qbuf": "\(query.readableBytes)"])
            query = ByteBuffer()
            core.kill(session)
        }
    }

    /// Sends as much of `output` as the socket takes now, watching for writability if some is
    /// left. Returns the bytes sent, or nil if the connection failed (it is closed then).
    func send(_ output: inout ByteBuffer) -> Int? {
        var sent = 0
        while output.readableBytes > 0 {
            let result = output.withUnsafeReadableBytes { switchboard_send(fd, $0.baseAddress, $0.count) }
            if result > 0 {
                output.moveReaderIndex(forwardBy: result)
                sent += result
                continue
            }
            if result < 0 && errno == EINTR { continue }
            if result < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                if output.readerIndex > 65536 { output.discardReadBytes() }
                watchWritable(true)
                return sent
            }
            close()
            return nil
        }
        watchWritable(false)
        return sent
    }

    /// Sends `output` and then closes, waiting for writability if the socket does not take it all.
    func closeAfterSending(_ output: inout ByteBuffer) {
        guard isOpen else { return }
        closesWhenSent = true
        guard send(&output) != nil else { return }
        if output.readableBytes == 0 { close() }
    }

    /// Sends a refusal (best effort: the socket is new and its buffer empty) and closes.
    func refuse(_ reply: ByteBuffer) {
        reply.withUnsafeReadableBytes { _ = switchboard_send(fd, $0.baseAddress, $0.count) }
        isOpen = false
        closeDescriptor(fd)
    }

    /// Watches the socket for writability too (`on`) or for reads only; once the connection only
    /// waits to send its last reply, reads are no longer watched (nor done).
    private func watchWritable(_ on: Bool) {
        guard isOpen else { return }
        let events = (closesWhenSent ? 0 : UInt32(SWITCHBOARD_POLL_IN)) | (on ? UInt32(SWITCHBOARD_POLL_OUT) : 0)
        guard events != watchedEvents else { return }
        watchedEvents = events
        loop.reregister(fd, events: events)
    }

    private func writable() {
        guard let session else { return }
        if closesWhenSent {
            closeAfterSending(&session.output)
            return
        }
        session.isWritable = true
        core.flush(session)
    }

    /// Closes the socket and forgets the client; later calls do nothing.
    func close() {
        guard isOpen else { return }
        isOpen = false
        loop.deregister(fd)
        closeDescriptor(fd)
        if let session { core.disconnected(session) }
        // The query buffer is left alone: this may run inside `process`, which still reads it.
        session = nil
    }
}

/// A listening socket on the broker's loop: accepts clients and starts their connections.
final class BrokerListener: BrokerPollable {
    let fd: Int32
    let port: Int
    private let loop: BrokerEventLoop
    private let core: BrokerCore

    /// Binds and listens on `address`; the socket is not watched until ``start()``.
    init(address: SocketAddress, backlog: Int32, loop: BrokerEventLoop, core: BrokerCore) throws {
        let family = address.protocol.rawValue
        let fd = switchboard_listen_socket(family)
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        do {
            let bound = address.withSockAddr { bind(fd, $0, socklen_t($1)) }
            guard bound == 0 else { throw IOError(errnoCode: errno, reason: "bind(descriptor:ptr:bytes:)") }
            guard listen(fd, backlog) == 0 else { throw IOError(errnoCode: errno, reason: "listen") }
            port = Self.localAddress(of: fd)?.port ?? 0
        } catch {
            closeDescriptor(fd)
            throw error
        }
        self.fd = fd
        self.loop = loop
        self.core = core
    }

    func start() throws {
        try loop.register(fd, self, events: UInt32(SWITCHBOARD_POLL_IN))
    }

    func close() {
        loop.deregister(fd)
        closeDescriptor(fd)
    }

    func pollReady(_ events: UInt32) {
        let keepAlive: Int32 = core.configuration.tcpKeepAlive > 0 ? 1 : 0
        // Up to 1,000 a wake-up, as Redis's MAX_ACCEPTS_PER_CALL.
        for _ in 0..<1000 {
            var storage = sockaddr_storage()
            var length = UInt32(MemoryLayout<sockaddr_storage>.size)
            let client = withUnsafeMutablePointer(to: &storage) { switchboard_accept(fd, $0, &length, keepAlive) }
            guard client >= 0 else {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if errno != EAGAIN && errno != EWOULDBLOCK {
                    core.logger.debug("Accepting client connection", metadata: ["errno": "\(errno)"])
                }
                return
            }
            let connection = BrokerConnection(
                fd: client, loop: loop, core: core, remoteAddress: Self.socketAddress(storage),
                localAddress: Self.localAddress(of: client))
            connection.start()
        }
    }

    /// A socket's own address.
    static func localAddress(of fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return result == 0 ? socketAddress(storage) : nil
    }

    static func socketAddress(_ storage: sockaddr_storage) -> SocketAddress? {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress($0.pointee) }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketAddress($0.pointee) }
            }
        default:
            return nil
        }
    }
}

/// close(2), for types with a `close()` of their own.
func closeDescriptor(_ fd: Int32) {
    _ = close(fd)
}
