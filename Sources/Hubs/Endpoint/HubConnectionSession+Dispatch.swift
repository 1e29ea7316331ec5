import HubProtocol
import Logging
import NIOCore

extension HubConnectionSession {
    /// The connection's task: connect hooks, then every invocation in order, then disconnect
    /// hooks once the transport has ended.
    func run(connection: HubConnection, work: AsyncStream<Work>) async {
        let manager = endpoint.lifetimeManager
        let context = HubCallerContext(connection: connection, manager: manager)
        let definition = endpoint.definition
        do {
            try await manager.connectionStarted(connection)
            try await definition.filteredConnected(context)
        } catch {
            logger.debug("Hub onConnected failed; closing the connection", metadata: ["error": "\(error)"])
            connection.eventLoop.execute {
                self.close(
                    with: CloseMessage(
                        error: ErrorText.withDetail(
                            "Connection closed with an error.", error, detailed: self.options.enableDetailedErrors),
                        allowReconnect: false),
                    normal: false)
            }
            for await _ in work {}
            await manager.connectionEnded(connection)
            return
        }
        endpoint.metrics.connections.increment()

        let limit = max(1, options.maximumParallelInvocationsPerClient)
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for await item in work {
                workTaken()
                // Invocations read before the connection ended still run, as in ASP.NET Core (its
                // dispatch loop handles what it read before it sees the end): a client that sends
                // and then closes has its call made. Streams would have no one to stream to.
                if item.inBackground {
                    if connection.isAborted { continue }
                    startBackground(item, context: context)
                    continue
                }
                if limit == 1 {
                    await invoke(item, context: context)
                    continue
                }
                if running >= limit {
                    await group.next()
                    running -= 1
                }
                running += 1
                group.addTask { await self.invoke(item, context: context) }
            }
        }

        // The transport has ended: stop streams, then run the disconnect hooks.
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
            // The work stream has ended, so the event loop's last write of `disconnectError` is visible.
            try await definition.filteredDisconnected(context, error: disconnectError)
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
