import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A real `redis-server` (the reference) started on a free port for one test, and stopped by PID.
public final class RedisServerProcess: @unchecked Sendable {
    // @unchecked: every stored property is set once in init; `stop()` guards itself with a flag
    // that only the owning test touches.
    /// The child's process id.
    public let pid: pid_t
    /// The port it listens on (127.0.0.1).
    public let port: Int
    /// Its working directory (removed on stop).
    public let directory: String
    private var stopped = false

    /// The path of `redis-server`, or `nil` when it is not installed.
    public static var executable: String? { ChildProcess.find("redis-server") }

    /// Whether tests that compare with Redis can run here.
    public static var isAvailable: Bool { executable != nil }

    /// Starts redis-server and returns once it logs that it accepts connections.
    public static func start(arguments: [String] = []) async throws -> RedisServerProcess {
        guard let executable else { throw TestSupportError("redis-server is not installed") }
        var lastError: Error = TestSupportError("redis-server did not start")
        for _ in 0..<3 {  // a port found free can be taken before redis binds it
            let port = try FreePort.find()
            do {
                return try await RedisServerProcess(executable: executable, port: port, arguments: arguments)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    private init(executable: String, port: Int, arguments: [String]) async throws {
        self.port = port
        directory = NSTemporaryDirectory() + "redis-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let child = try ChildProcess.spawn(
            executable,
            [
                "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", directory, "--daemonize", "no", "--loglevel", "notice",
            ] + arguments)
        pid = child.pid
        let ready = await child.waitForOutput(containing: "Ready to accept connections")
        guard ready else {
            ChildProcess.terminate(pid)
            throw TestSupportError("redis-server on port \(port) exited before it was ready")
        }
    }

    /// Stops the server (SIGTERM to its PID) and waits for it to exit.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        ChildProcess.terminate(pid)
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}

/// Spawns programs with posix_spawn (Foundation's `Process.waitUntilExit` spins a CPU on Linux).
public struct ChildProcess: Sendable {
    /// The child's process id.
    public let pid: pid_t
    /// The read end of a pipe carrying its standard output and error.
    public let outputDescriptor: Int32

    /// The full path of a program on `PATH`, or `nil`.
    public static func find(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if access(path, X_OK) == 0 { return path }
        }
        return nil
    }

    /// Starts `executable` with `arguments`, its standard output and error going to a pipe.
    public static func spawn(_ executable: String, _ arguments: [String]) throws -> ChildProcess {
        var fds: [Int32] = [0, 0]
        // Close-on-exec, so a child spawned by a test running in parallel cannot inherit this pipe
        // and keep it open after this child has exited.
        guard pipe(&fds) == 0 else { throw TestSupportError("pipe failed") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        // The calling thread may block signals (dispatch's threads do); the child must not inherit
        // that, or it would never see SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw TestSupportError("could not start \(executable): \(String(cString: strerror(rc)))")
        }
        return ChildProcess(pid: pid, outputDescriptor: fds[0])
    }

    /// Reads the child's output on a thread of its own until `text` appears (`true`) or the output
    /// ends (`false`); afterwards keeps draining it so the child never blocks on a full pipe.
    public func waitForOutput(containing text: String) async -> Bool {
        let fd = outputDescriptor
        return await withCheckedContinuation { continuation in
            let thread = Thread {
                var seen: [UInt8] = []
                var resumed = false
                var chunk = [UInt8](repeating: 0, count: 4096)
                while true {
                    let n = read(fd, &chunk, chunk.count)
                    if n <= 0 { break }
                    if !resumed {
                        seen += chunk[0..<n]
                        if String(decoding: seen, as: UTF8.self).contains(text) {
                            resumed = true
                            continuation.resume(returning: true)
                        }
                    }
                }
                close(fd)
                if !resumed { continuation.resume(returning: false) }
            }
            thread.start()
        }
    }

    /// Sends SIGTERM to `pid` and reaps it.
    public static func terminate(_ pid: pid_t) {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}

/// A failure of a test helper, with what went wrong.
public struct TestSupportError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
