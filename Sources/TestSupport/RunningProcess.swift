import CBrokerSupport
import Foundation
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A child process whose output a test awaits, whose input it may type, and whose exit it observes.
///
/// Its standard output and error go to one pipe, or — with ``spawnInTerminal(_:_:columns:rows:)`` — to
/// a pseudo-terminal, so programs that behave differently on a terminal (redis-cli's prompt, line
/// editing and unbuffered `--stat`) can be driven as a person would. A thread reads the output and
/// another reaps the child; every wait ends on those events or on its timeout. A process still
/// running when this object goes away is killed.
public final class RunningProcess: Sendable {
    /// What the child reads on its standard input.
    public enum Input: Sendable {
        /// `/dev/null`: the child sees end of input at once.
        case null
        /// A pipe the test writes with ``write(_:)`` and ends with ``closeInput()``.
        case pipe
    }

    /// The child's process id.
    public let pid: pid_t
    /// Everything it has printed so far (standard output and error together).
    public let output: ProcessOutput
    private let input: DescriptorBox
    private let exit: WaitableState<Int32?>

    private init(pid: pid_t, outputDescriptor: Int32, inputDescriptor: Int32) {
        self.pid = pid
        output = ProcessOutput(descriptor: outputDescriptor)
        input = DescriptorBox(inputDescriptor)
        let exit = WaitableState<Int32?>(nil)
        self.exit = exit
        let thread = Thread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            // Exit code, or 128 + signal like a shell.
            let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            exit.update { $0 = code }
        }
        thread.start()
    }

    /// The full path of a program on `PATH`, or `nil`.
    public static func find(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if access(path, X_OK) == 0 { return path }
        }
        return nil
    }

    /// Starts `executable` with `arguments`, its output going to a pipe.
    public static func spawn(
        _ executable: String, _ arguments: [String], input: Input = .null
    ) throws -> RunningProcess {
        // Socket pairs rather than pipes because they can be made close-on-exec atomically (Swift does
        // not see pipe2): a child spawned at the same moment by a parallel test must not inherit our
        // ends, or it would hold them open and this one's end of output would never come.
        var outputPipe: [Int32] = [0, 0]
        guard makeStreamPair(&outputPipe) else { throw TestSupportError("socketpair failed") }
        var inputPipe: [Int32] = [-1, -1]
        if case .pipe = input {
            guard makeStreamPair(&inputPipe) else {
                close(outputPipe[0])
                close(outputPipe[1])
                throw TestSupportError("pipe failed")
            }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if case .pipe = input {
            posix_spawn_file_actions_adddup2(&actions, inputPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 2)
        closeInheritedDescriptors(&actions)
        let pid: pid_t
        do {
            pid = try spawn(executable, arguments, actions: &actions, newSession: false)
        } catch {
            for fd in outputPipe + inputPipe where fd >= 0 { close(fd) }
            throw error
        }
        close(outputPipe[1])
        if inputPipe[0] >= 0 { close(inputPipe[0]) }
        return RunningProcess(pid: pid, outputDescriptor: outputPipe[0], inputDescriptor: inputPipe[1])
    }

    /// Starts `executable` with `arguments` on a new pseudo-terminal of `columns` × `rows` (a size is
    /// set so line editors need not ask the terminal for its cursor position). ``write(_:)`` types.
    public static func spawnInTerminal(
        _ executable: String, _ arguments: [String], columns: Int = 80, rows: Int = 24
    ) throws -> RunningProcess {
        let (master, slavePath) = try openTerminal(columns: columns, rows: rows)
        // The reading thread owns its own descriptor, so closing the input never races a read.
        let reader = fcntl(master, F_DUPFD_CLOEXEC, 0)
        guard reader >= 0 else {
            close(master)
            throw TestSupportError("dup failed")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Opened in the child after setsid, so the terminal becomes its controlling terminal.
        posix_spawn_file_actions_addopen(&actions, 0, slavePath, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        closeInheritedDescriptors(&actions)
        let pid: pid_t
        do {
            pid = try spawn(executable, arguments, actions: &actions, newSession: true)
        } catch {
            close(master)
            close(reader)
            throw error
        }
        return RunningProcess(pid: pid, outputDescriptor: reader, inputDescriptor: master)
    }

    /// A new pseudo-terminal of the given size: its master side and the path of its slave side.
    private static func openTerminal(columns: Int, rows: Int) throws -> (Int32, String) {
        // posix_openpt, unlockpt and ptsname are not visible to Swift; on Linux they are these calls.
        #if os(Linux)
            let master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
            guard master >= 0 else { throw TestSupportError("/dev/ptmx: \(String(cString: strerror(errno)))") }
            var unlock: Int32 = 0
            var number: UInt32 = 0
            guard ioctl(master, 0x4004_5431 /* TIOCSPTLCK */, &unlock) == 0,
                ioctl(master, 0x8004_5430 /* TIOCGPTN */, &number) == 0
            else {
                close(master)
                throw TestSupportError("could not unlock the pseudo-terminal")
            }
            var size = winsize(ws_row: UInt16(rows), ws_col: UInt16(columns), ws_xpixel: 0, ws_ypixel: 0)
            _ = ioctl(master, UInt(TIOCSWINSZ), &size)
            return (master, "/dev/pts/\(number)")
        #else
            throw TestSupportError("pseudo-terminals are only set up on Linux")
        #endif
    }

    private static func spawn(
        _ executable: String, _ arguments: [String], actions: inout posix_spawn_file_actions_t, newSession: Bool
    ) throws -> pid_t {
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
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        #if os(Linux)
            if newSession { flags |= 0x80 }  // POSIX_SPAWN_SETSID (glibc ≥ 2.26; not imported into Swift)
        #endif
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw TestSupportError("could not start \(executable): \(String(cString: strerror(rc)))") }
        return pid
    }

    /// Writes `text` to the child's input (typing it, on a terminal; a terminal's Enter is `"\r"`).
    public func write(_ text: String) throws {
        try input.withDescriptor { fd in
            guard fd >= 0 else { throw TestSupportError("the process has no input to write") }
            var bytes = Array(text.utf8)[...]
            while !bytes.isEmpty {
                let n = bytes.withUnsafeBytes { writeBytes(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw TestSupportError("write to the process failed: \(String(cString: strerror(errno)))")
                }
                bytes = bytes.dropFirst(n)
            }
        }
    }

    /// Ends the child's input (end of file on a pipe; on a terminal, the terminal goes away).
    public func closeInput() {
        input.close()
    }

    /// Waits until the output contains `text`; returns all output so far.
    @discardableResult
    public func waitForOutput(containing text: String, timeout: TimeAmount = .seconds(10)) async throws -> String {
        try await output.wait(for: "output containing \(text.debugDescription)", timeout: timeout) {
            $0.contains(text) ? $0 : nil
        }
    }

    /// Waits until `condition` holds for the output so far; returns that output.
    @discardableResult
    public func waitForOutput(
        _ what: String, timeout: TimeAmount = .seconds(10), until condition: @escaping @Sendable (String) -> Bool
    ) async throws -> String {
        try await output.wait(for: what, timeout: timeout) { condition($0) ? $0 : nil }
    }

    /// Whether the child has exited (and been reaped).
    public var hasExited: Bool { exit.value != nil }

    /// Waits for the child to exit; returns its exit code, or 128 + the signal that ended it.
    @discardableResult
    public func waitForExit(timeout: TimeAmount = .seconds(10)) async throws -> Int32 {
        try await exit.wait(timeout: timeout, what: "process \(pid) to exit", describe: { _ in "" }) { $0 }
    }

    /// Sends `signal` to the child if it is still running.
    public func signal(_ signal: Int32) {
        if exit.value == nil { kill(pid, signal) }
    }

    /// Stops the child: SIGTERM, then SIGKILL if it has not exited within `grace`; returns its status.
    @discardableResult
    public func terminate(grace: TimeAmount = .seconds(5)) async -> Int32 {
        signal(SIGTERM)
        if let code = try? await waitForExit(timeout: grace) { return code }
        signal(SIGKILL)
        return (try? await waitForExit(timeout: .seconds(10))) ?? -1
    }

    deinit {
        input.close()
        if exit.value == nil { kill(pid, SIGKILL) }
    }
}

/// The child's input descriptor, closed once (a closed number may be reused by another open).
final class DescriptorBox: Sendable {
    private let box: NIOLockedValueBox<Int32>

    init(_ fd: Int32) { box = NIOLockedValueBox(fd) }

    func withDescriptor<T>(_ body: (Int32) throws -> T) rethrows -> T {
        try box.withLockedValue { try body($0) }
    }

    func close() {
        box.withLockedValue { fd in
            if fd >= 0 { closeDescriptor(fd) }
            fd = -1
        }
    }
}

private func writeBytes(_ fd: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
    write(fd, bytes, count)
}

private func closeDescriptor(_ fd: Int32) {
    close(fd)
}

private func makeStreamPair(_ fds: inout [Int32]) -> Bool {
    #if os(Linux)
        socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0
    #else
        socketpair(AF_UNIX, SOCK_STREAM, 0, &fds) == 0
    #endif
}

/// Closes every descriptor above stderr in the child. Sockets the test process has open (a
/// broker's listener, say) may lack close-on-exec; a child that inherited one would keep the
/// port bound after the test closed it, and restarting a server on that port would fail.
private func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
    _ = switchboard_spawn_close_from(&actions, 3)
}
