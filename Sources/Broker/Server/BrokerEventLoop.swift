import CBrokerSupport
import Dispatch
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Something registered with a ``BrokerEventLoop``, called on the loop when its descriptor is ready.
protocol BrokerPollable: AnyObject {
    /// `events` holds `SWITCHBOARD_POLL_*` bits.
    func pollReady(_ events: UInt32)
}

/// The broker's event loop: one thread that waits in epoll on the listeners, every client socket
/// and a wake-up eventfd, and runs NIO tasks and timers between waits.
///
/// It is a NIO `EventLoop`, so the broker's promises, futures and timers work unchanged, but its
/// sockets are its own: a ready client is read with one `read(2)` into its query buffer and
/// answered with one `send(2)` from its output buffer, as Redis does. NIO's channel pipeline
/// (a receive buffer, an `NIOAny` and a write promise per event) cost about 1.5 µs of CPU per
/// unpipelined request here, more than the command itself (`tools/bench-broker-cpu`).
///
/// Tasks submitted from the loop itself run after the current batch of ready descriptors, which
/// is when the broker flushes the pushes a batch produced.
///
/// A busy loop (one that worked at least half of a window, until a window is less than a quarter
/// work) polls again for a moment instead of sleeping, which spares its clients the cost of waking
/// it (``BusyPollPolicy``; `busy-poll no` turns it off).
final class BrokerEventLoop: EventLoop, @unchecked Sendable {
    // @unchecked: the fields below `lock` are touched only on the loop's thread; `remote*` and
    // `state` only under `lock`; the rest is immutable after `init`.
    private let poller: Int32
    private let wakeFD: Int32
    private var thread = pthread_t()
    private let lock = NIOLock()
    private var remoteTasks: [@Sendable () -> Void] = []
    private var wakeRequested = false
    private var state = State.running
    private var nextTimerID: UInt64 = 0
    private var shutdownCallbacks: [(DispatchQueue, @Sendable (Error?) -> Void)] = []

    @exclusivity(unchecked) private var localTasks: [() -> Void] = []
    @exclusivity(unchecked) private var timers: [Timer] = []
    @exclusivity(unchecked) private var handlers: [BrokerPollable?] = []
    /// Whether to poll instead of sleeping (see ``BusyPollPolicy``); set on the loop only.
    @exclusivity(unchecked) var busyPoll: BusyPollPolicy
    private let readyFDs: UnsafeMutablePointer<Int32>
    private let readyEvents: UnsafeMutablePointer<UInt32>
    private static let batch = 512

    private enum State { case running, stopping, stopped }

    // @unchecked: made and run on the loop only (and moved there from other threads).
    private struct Timer: @unchecked Sendable {
        let deadline: UInt64
        let id: UInt64
        let run: () -> Void
    }

    /// Starts the loop's thread.
    /// `busyPoll`: whether the loop may busy-poll (`busy-poll`); `CONFIG SET` changes it later.
    init(busyPoll: Bool = true) throws {
        self.busyPoll = BusyPollPolicy(enabled: busyPoll, now: DispatchTime.now().uptimeNanoseconds)
        poller = switchboard_poll_create()
        guard poller >= 0 else { throw IOError(errnoCode: errno, reason: "epoll_create1") }
        wakeFD = switchboard_wake_create()
        guard wakeFD >= 0 else {
            let code = errno
            closeDescriptor(poller)
            throw IOError(errnoCode: code, reason: "eventfd")
        }
        guard switchboard_poll_control(poller, 0, wakeFD, UInt32(SWITCHBOARD_POLL_IN)) == 0 else {
            let code = errno
            closeDescriptor(poller)
            closeDescriptor(wakeFD)
            throw IOError(errnoCode: code, reason: "epoll_ctl")
        }
        readyFDs = .allocate(capacity: Self.batch)
        readyEvents = .allocate(capacity: Self.batch)
        let started = DispatchSemaphore(value: 0)
        // A strong capture: a loop dropped without `shutdownGracefully` keeps running, as NIO's do.
        let box = Unmanaged.passRetained(
            ThreadBody {
                self.thread = pthread_self()
                started.signal()
                self.run()
            }
        ).toOpaque()
        var created = pthread_t()
        let result = pthread_create(
            &created, nil,
            { raw in
                Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().body()
                return nil
            }, box)
        precondition(result == 0, "pthread_create failed: \(result)")
        started.wait()
    }

    deinit {
        closeDescriptor(poller)
        closeDescriptor(wakeFD)
        readyFDs.deallocate()
        readyEvents.deallocate()
    }

    // MARK: Descriptors

    /// Watches `fd` for `events` (`SWITCHBOARD_POLL_*`), calling `handler` when it is ready.
    func register(_ fd: Int32, _ handler: BrokerPollable, events: UInt32) throws {
        let index = Int(fd)
        if index >= handlers.count {
            handlers.append(contentsOf: repeatElement(nil, count: max(index + 1 - handlers.count, handlers.count)))
        }
        guard switchboard_poll_control(poller, 0, fd, events) == 0 else {
            throw IOError(errnoCode: errno, reason: "epoll_ctl")
        }
        handlers[index] = handler
    }

    /// Changes what `fd` is watched for.
    func reregister(_ fd: Int32, events: UInt32) {
        _ = switchboard_poll_control(poller, 1, fd, events)
    }

    /// Stops watching `fd`; call before closing it.
    func deregister(_ fd: Int32) {
        _ = switchboard_poll_control(poller, 2, fd, 0)
        if Int(fd) < handlers.count { handlers[Int(fd)] = nil }
    }

    // MARK: The loop

