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
/// way there (the pipeline, its pending-writes queue, writability bookkeeping, a flush) cost about
/// 40% as much CPU again as the kernel's send itself (docs/benchmarks.md). This is the short way
/// for the common case: the client reads, the kernel takes the bytes at once. Anything else (a
/// send the kernel takes only part of, would block on, or fails) goes to the channel as before,
/// and SwiftNIO queues, retries, reports the error and closes; the caller keeps using the channel
/// until every write it gave it has completed, so bytes never overtake each other.
///
/// The descriptor is found by ``NIOSocketDescriptor``; when it cannot be (another SwiftNIO,
/// another channel type) there is no writer and everything goes through the channel. Every send
/// first checks that the channel is still active: SwiftNIO marks it inactive in the same step in
/// which it closes the descriptor, with no user code in between, so a closed descriptor (whose
/// number may already belong to a new socket) is never written.
struct DirectSocketWriter {
    private let descriptor: CInt
    private let channel: any Channel

    /// The writer for `channel`'s socket, or nil when its descriptor cannot be found and verified.
    init?(channel: any Channel) {
        guard let descriptor = NIOSocketDescriptor.of(channel) else { return nil }
        self.descriptor = descriptor
        self.channel = channel
        #if DEBUG
            self.ports = Ports(local: channel.localAddress?.port ?? 0, peer: channel.remoteAddress?.port ?? 0)
        #endif
    }

    #if DEBUG
        /// A connection's two ports.
        struct Ports: Hashable {
            var local: Int
            var peer: Int
        }
        private let ports: Ports
        /// Debug builds only, for tests: bytes sent this way, by connection.
        static let bytesSent = Mutex<[Ports: Int]>([:])
    #endif

    /// Sends as much of `bytes` as the kernel takes now: the count sent, or nil when nothing was
    /// (the socket's buffer is full, the connection failed, or the channel has closed).
    func send(_ bytes: ByteBuffer) -> Int? {
        guard channel.isActive else { return nil }
        // write(2), as SwiftNIO itself writes one buffer: the socket is non-blocking, SwiftNIO has
        // made a failed write return EPIPE instead of raising SIGPIPE (it ignores the signal
        // process-wide on Linux and sets F_SETNOSIGPIPE on each socket elsewhere), and the call
        // counts in /proc/PID/io's `syscw` as NIO's do (hub-bench reports it).
        let sent = bytes.withUnsafeReadableBytes { raw in writeBytes(descriptor, raw.baseAddress, raw.count) }
        #if DEBUG
            if sent > 0 { Self.bytesSent.withLock { $0[ports, default: 0] += sent } }
        #endif
        return sent > 0 ? sent : nil
    }
}

/// `write(2)`, named apart from the writer's own methods.
private func writeBytes(_ descriptor: CInt, _ pointer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, pointer, count)
}
