import HubProtocol
import NIOCore

extension HubConnection {
    /// Takes one WebSocket message: the handshake response first, then hub messages. Returns the
    /// handlers to run, in order, outside the actor.
    func received(_ bytes: ByteBuffer, generation: Int) -> [@Sendable () async -> Void] {
        guard var current = link, current.generation == generation else { return [] }
        lastReceived = .now
        var bytes = bytes
        current.input.writeBuffer(&bytes)
        var actions: [@Sendable () async -> Void] = []
        // Set when the connection ends here: the error (`nil` for a plain Close) and whether the
        // reconnect policy may act.
        var ending: (error: HubClientError?, allowReconnect: Bool)?
        do throws(HubProtocolError) {
            if !current.handshakeDone {
                guard let response = try HandshakeResponse.parse(&current.input) else {
                    link = current
                    return []
                }
                if let error = response.error {
                    let failure = HubClientError(
                        .handshakeFailed, "Unable to complete handshake with the server due to an error: \(error)")
                    current.handshakeWaiter?.resume(throwing: failure)
                    current.handshakeWaiter = nil
                    ending = (failure, false)
                } else {
                    current.handshakeDone = true
                    current.handshakeWaiter?.resume()
                    current.handshakeWaiter = nil
                }
            }
            while ending == nil, current.handshakeDone, let message = try current.decoder.next(&current.input) {
                if case .close(let close) = message {
                    let error = close.error.map {
                        HubClientError(
                            .connectionClosed, "The server closed the connection with the following error: \($0)")
                    }
                    ending = (error, close.allowReconnect)
                    break
                }
                switch message {
                case .ack(let sequenceId):
                    acknowledged(sequenceId)
                    continue
                case .sequence(let sequenceId):
                    do {
                        try sequenceReceived(sequenceId)
                    } catch {
                        ending = (error, false)
                    }
                    continue
                default:
                    // A message a resend repeats is skipped.
                    if message.isTrackable && !acceptIncoming() { continue }
                }
                if let action = handle(message) { actions.append(action) }
            }
        } catch {
            let failure = HubClientError(
                .protocolError,
                "The server sent data the '\(options.hubProtocol.name)' protocol cannot read: \(error.message)")
            current.handshakeWaiter?.resume(throwing: failure)
            current.handshakeWaiter = nil
            ending = (failure, current.handshakeDone)
        }
        current.input.discardReadBytes()
        link = current
        if let ending {
            actions.append { [self] in
                await self.connectionLost(
                    generation: generation, error: ending.error, allowReconnect: ending.allowReconnect)
            }
        }
        return actions
    }

    /// Applies one message; returns a handler call to make, if any.
    private func handle(_ message: HubMessage) -> (@Sendable () async -> Void)? {
        switch message {
        case .completion(let completion):
            guard let call = pending.removeValue(forKey: completion.invocationId) else {
                logger.debug("completion for an unknown invocation", metadata: ["id": "\(completion.invocationId)"])
                return nil
            }
            switch (call, completion.outcome) {
            case (.invocation(let waiter), .void): waiter.resume(returning: nil)
            case (.invocation(let waiter), .result(let value)): waiter.resume(returning: value)
            case (.invocation(let waiter), .error(let text)):
                waiter.resume(throwing: HubClientError(.invocationFailed, text))
            case (.stream(let continuation), .error(let text)):
                continuation.finish(throwing: HubClientError(.invocationFailed, text))
            case (.stream(let continuation), _): continuation.finish()
            }
            return nil
        case .streamItem(let item):
            if case .stream(let continuation) = pending[item.invocationId] {
                continuation.yield(item.item)
            }
            return nil
        case .invocation(let invocation):
            return dispatch(invocation)
        case .ping, .ack, .sequence, .close, .streamInvocation, .cancelInvocation:
            return nil
        }
    }

    /// The handler call for an invocation from the server (a client result when it has an id).
    private func dispatch(_ invocation: InvocationMessage) -> (@Sendable () async -> Void)? {
        let registered = handlers[invocation.target.lowercased()] ?? []
        let arguments = invocation.arguments
        let target = invocation.target
        guard let invocationId = invocation.invocationId else {
            if registered.isEmpty {
                logger.warning("Failed to find handler for '\(target)' method.")
                return nil
            }
            let logger = self.logger
            return {
                for entry in registered {
                    do {
                        switch entry.handler {
                        case .plain(let run): try await run(arguments)
                        case .result(let run): _ = try await run(arguments)
                        }
                    } catch {
                        logger.error("A callback for the method '\(target)' threw error '\(error)'.")
                    }
                }
            }
        }
        // A client result: every handler runs (as in the JavaScript client); exactly one must
        // give the answer.
        return { [self] in
            // Its own task, so the handler may call the server and get the reply.
            Task {
                await self.answer(invocationId: invocationId, arguments: arguments, with: registered.map { $0.handler })
            }
        }
    }

    private func answer(invocationId: String, arguments: HubArguments, with handlers: [Handler]) async {
        var results: [HubValue] = []
        var failure: String?
        for handler in handlers {
            do {
                switch handler {
                case .plain(let run): try await run(arguments)
                case .result(let run): results.append(try await run(arguments))
                }
            } catch {
                failure = failure ?? "\(error)"
            }
        }
        let outcome: CompletionMessage.Outcome
        if let failure {
            outcome = .error(failure)
        } else if results.count > 1 {
            outcome = .error("Client provided multiple results.")
        } else if let result = results.first {
            outcome = .result(result)
        } else {
            outcome = .error("Client didn't provide a result.")
        }
        try? await write(.completion(CompletionMessage(invocationId: invocationId, outcome: outcome)))
    }
}