    private func run() {
        var polledEmpty = false
        while true {
            var timeout = nextTimeout()
            if timeout != 0 && busyPoll.shouldPoll(now: DispatchTime.now().uptimeNanoseconds) {
                // Busy: poll again instead of sleeping, letting other threads of this CPU run
                // between empty polls.
                if polledEmpty { sched_yield() }
                timeout = 0
            }
            let count = switchboard_poll_wait(poller, readyFDs, readyEvents, Int32(Self.batch), timeout)
            if count < 0 && errno != EINTR {
                // Only a broken epoll descriptor fails here; nothing could be served any more.
                fatalError("epoll_wait failed: errno \(errno)")
            }
            let start = DispatchTime.now().uptimeNanoseconds
            polledEmpty = count <= 0
            var index = 0
            while index < Int(count) {
                let fd = readyFDs[index]
                if fd == wakeFD {
                    var value: UInt64 = 0
                    _ = read(wakeFD, &value, 8)
                } else if Int(fd) < handlers.count, let handler = handlers[Int(fd)] {
                    handler.pollReady(readyEvents[index])
                }
                index += 1
            }
            runTimers()
            if runTasks() { break }
            busyPoll.turn(start: start, end: DispatchTime.now().uptimeNanoseconds, ready: count > 0)
        }
        // Stopping: run what was queued, and fail the timers that will never fire.
        while true {
            let pending = timers
            timers.removeAll()
            _ = runTasks()
            for timer in pending { timer.run() }
            let done = lock.withLock { () -> Bool in
                if remoteTasks.isEmpty && localTasks.isEmpty && timers.isEmpty {
                    state = .stopped
                    return true
                }
                return false
            }
            if done { break }
        }
        handlers.removeAll()
        let callbacks = lock.withLock { shutdownCallbacks }
        for (queue, callback) in callbacks { queue.async { callback(nil) } }
    }

    /// Milliseconds `epoll_wait` may sleep: 0 with tasks waiting, until the next timer, or forever.
    private func nextTimeout() -> Int32 {
        if !localTasks.isEmpty { return 0 }
        guard let first = timers.first else { return -1 }
        let now = DispatchTime.now().uptimeNanoseconds
        guard first.deadline > now else { return 0 }
        let milliseconds = (first.deadline - now + 999_999) / 1_000_000
        return Int32(clamping: milliseconds)
    }

    private func runTimers() {
        guard let first = timers.first else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard first.deadline <= now else { return }
        let due = timers.prefix { $0.deadline <= now }
        timers.removeFirst(due.count)
        for timer in due { timer.run() }
    }

    /// Runs the queued tasks; returns whether the loop is to stop.
    private func runTasks() -> Bool {
        if !localTasks.isEmpty {
            let tasks = localTasks
            localTasks.removeAll(keepingCapacity: true)
            for task in tasks { task() }
        }
        let (remote, stopping) = lock.withLock { () -> ([@Sendable () -> Void], Bool) in
            let tasks = remoteTasks
            remoteTasks.removeAll()
            wakeRequested = false
            return (tasks, state != .running)
        }
        for task in remote { task() }
        return stopping && localTasks.isEmpty
    }

    private func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    // MARK: EventLoop

    var inEventLoop: Bool { pthread_equal(pthread_self(), thread) != 0 }

    func execute(_ task: @escaping @Sendable () -> Void) {
        if inEventLoop {
            localTasks.append(task)
            return
        }
        let needsWake = lock.withLock { () -> Bool in
            guard state != .stopped else { return false }
            remoteTasks.append(task)
            defer { wakeRequested = true }
            return !wakeRequested
        }
        if needsWake { wake() }
    }

    func scheduleTask<T>(deadline: NIODeadline, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        let promise: EventLoopPromise<T> = makePromise()
        let (id, stopped) = lock.withLock { () -> (UInt64, Bool) in
            nextTimerID += 1
            return (nextTimerID, state == .stopped)
        }
        if stopped {
            promise.fail(EventLoopError.shutdown)
        } else {
            let timer = Timer(deadline: deadline.uptimeNanoseconds, id: id) { [unowned self] in
                guard self.lock.withLock({ self.state == .running }) else {
                    return promise.fail(EventLoopError.shutdown)
                }
                // On the loop, where the promise lives: its value need not be Sendable.
                do { promise.assumeIsolated().succeed(try task()) } catch { promise.fail(error) }
            }
            if inEventLoop { insert(timer) } else { execute { self.insert(timer) } }
        }
        // A strong capture: a weak one would give the loop a side table, and every retain and
        // release of it would take the slow path.
        return Scheduled(promise: promise) {
            if self.inEventLoop { self.cancelTimer(id) } else { self.execute { self.cancelTimer(id) } }
        }
    }

    func scheduleTask<T>(in delay: TimeAmount, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        scheduleTask(deadline: .now() + delay, task)
    }

    private func insert(_ timer: Timer) {
        let index = timers.firstIndex { $0.deadline > timer.deadline } ?? timers.endIndex
        timers.insert(timer, at: index)
    }

    private func cancelTimer(_ id: UInt64) {
        if let index = timers.firstIndex(where: { $0.id == id }) { timers.remove(at: index) }
    }

    func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable (Error?) -> Void) {
        let (alreadyStopped, first) = lock.withLock { () -> (Bool, Bool) in
            if state == .stopped { return (true, false) }
            shutdownCallbacks.append((queue, callback))
            defer { state = .stopping }
            return (false, state == .running)
        }
        if alreadyStopped {
            queue.async { callback(nil) }
            return
        }
        guard first else { return }
        wake()
        // Joined off the loop (and off the caller, which may be on a cooperative thread).
        let thread = self.thread
        DispatchQueue.global().async { pthread_join(thread, nil) }
    }
}

/// The closure a new thread runs, passed through `pthread_create`'s context pointer.
private final class ThreadBody {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}
