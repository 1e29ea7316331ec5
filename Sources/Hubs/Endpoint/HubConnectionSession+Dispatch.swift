import HubProtocol
import Logging
import NIOCore

/// The invocations a connection has read and not yet taken, and who is taking them. A task runs
/// only while there is something to do: the connect hooks, then a drain of the queue that ends
/// when it is empty, and at the end the disconnect hooks. An idle connection holds no task (a
/// parked task keeps its frames, a few kilobytes per connection).
struct HubWorkQueue {
    var items: [HubConnectionSession.Work] = []
    var head = 0
    /// A task is taking items (or running the connect or disconnect hooks).
    var running = true
    /// The connect hooks have finished.
    var started = false
    /// They failed: what is read is dropped and no disconnect hooks run.
    var startFailed = false
    /// The transport has ended: nothing more will be queued.
    var finished = false
    /// The disconnect hooks have been started.
    var ended = false
    /// Invocations running in tasks of their own (when more than one may run at a time).
    var inFlight = 0
    var connection: HubConnection?
    var context: HubCallerContext?

    var hasItems: Bool { head < items.count }

    mutating func pop() -> HubConnectionSession.Work {
        let item = items[head]
        head += 1
        if head == items.count {
            items = []
            head = 0
        }
        return item
    }

    /// Whether a new task must start taking work: there is work, the hooks have run, and no task
    /// is taking it. Marks that one is.
    mutating func claimIfIdle(limit: Int) -> Bool {
        guard started, !running else { return false }
        let canTake = hasItems && (limit == 1 || inFlight < limit)
        let canEnd = finished && !ended && !hasItems && inFlight == 0
        guard canTake || canEnd else { return false }
        running = true
        return true
    }
}

extension HubConnectionSession {
    enum NextWork {
        case item(Work, HubCallerContext)
        /// The connect hooks failed: these many queued items were dropped.
        case dropped(Int)
        case end(HubConnection, HubCallerContext?)
        case idle
    }

    var invocationLimit: Int { max(1, options.maximumParallelInvocationsPerClient) }

    /// Queues an invocation read on the event loop; starts a task to take it when none is.
    func queueWork(_ item: Work) {
        let start = workQueue.withLock { queue -> Bool in
            guard !queue.finished else { return false }
            queue.items.append(item)
            return queue.claimIfIdle(limit: invocationLimit)
        }
        if start { Task { await self.drain() } }
    }

    /// The transport has ended: once what was queued has been taken, the disconnect hooks run.
    func finishWork() {
        let start = workQueue.withLock { queue -> Bool in
            queue.finished = true
            return queue.claimIfIdle(limit: invocationLimit)
        }
        if start { Task { await self.drain() } }
    }

    /// The first task: connect hooks, then whatever was queued meanwhile.
    func run(connection: HubConnection) async {
        let manager = endpoint.lifetimeManager
        let context = HubCallerContext(connection: connection, manager: manager)
        let definition = endpoint.definition
        var failed = false
        do {
            try await manager.connectionStarted(connection)
            try await definition.filteredConnected(context)
            endpoint.metrics.connections.increment()
        } catch {
            failed = true
            logger.debug("Hub onConnected failed; closing the connection", metadata: ["error": "\(error)"])
            connection.eventLoop.execute {
                self.close(
                    with: CloseMessage(
                        error: ErrorText.withDetail(
                            "Connection closed with an error.", error, detailed: self.options.enableDetailedErrors),
                        allowReconnect: false),
                    normal: false)
            }
        }
        workQueue.withLock { queue in
            queue.connection = connection
            queue.context = context
            queue.started = true
            queue.startFailed = failed
        }
        await drain()
    }

