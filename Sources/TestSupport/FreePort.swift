import NIOCore
import NIOPosix

/// Finds TCP ports nobody listens on, for servers that cannot bind port 0 themselves (redis-server
/// treats `--port 0` as "no TCP").
public enum FreePort {
    /// A port that was free a moment ago on 127.0.0.1.
    public static func find() throws -> Int {
        let group = MultiThreadedEventLoopGroup.singleton
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0).wait()
        let port = channel.localAddress!.port!
        try channel.close().wait()
        return port
    }
}
