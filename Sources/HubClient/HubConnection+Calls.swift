import HubProtocol

extension HubConnection {
    // MARK: send

    /// Calls `method` without waiting for it to run (an invocation without an id: the server
    /// sends no completion, and an error in the method is never reported). Returns once written.
    public func send(
        _ method: String, arguments: [HubValue], streams: [HubClientStream] = []
    ) async throws(HubClientError) {
        let streamIds = streams.map { _ in makeInvocationId() }
        try await write(
            .invocation(InvocationMessage(target: method, arguments: HubArguments(arguments), streamIds: streamIds)))
        startUploads(streams, ids: streamIds)
    }

    /// Calls `method` with `arguments`, without waiting (see ``send(_:arguments:streams:)``).
    public func send(_ method: String, _ arguments: any Encodable & Sendable...) async throws(HubClientError) {
        try await send(method, arguments: arguments.map { HubValue($0) })
    }

    // MARK: invoke

    /// Calls `method` and waits for its completion: the raw result, or `nil` for a method without
    /// one. A server error throws ``HubClientError/Code-swift.enum/invocationFailed`` with the
    /// server's text.
    public func invoke(
        _ method: String, arguments: [HubValue], streams: [HubClientStream] = []
    ) async throws(HubClientError) -> HubValue? {
        let invocationId = makeInvocationId()
        let streamIds = streams.map { _ in makeInvocationId() }
        do {
            // Cancelling the calling task ends the wait (the server may still run the method).
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<HubValue?, any Error>) in
                    pending[invocationId] = .invocation(waiter)
                    Task { [self] in
                        do {
                            try await self.write(
                                .invocation(
                                    InvocationMessage(
                                        invocationId: invocationId, target: method,
                                        arguments: HubArguments(arguments), streamIds: streamIds)))
                            self.startUploads(streams, ids: streamIds)
                        } catch {
                            self.failCall(invocationId, error)
                        }
                    }
                }
            } onCancel: {
                Task {
                    await self.failCall(
                        invocationId, HubClientError(.cancelled, "The invocation of '\(method)' was cancelled."))
                }
            }
        } catch let error as HubClientError {
            throw error
        } catch {
            throw HubClientError(.cancelled, "\(error)")
        }
    }

    /// Calls `method` and decodes its result into `type`.
    public func invoke<Result: Decodable>(
        _ method: String, _ arguments: any Encodable & Sendable..., returning type: Result.Type
    ) async throws(HubClientError) -> Result {
        let value = try await invoke(method, arguments: arguments.map { HubValue($0) })
        do {
            return try (value ?? .null).decode(type)
        } catch {
            throw HubClientError(.valueError, "The result of '\(method)' is not a \(type): \(error.message)")
        }
    }

    /// Calls `method` and waits until it has run (its result, if any, is dropped).
    public func invoke(_ method: String, _ arguments: any Encodable & Sendable...) async throws(HubClientError) {
        _ = try await invoke(method, arguments: arguments.map { HubValue($0) })
    }

    // MARK: stream

    /// Calls the streaming method `method` (a StreamInvocation) and returns its items as they
    /// arrive, as raw values. The sequence ends at the server's completion and throws its error;
    /// ending the iteration early (or cancelling the task iterating) sends a CancelInvocation.
    public func stream(
        _ method: String, arguments: [HubValue], streams: [HubClientStream] = []
    ) async throws(HubClientError) -> AsyncThrowingStream<HubValue, any Error> {
        let invocationId = makeInvocationId()
        let streamIds = streams.map { _ in makeInvocationId() }
        let (items, continuation) = AsyncThrowingStream<HubValue, any Error>.makeStream()
        continuation.onTermination = { [self] reason in
            if case .cancelled = reason {
                Task { await self.cancelStream(invocationId) }
            }
        }
        pending[invocationId] = .stream(continuation)
        do {
            try await write(
                .streamInvocation(
                    StreamInvocationMessage(
                        invocationId: invocationId, target: method, arguments: HubArguments(arguments),
                        streamIds: streamIds)))
        } catch {
            pending[invocationId] = nil
            continuation.finish(throwing: error)
            throw error
        }
        startUploads(streams, ids: streamIds)
        return items
    }

    /// Calls the streaming method `method` and decodes each item into `type`.
    public func stream<Item: Decodable & Sendable>(
        _ method: String, _ arguments: any Encodable & Sendable..., of type: Item.Type
    ) async throws(HubClientError) -> AsyncThrowingMapSequence<AsyncThrowingStream<HubValue, any Error>, Item> {
        let raw = try await stream(method, arguments: arguments.map { HubValue($0) })
        return raw.map { value throws in
            do {
                return try value.decode(type)
            } catch {
                throw HubClientError(.valueError, "A stream item of '\(method)' is not a \(type): \(error)")
            }
        }
    }

    func cancelStream(_ invocationId: String) async {
        guard pending.removeValue(forKey: invocationId) != nil else { return }
        try? await write(.cancelInvocation(CancelInvocationMessage(invocationId: invocationId)))
    }

    func failCall(_ invocationId: String, _ error: any Error) {
        switch pending.removeValue(forKey: invocationId) {
        case .invocation(let waiter): waiter.resume(throwing: error)
        case .stream(let continuation): continuation.finish(throwing: error)
        case nil: break
        }
    }

    /// Uploads each client-to-server stream in its own task: items, then a Completion.
    func startUploads(_ streams: [HubClientStream], ids: [String]) {
        for (stream, streamId) in zip(streams, ids) {
            nextUploadId += 1
            let uploadId = nextUploadId
            uploads[uploadId] = Task { [self] in
                defer { self.uploadEnded(uploadId) }
                do {
                    try await stream.upload { item in
                        try await self.write(.streamItem(StreamItemMessage(invocationId: streamId, item: item)))
                    }
                    try await self.write(.completion(CompletionMessage(invocationId: streamId)))
                } catch let error as HubClientError where error.code == .notConnected || error.code == .connectionClosed
                {
                    return
                } catch {
                    try? await self.write(
                        .completion(CompletionMessage(invocationId: streamId, outcome: .error("\(error)"))))
                }
            }
        }
    }

    func uploadEnded(_ id: Int) {
        uploads[id] = nil
    }

    /// Waits until every client-to-server stream started so far has sent its last item and its
    /// Completion (or failed).
    public func uploadsFinished() async {
        for task in Array(uploads.values) { await task.value }
    }

    // MARK: Handlers

    /// Runs `handler` with the raw arguments whenever the server calls `method` (matched
    /// case-insensitively, as in the .NET client). Several handlers for one method all run, in the
    /// order they were added.
    @discardableResult
    public func on(
        _ method: String, handler: @escaping @Sendable (HubArguments) async throws -> Void
    ) -> HubSubscription {
        add(method, .plain(handler))
    }

    /// Runs `handler` when the server calls `method` with no arguments.
    @discardableResult
    public func on(_ method: String, _ handler: @escaping @Sendable () async -> Void) -> HubSubscription {
        add(method, .plain { _ in await handler() })
    }

    /// Runs `handler` with the first argument decoded into `A` whenever the server calls `method`.
    @discardableResult
    public func on<A: Decodable & SendableMetatype>(
        _ method: String, _ handler: @escaping @Sendable (A) async -> Void
    ) -> HubSubscription {
        add(method, .plain { arguments in await handler(try arguments.decode(A.self, at: 0)) })
    }

    /// Runs `handler` with two decoded arguments whenever the server calls `method`.
    @discardableResult
    public func on<A: Decodable & SendableMetatype, B: Decodable & SendableMetatype>(
        _ method: String, _ handler: @escaping @Sendable (A, B) async -> Void
    ) -> HubSubscription {
        add(
            method,
            .plain { arguments in
                await handler(try arguments.decode(A.self, at: 0), try arguments.decode(B.self, at: 1))
            })
    }

    /// Answers the server's client-result invocations of `method` (`Clients.Client(id).InvokeAsync`)
    /// with what `handler` returns; a thrown error goes back as the completion's error.
    @discardableResult
    public func on(
        _ method: String, returning handler: @escaping @Sendable (HubArguments) async throws -> HubValue
    ) -> HubSubscription {
        add(method, .result(handler))
    }

    /// Answers client-result invocations of `method` that pass one argument, with a typed result.
    @discardableResult
    public func on<A: Decodable & SendableMetatype, Result: Encodable & Sendable>(
        _ method: String, returning handler: @escaping @Sendable (A) async throws -> Result
    ) -> HubSubscription {
        add(method, .result { arguments in HubValue(try await handler(try arguments.decode(A.self, at: 0))) })
    }

    /// Removes one handler.
    public func remove(_ subscription: HubSubscription) {
        handlers[subscription.method]?.removeAll { $0.id == subscription.id }
    }

    /// Removes every handler of `method`.
    public func off(_ method: String) {
        handlers[method.lowercased()] = nil
    }

    private func add(_ method: String, _ handler: Handler) -> HubSubscription {
        nextHandlerId += 1
        let key = method.lowercased()
        handlers[key, default: []].append((id: nextHandlerId, handler: handler))
        return HubSubscription(method: key, id: nextHandlerId)
    }

    /// Runs `handler` when the connection closes for good: `nil` after ``stop()`` or a plain
    /// Close from the server, else the error that ended it.
    public func onClosed(_ handler: @escaping @Sendable ((any Error)?) async -> Void) {
        closedHandlers.append(handler)
    }

    /// Runs `handler` when the connection is lost and the reconnect policy starts trying.
    public func onReconnecting(_ handler: @escaping @Sendable ((any Error)?) async -> Void) {
        reconnectingHandlers.append(handler)
    }

    /// Runs `handler` with the new connection id when reconnecting succeeded.
    public func onReconnected(_ handler: @escaping @Sendable (String?) async -> Void) {
        reconnectedHandlers.append(handler)
    }
}