    /// Takes queued invocations until there are none (or, with parallel invocations, until the
    /// limit is reached), then ends; at the transport's end it runs the disconnect hooks.
    func drain() async {
        let limit = invocationLimit
        while true {
            let next = workQueue.withLock { queue -> NextWork in
                if queue.hasItems, queue.startFailed {
                    let dropped = queue.items.count - queue.head
                    queue.items = []
                    queue.head = 0
                    return .dropped(dropped)
                }
                if queue.hasItems, limit == 1 || queue.inFlight < limit, let context = queue.context {
                    let item = queue.pop()
                    if limit > 1 && !item.inBackground { queue.inFlight += 1 }
                    return .item(item, context)
                }
                if queue.finished, !queue.ended, !queue.hasItems, queue.inFlight == 0, let connection = queue.connection
                {
                    queue.ended = true
                    // The queue lets go of them: the context holds the connection, which holds
                    // this session.
                    let context = queue.startFailed ? nil : queue.context
                    queue.connection = nil
                    queue.context = nil
                    return .end(connection, context)
                }
                queue.running = false
                return .idle
            }
            switch next {
            case .item(let item, let context):
                workTaken()
                await take(item, context: context, limit: limit)
            case .dropped(let count):
                for _ in 0..<count { workTaken() }
            case .end(let connection, let context):
                await end(connection, context: context)
                return
            case .idle:
                return
            }
        }
    }

    private func take(_ item: Work, context: HubCallerContext, limit: Int) async {
        // Invocations read before the connection ended still run, as in ASP.NET Core (its
        // dispatch loop handles what it read before it sees the end): a client that sends
        // and then closes has its call made. Streams would have no one to stream to.
        if item.inBackground {
            if context.connection.isAborted { return }
            startBackground(item, context: context)
            return
        }
        if limit == 1 {
            await invoke(item, context: context)
            return
        }
        Task {
            await self.invoke(item, context: context)
            let start = self.workQueue.withLock { queue -> Bool in
                queue.inFlight -= 1
                return queue.claimIfIdle(limit: limit)
            }
            if start { await self.drain() }
        }
    }

    /// The transport has ended and every invocation taken has finished: stop streams, then run
    /// the disconnect hooks (not when the connect hooks failed).
    private func end(_ connection: HubConnection, context: HubCallerContext?) async {
        let manager = endpoint.lifetimeManager
        guard let context else {
            await manager.connectionEnded(connection)
            return
        }
        // Streams are cancelled, not awaited: one that ignores cancellation must not hold up the
        // disconnect hooks and the cleanup of groups.
        let tasks = invocations.withLock { entries in
            defer { entries.removeAll() }
            return entries.values.compactMap { entry -> Task<Void, Never>? in
                if case .running(let task) = entry { return task }
                return nil
            }
        }
        for task in tasks { task.cancel() }
        do {
            // `finishWork()` came after the event loop's last write of `disconnectError`, and
            // the queue's lock orders the two.
            try await endpoint.definition.filteredDisconnected(context, error: disconnectError)
        } catch {
            logger.debug("Hub onDisconnected failed", metadata: ["error": "\(error)"])
        }
        await manager.connectionEnded(connection)
        endpoint.metrics.connections.decrement()
        connection.eventLoop.execute { self.release() }
    }

    /// Streaming methods (either direction) run beside the invocation queue, as in ASP.NET Core,
    /// so the client can keep feeding or cancelling them.
    private func startBackground(_ item: Work, context: HubCallerContext) {
        guard let id = item.invocationId else {
            // A non-blocking call with streams: nothing can cancel it, so it needs no entry.
            Task { await self.invoke(item, context: context) }
            return
        }
        if item.duplicateId {
            sendCompletion(context, id, .error("Invocation ID '\(id)' is already in use."))
            return
        }
        // The entry was made when the message was read; a CancelInvocation may have marked it.
        // The lock is held while the task is created, so the task's own removal comes after.
        let cancelled = invocations.withLock { entries -> Bool in
            if case .queued(cancelled: true)? = entries[id] {
                entries.removeValue(forKey: id)
                return true
            }
            entries[id] = .running(
                Task {
                    await self.invoke(item, context: context) {
                        _ = self.invocations.withLock { $0.removeValue(forKey: id) }
                    }
                })
            return false
        }
        if cancelled {
            closeStreams(item.streamIds)
            sendCompletion(context, id, .void)
        }
    }

