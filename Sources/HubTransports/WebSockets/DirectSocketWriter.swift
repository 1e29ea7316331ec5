import NIOCore

#if DEBUG
    import Synchronization
#endif

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Sends a connection's bytes with one `write(2)` on its socket, past SwiftNIO's channel, while
/// nothing else of the connection's is queued in the channel.
///
/// A fan-out writes the same message to hundreds of sockets, one system call each, and SwiftNIO's
/// way there (the pipeline, its pending-writes queue, writability bookkeeping, a flush) cost as
/// much CPU as the kernel's send itself. This is the short way for the common case: the client
/// reads, the kernel takes the bytes at once. Anything else (a send the kernel takes only part of,
/// would block on, or fails) goes to the channel as before, and SwiftNIO queues, retries, reports
/// the error and closes; the caller keeps using the channel until every write it gave it has
/// completed, so bytes never overtake each other.
///
/// SwiftNIO has no public accessor for a channel's descriptor. It is read from the channel's
/// description (`SocketChannel { BaseSocket { fd=17 }, ... }`) and used only when the socket
/// behind it has the channel's own local and remote address; otherwise (another SwiftNIO, another
/// channel type) there is no writer and everything goes through the channel. Every send first
/// checks that the channel is still active: SwiftNIO marks it inactive in the same step in which
/// it closes the descriptor, with no user code in between, so a closed descriptor (whose number
/// may already belong to a new socket) is never written.
struct DirectSocketWriter {
    let descriptor: CInt
    private let channel: any Channel

    /// The writer for `channel`'s socket, or nil when its descriptor cannot be found and verified.
    init?(channel: any Channel) {
        guard channel.isActive, let descriptor = Self.descriptor(in: String(describing: channel)),
            let local = channel.localAddress, let remote = channel.remoteAddress,
            Self.socket(descriptor, hasLocal: local, remote: remote)
        else { return nil }
        self.descriptor = descriptor
        self.channel = channel
        #if DEBUG
            self.peerPort = remote.port ?? 0
        #endif
    }

    #if DEBUG
        private let peerPort: Int
        /// Debug builds only, for tests: bytes sent this way, by the peer's port.
        static let bytesSentByPeerPort = Mutex<[Int: Int]>([:])
    #endif

    /// Sends as much of `bytes` as the kernel takes now: the count sent, or nil when nothing was
    /// (the socket's buffer is full, the connection failed, or the channel has closed).
    func send(_ bytes: ByteBuffer) -> Int? {
        guard channel.isActive else { return nil }
        // write(2), as SwiftNIO itself writes one buffer: the socket is non-blocking, SwiftNIO
        // ignores SIGPIPE process-wide before it makes a socket (a failed write returns EPIPE),
        // and the call counts in /proc/PID/io's `syscw` as NIO's do (hub-bench reports it).
        let sent = bytes.withUnsafeReadableBytes { raw in writeBytes(descriptor, raw.baseAddress, raw.count) }
        #if DEBUG
            if sent > 0 { Self.bytesSentByPeerPort.withLock { $0[peerPort, default: 0] += sent } }
        #endif
        return sent > 0 ? sent : nil
    }

    /// The number after `fd=` in a SwiftNIO socket channel's description.
    static func descriptor(in description: String) -> CInt? {
        guard let marker = description.range(of: "fd=") else { return nil }
        let digits = description[marker.upperBound...].prefix(while: \.isNumber)
        guard let value = CInt(digits), value >= 0 else { return nil }
        return value
    }

    static func socket(_ descriptor: CInt, hasLocal local: SocketAddress, remote: SocketAddress) -> Bool {
        address(of: descriptor, peer: false).map { same($0, local) } == true
            && address(of: descriptor, peer: true).map { same($0, remote) } == true
    }

    private static func address(of descriptor: CInt, peer: Bool) -> sockaddr_storage? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                peer ? getpeername(descriptor, $0, &length) : getsockname(descriptor, $0, &length)
            }
        }
        return result == 0 ? storage : nil
    }

    private static func same(_ storage: sockaddr_storage, _ address: SocketAddress) -> Bool {
        var storage = storage
        switch address {
        case .v4(let v4):
            guard storage.ss_family == sa_family_t(AF_INET) else { return false }
            return withUnsafeBytes(of: &storage) { raw in
                let own = raw.load(as: sockaddr_in.self)
                return own.sin_port == v4.address.sin_port && own.sin_addr.s_addr == v4.address.sin_addr.s_addr
            }
        case .v6(let v6):
            guard storage.ss_family == sa_family_t(AF_INET6) else { return false }
            return withUnsafeBytes(of: &storage) { raw in
                var own = raw.load(as: sockaddr_in6.self)
                var expected = v6.address
                return own.sin6_port == expected.sin6_port
                    && withUnsafeBytes(of: &own.sin6_addr) { a in
                        withUnsafeBytes(of: &expected.sin6_addr) { b in a.elementsEqual(b) }
                    }
            }
        default:
            return false
        }
    }
}

/// `write(2)`, named apart from the writer's own methods.
private func writeBytes(_ descriptor: CInt, _ pointer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, pointer, count)
}
