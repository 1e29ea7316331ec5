import ArgumentParser
import NIOCore
import NIOPosix
import RedisClient

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the server is and how many event-loop threads the client side gets.
struct ServerOptions: ParsableArguments {
    @Option(help: "The server's host.")
    var host = "127.0.0.1"

    @Option(help: "The server's port.")
    var port = 6379

    @Option(help: "Event-loop threads for the client's connections (redis-benchmark uses one).")
    var threads = 1

    @Option(
        help: """
            Where the benchmark's tasks run: global (Swift Concurrency's default pool; every command \
            crosses to the event loop and back), nio (NIO's singleton event-loop group installed as \
            the global executor, and the connections on it; --threads is then ignored) or loop (each \
            task prefers its connection's or client's taskExecutor, so it runs on that event loop).
            """)
    var executor = Executor.global

    @Option(help: "The client's command timeout in seconds; 0 for none. Default: the module's (30 s).")
    var commandTimeout: Double?

    /// Where tasks run.
    enum Executor: String, ExpressibleByArgument {
        case global, nio, loop
    }

    /// The client configuration for the server, with the module's defaults otherwise.
    func configuration() throws -> RedisClientConfiguration {
        var configuration = try RedisClientConfiguration("redis://\(host):\(port)")
        if let commandTimeout {
            configuration.commandTimeout = commandTimeout > 0 ? .nanoseconds(Int64(commandTimeout * 1e9)) : nil
        }
        return configuration
    }

    /// The event-loop group for the connections (after installing NIO's executor, if asked for).
    func eventLoopGroup() -> EventLoopGroup {
        switch executor {
        case .global, .loop:
            return MultiThreadedEventLoopGroup(numberOfThreads: threads)
        case .nio:
            // Only here does the process switch executors, before it makes any connection.
            guard NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() else {
                fatalError("could not install NIO's event loops as the global executor")
            }
            return MultiThreadedEventLoopGroup.singleton
        }
    }

    /// Shuts down a group made by ``eventLoopGroup()`` (the singleton stays).
    func shutdown(_ group: EventLoopGroup) async throws {
        if executor != .nio { try await group.shutdownGracefully() }
    }

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }
}

/// A result line: `{"key": value, ...}` with the keys in the given order.
func jsonLine(_ fields: [(String, JSONField)]) -> String {
    "{" + fields.map { "\"\($0.0)\": \($0.1.text)" }.joined(separator: ", ") + "}"
}

/// A value in a result line.
enum JSONField {
    case string(String)
    case int(Int)
    case double(Double)

    var text: String {
        switch self {
        case .string(let s): "\"\(s)\""
        case .int(let n): "\(n)"
        case .double(let d): d.isFinite ? "\(d)" : "null"
        }
    }
}

/// CPU seconds (user and system) this process has used so far, all threads.
func processCPUSeconds() -> Double {
    var usage = rusage()
    #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
        getrusage(RUSAGE_SELF, &usage)
    #endif
    let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
    return user + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
