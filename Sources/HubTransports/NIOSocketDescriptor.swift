import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The file descriptor of a SwiftNIO socket channel, for the few places that call the kernel on
/// it themselves (``DirectSocketWriter``; hub-bench's raw receive loop).
///
/// SwiftNIO has no public accessor for it. It is read from the channel's description
/// (`SocketChannel { BaseSocket { fd=17 }, ... }`) and given out only when the socket behind that
/// number has the channel's own local and remote address, so another SwiftNIO's format, another
/// channel type or a number that is not the channel's socket gives nil, never a wrong descriptor.
/// SwiftNIO still owns the descriptor: a caller uses it only on the channel's event loop while
/// the channel is active (SwiftNIO marks it inactive in the same step in which it closes it).
/// Bytes written to it skip every handler in the pipeline, so it is for plaintext channels only
/// (the hub nodes serve plain HTTP; TLS, where wanted, is a proxy's job in front of them).
public enum NIOSocketDescriptor {
    /// `channel`'s descriptor, or nil when it is not active or its descriptor cannot be verified.
    public static func of(_ channel: any Channel) -> CInt? {
        channel.eventLoop.preconditionInEventLoop()
        guard channel.isActive, let descriptor = parse(String(describing: channel)),
            let local = channel.localAddress, let remote = channel.remoteAddress,
            socket(descriptor, hasLocal: local, remote: remote)
        else { return nil }
        return descriptor
    }

    /// The number after `fd=` in a SwiftNIO socket channel's description.
    static func parse(_ description: String) -> CInt? {
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
