import Foundation
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A plain TCP client socket that reads only when told to — a client that stops reading, which an
/// event-loop client cannot be (NIO keeps reading into memory). A small receive buffer makes the
/// server's writes back up quickly.
public final class BlockingSocket: Sendable {
    /// The socket descriptor.
    public let descriptor: Int32

    /// How reading ended.
    public enum End: Sendable, Equatable {
        /// The server closed the connection (end of file).
        case closed
        /// The connection was reset.
        case reset
    }

    /// Connects to 127.0.0.1:`port`; `receiveBufferSize` (bytes, before the kernel's adjustments)
    /// is set before connecting so the advertised window stays small.
    public static func connect(port: Int, receiveBufferSize: Int? = nil) throws -> BlockingSocket {
        #if os(Linux)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw TestSupportError("socket failed: \(String(cString: strerror(errno)))") }
        if var size = receiveBufferSize.map(Int32.init) {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        // Sends block while the server does not read; bound them so a test cannot hang.
        var sendTimeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                systemConnect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw TestSupportError("connect to port \(port) failed: \(reason)")
        }
        return BlockingSocket(descriptor: fd)
    }

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Sends all of `text`; fails when the connection is gone or the server reads nothing for 10 s.
    public func send(_ text: String) throws {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { systemSend(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw TestSupportError("send failed: \(String(cString: strerror(errno)))")
            }
            bytes = bytes.dropFirst(n)
        }
    }

    /// Reads until `done` holds for the bytes read (returns them), the connection ends, or `timeout`.
    public func receive(
        timeout: TimeAmount = .seconds(10), until done: @escaping @Sendable ([UInt8]) -> Bool
    ) async throws -> [UInt8] {
        let fd = descriptor
        return try await onThread {
            var received: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            let deadline = NIODeadline.now() + timeout
            while !done(received) {
                let n = try Self.read(fd, &chunk, until: deadline)
                if n <= 0 { throw TestSupportError("connection ended after \(received.count) bytes") }
                received += chunk[0..<n]
            }
            return received
        }
    }

    /// Reads and discards everything until the connection ends; returns how it ended and the bytes read.
    public func drainUntilEnd(timeout: TimeAmount = .seconds(10)) async throws -> (end: End, bytes: Int) {
        let fd = descriptor
        return try await onThread {
            var total = 0
            var chunk = [UInt8](repeating: 0, count: 65536)
            let deadline = NIODeadline.now() + timeout
            while true {
                let n = try Self.read(fd, &chunk, until: deadline)
                if n == 0 { return (.closed, total) }
                if n < 0 { return (.reset, total) }
                total += n
            }
        }
    }

    /// One read that waits at most until `deadline`: the count, 0 at end of file, -1 on reset.
    private static func read(_ fd: Int32, _ chunk: inout [UInt8], until deadline: NIODeadline) throws -> Int {
        while true {
            let left = deadline - NIODeadline.now()
            guard left > .zero else { throw TestSupportError("timed out reading the socket") }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(max(1, left.nanoseconds / 1_000_000)))
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { continue }
            let n = recv(fd, &chunk, chunk.count, 0)
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                if errno == ECONNRESET { return -1 }
                throw TestSupportError("recv failed: \(String(cString: strerror(errno)))")
            }
            return n
        }
    }

    private func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    deinit {
        close(descriptor)
    }
}

private func systemConnect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    connect(fd, address, length)
}

private func systemSend(_ fd: Int32, _ bytes: UnsafeRawPointer?, _ count: Int, _ flags: Int32) -> Int {
    send(fd, bytes, count, flags)
}
