import CBrokerSupport
import HubTransports
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// How hub-bench's receiving loops read their connections while measuring.
enum ReceivePath: String, Sendable, CaseIterable {
    /// ``RawReceiver``: the loop's own epoll set, polled, and `read(2)`.
    case raw
    /// SwiftNIO's channels, as while connecting.
    case nio
}

/// Reads one receiving loop's hub connections with its own epoll set and `read(2)`, past
/// SwiftNIO's channels, while the bench measures (`--receive raw`, the default).
///
/// Two costs of SwiftNIO's read path fall on what is measured, not only on hub-bench:
/// - its per-read machinery (the pipeline, buffer allocation, lifecycle checks) was about 40% of
///   hub-bench's own CPU per message, so one core of hub-bench receiving 100,000 messages/s was
///   80–95% busy and the last of 1,000 connections read a broadcast milliseconds late;
/// - its loop sleeps in `epoll_wait` on the connections' sockets, so a node's send often has to
///   wake it, and that wake-up runs in the node's `write`.
///
/// Here the loop turns auto-read off on its connections (SwiftNIO then stops asking its own epoll
/// set for their input; it still watches them for errors and hang-ups), and a task on the same
/// loop polls them with a zero timeout, reads each ready socket once and hands the bytes to the
/// connection's handler, as SwiftNIO's read would. The task runs until a poll finds nothing (or
/// `slice` has passed); then the loop runs its own tasks and timers and sleeps `pause` on its
/// timer, with no thread waiting on the connections' sockets. Once polls have found nothing for
/// about a millisecond, the task waits on its epoll set instead, up to a millisecond, so an idle
/// run does not spin. Everything stays on the loop's thread, so the handlers need no locks. A
/// socket that ends or fails (read returns 0 or an error) goes back to SwiftNIO, which reads it
/// again and closes as usual; `stop` gives every connection back before the bench closes them.
///
/// Only loops without senders read this way: a sender's due send should not wait behind a poll.
final class RawReceiver {
    /// How long the loop waits between polls once one found nothing.
    static let pause = TimeAmount.microseconds(50)
    /// Longest a task polls, in nanoseconds, before the loop runs its own tasks and timers.
    static let slice: UInt64 = 200_000
    /// Tasks in a row that found nothing (about 1 ms of `pause`s) before a task waits on the set.
    static let idleTasks = 20
    /// How long, in milliseconds, a task waits on the set once idle.
    static let idleWait: Int32 = 1
    private static let maximumEvents = 256  // switchboard_poll_wait takes at most 512
    private static let readSize = 64 * 1024

    private let state: LoopState
    private let epoll: CInt
    private var handlers: [CInt: HubConnectionHandler] = [:]
    private var readyDescriptors = [Int32](repeating: 0, count: RawReceiver.maximumEvents)
    private var readyEvents = [UInt32](repeating: 0, count: RawReceiver.maximumEvents)
    private var buffer = ByteBufferAllocator().buffer(capacity: RawReceiver.readSize)
    private var task: Scheduled<Void>?
    private var running = false
    private var emptyTasks = 0

    init?(state: LoopState) {
        epoll = switchboard_poll_create()
        guard epoll >= 0 else { return nil }
        self.state = state
    }

    deinit {
        close(epoll)
    }

    /// Takes over reading every open connection of the loop whose socket can be found; the rest
    /// stay with SwiftNIO. Returns how many were taken.
    @discardableResult
    func start() -> Int {
        state.loop.assertInEventLoop()
        for handler in state.connections.values {
            guard let channel = handler.openChannel, let descriptor = NIOSocketDescriptor.of(channel),
                (try? channel.syncOptions?.setOption(.autoRead, value: false)) != nil
            else { continue }
            guard switchboard_poll_control(epoll, 0, descriptor, UInt32(SWITCHBOARD_POLL_IN)) == 0 else {
                giveBack(channel)
                continue
            }
            handlers[descriptor] = handler
        }
        running = true
        schedule()
        return handlers.count
    }

    /// Gives every connection back to SwiftNIO, which reads them again.
    func stop() {
        state.loop.assertInEventLoop()
        running = false
        task?.cancel()
        task = nil
        for (descriptor, handler) in handlers where !handler.inactive {
            // (A closed channel's descriptor has already left the set.)
            switchboard_poll_control(epoll, 2, descriptor, 0)
            if let channel = handler.openChannel { giveBack(channel) }
        }
        handlers = [:]
    }

    private func schedule() {
        task = state.loop.assumeIsolated().scheduleTask(in: Self.pause) { self.poll() }
    }

    private func poll() {
        guard running else { return }
        let end = NIODeadline.now().uptimeNanoseconds + Self.slice
        var timeout = emptyTasks >= Self.idleTasks ? Self.idleWait : 0
        var found = false
        while true {
            let ready = switchboard_poll_wait(
                epoll, &readyDescriptors, &readyEvents, Int32(Self.maximumEvents), timeout)
            guard ready > 0 else { break }
            found = true
            timeout = 0
            for index in 0..<Int(ready) { read(readyDescriptors[index]) }
            if NIODeadline.now().uptimeNanoseconds >= end { break }
        }
        emptyTasks = found ? 0 : emptyTasks + 1
        if running { schedule() }
    }

    private func read(_ descriptor: CInt) {
        guard let handler = handlers[descriptor] else { return }
        // A closed channel's descriptor has left the set with it, and its number may already be
        // another file's: never read it.
        guard !handler.inactive else {
            handlers[descriptor] = nil
            return
        }
        buffer.clear()
        var result = 0
        var error: CInt = 0
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.readSize) { space in
            result = readBytes(descriptor, space.baseAddress, space.count)
            error = errno
            return max(result, 0)
        }
        if result > 0 {
            handler.receiveRead(buffer)
            // The bytes may have closed the connection (a Close message, a malformed frame).
            if handler.inactive { handlers[descriptor] = nil }
            return
        }
        if result < 0 && (error == EAGAIN || error == EINTR) { return }
        // The end of the stream (0) or an error: SwiftNIO reads it again and closes as usual.
        release(descriptor, handler)
    }

    /// A connection that ended or failed goes back to SwiftNIO, which reads the end and closes.
    private func release(_ descriptor: CInt, _ handler: HubConnectionHandler) {
        handlers[descriptor] = nil
        switchboard_poll_control(epoll, 2, descriptor, 0)
        if let channel = handler.openChannel { giveBack(channel) }
    }

    private func giveBack(_ channel: any Channel) {
        _ = try? channel.syncOptions?.setOption(.autoRead, value: true)
    }
}

/// `read(2)`, named apart from the receiver's own `read`.
private func readBytes(_ descriptor: CInt, _ pointer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, pointer, count)
}
