import NIOCore

/// A Swift Concurrency task executor that runs jobs on one NIO event loop.
///
/// A task that prefers the executor of a connection's event loop
/// (`withTaskExecutorPreference(client.taskExecutor) { … }`, or
/// `group.addTask(executorPreference: connection.taskExecutor) { … }`) runs on that loop, so
/// sending a command and resuming with its reply never crosses threads: the reply resumes the
/// task in the same loop tick. Keep such tasks short and non-blocking, as any code on an event
/// loop must be.
public final class EventLoopTaskExecutor: TaskExecutor {
    /// The loop the jobs run on.
    public let eventLoop: EventLoop

    /// An executor for `eventLoop`.
    public init(_ eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