    /// Binds, filters and runs one invocation and sends its Completion (when it has an id).
    func invoke(_ item: Work, context: HubCallerContext, beforeCompletion: () -> Void = {}) async {
        let target = item.target
        func complete(_ outcome: CompletionMessage.Outcome) {
            beforeCompletion()
            guard let id = item.invocationId else { return }
            sendCompletion(context, id, outcome)
        }
        func fail(_ item: Work, _ text: String) { complete(.error(text)) }
        let detailed = options.enableDetailedErrors
        defer { if !item.streamIds.isEmpty { closeStreams(item.streamIds) } }
        guard let method = endpoint.definition.method(named: target) else {
            logger.debug("Unknown hub method", metadata: ["method": "\(target)"])
            fail(
                item, "Failed to invoke '\(target)' due to an error on the server. HubException: Method does not exist."
            )
            return
        }
        if item.isStreamInvocation && !method.isStreaming {
            fail(
                item, "The client attempted to invoke the non-streaming '\(target)' method with a streaming invocation."
            )
            return
        }
        if !item.isStreamInvocation && method.isStreaming {
            fail(
                item, "The client attempted to invoke the streaming '\(target)' method with a non-streaming invocation."
            )
            return
        }
        if item.arguments.count != method.argumentCount {
            var text = "Failed to invoke '\(target)' due to an error on the server."
            if detailed {
                text +=
                    " InvalidDataException: Invocation provides \(item.arguments.count) argument(s) but target expects \(method.argumentCount)."
            }
            fail(item, text)
            return
        }
        if item.streamIds.count != method.streamCount {
            fail(
                item,
                "An unexpected error occurred invoking '\(target)' on the server. HubException: Client sent \(item.streamIds.count) stream(s), Hub method expects \(method.streamCount)."
            )
            return
        }

        let invocation = HubInvocationContext(
            caller: context, methodName: method.name, arguments: item.arguments, invocationId: item.invocationId)
        let writer: HubStreamItemWriter?
        if item.isStreamInvocation, let id = item.invocationId {
            let connection = context.connection
            // Each item waits for its write to be queued on the event loop, so a fast sequence is
            // paced by the loop instead of piling closures onto it.
            writer = HubStreamItemWriter { value in
                try Task.checkCancellation()
                try await connection.sendAndWait(.streamItem(StreamItemMessage(invocationId: id, item: value)))
            }
        } else {
            writer = nil
        }
        do {
            let result = try await endpoint.definition.filteredInvoke(invocation) { invocation in
                switch try await method.invoke(invocation.caller, invocation.arguments, item.streams, writer) {
                case .void: return nil
                case .value(let value): return value
                }
            }
            if item.isStreamInvocation {
                complete(.void)
            } else {
                complete(result.map { .result($0) } ?? .void)
            }
        } catch let error as HubBindingError {
            logger.debug(
                "Hub method arguments did not bind", metadata: ["method": "\(target)", "error": "\(error.underlying)"])
            var text = "Failed to invoke '\(target)' due to an error on the server."
            if detailed {
                text +=
                    " InvalidDataException: Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked."
            }
            fail(item, text)
        } catch let error as HubError where error.code == .unauthorized {
            fail(item, "Failed to invoke '\(target)' because user is unauthorized")
        } catch is CancellationError where item.isStreamInvocation {
            // A CancelInvocation (or the connection ending): the stream ends without an error.
            complete(.void)
        } catch {
            logger.debug("Hub method failed", metadata: ["method": "\(target)", "error": "\(error)"])
            let base =
                item.isStreamInvocation
                ? "An error occurred on the server while streaming results."
                : "An unexpected error occurred invoking '\(target)' on the server."
            fail(item, ErrorText.withDetail(base, error, detailed: detailed))
        }
    }

    private func sendCompletion(_ context: HubCallerContext, _ id: String, _ outcome: CompletionMessage.Outcome) {
        context.connection.send(.completion(CompletionMessage(invocationId: id, outcome: outcome)))
    }
}

/// ASP.NET Core's rule for error texts sent to clients (`ErrorMessageHelper`).
enum ErrorText {
    /// `base`, plus ` <Type>: <message>` when the error is a ``HubError`` thrown as a
    /// `HubException` or detailed errors are on.
    static func withDetail(_ base: String, _ error: any Error, detailed: Bool) -> String {
        if let error = error as? HubError, error.code == .hubException {
            return "\(base) HubException: \(error.message)"
        }
        guard detailed else { return base }
        return "\(base) \(String(describing: type(of: error))): \(error)"
    }
}
