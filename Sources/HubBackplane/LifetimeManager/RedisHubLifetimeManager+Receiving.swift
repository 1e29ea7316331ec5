import HubProtocol
import Hubs
import NIOCore

extension RedisHubLifetimeManager {
    /// A message on `P:all`, `P:group:*`, `P:user:*` or `P:connection:*` (on the subscriber's event
    /// loop): the received bytes go to the local recipients as they are. A connection whose
    /// protocol the sender did not include gets nothing, and the drop is logged and counted
    /// (`switchboard_hub_messages_dropped`), as in ASP.NET Core.
    func receivedInvocation(_ payload: ByteBuffer, route: Route) {
        metrics.received.increment()
        let invocation: BackplaneInvocation
        do {
            invocation = try BackplaneInvocation(payload: payload)
        } catch {
            invalid("invocation", error)
            return
        }
        let message = SerializedHubMessage(
            serializations: invocation.serializations.map { (name: $0.protocolName, bytes: $0.bytes) })
        switch route {
        case .all:
            local.deliver(message, to: .all(excluding: invocation.excludedIds))
        case .group(let group):
            local.deliver(message, to: .group(group, excluding: invocation.excludedIds))
        case .user(let user):
            local.deliver(message, to: .user(user))
        case .connection(let id):
            if let invocationId = invocation.invocationId, let returnChannel = invocation.returnChannel {
                guard forwardClientResult(invocationId, connectionId: id, returnChannel: returnChannel) else { return }
            }
            local.deliver(message, to: .connection(id))
        }
    }

    /// Remembers who asked a local connection for a client result, so its Completion goes back
    /// there; `false` when the connection is gone (the asker is told at once).
    private func forwardClientResult(_ invocationId: String, connectionId: String, returnChannel: String) -> Bool {
        guard let connection = local.connection(connectionId) else { return false }
        let forwarded = ForwardedResult(
            invocationId: invocationId, connectionId: connectionId, returnChannel: returnChannel,
            hubProtocol: connection.hubProtocol)
        state.withLock { $0.forwarded[invocationId] = forwarded }
        // An abort that ran before the entry existed did not see it.
        if connection.isAborted {
            if let taken = state.withLock({ $0.forwarded.removeValue(forKey: invocationId) }) {
                returnDisconnected(taken)
            }
            return false
        }
        return true
    }

    /// A group command on `P:internal:groups`, queued to be applied in order.
    func receivedGroupCommand(_ payload: ByteBuffer) {
        metrics.received.increment()
        do {
            let command = try BackplaneGroupCommand(payload: payload)
            guard local.connection(command.connectionId) != nil else { return }
            groupCommands.yield(command)
        } catch {
            invalid("group command", error)
        }
    }

    /// An ack of one of this node's group commands.
    func receivedAck(_ payload: ByteBuffer) {
        metrics.received.increment()
        do {
            let ack = try BackplaneAck(payload: payload)
            state.withLock { $0.acks.removeValue(forKey: ack.id) }?.succeed(())
        } catch {
            invalid("ack", error)
        }
    }

    /// A client's answer to a client result this node asked of a connection on another node.
    func receivedClientResult(_ payload: ByteBuffer) {
        metrics.received.increment()
        let result: BackplaneClientResult
        do {
            result = try BackplaneClientResult(payload: payload)
        } catch {
            invalid("client result", error)
            return
        }
        guard let hubProtocol = options.protocols.first(where: { $0.name == result.protocolName }) else {
            logger.warning(
                "A client result arrived in a protocol this node does not know (mismatched servers)",
                metadata: ["protocol": "\(result.protocolName)"])
            metrics.invalidMessages.increment()
            return
        }
        var bytes = result.completion
        var decoder = HubMessageDecoder(hubProtocol: hubProtocol, maximumMessageSize: nil)
        let completion: CompletionMessage
        do {
            guard case .completion(let parsed)? = try decoder.next(&bytes) else {
                invalid("client result", HubError(.serialization, "not a Completion message"))
                return
            }
            completion = parsed
        } catch {
            invalid("client result", error)
            return
        }
        guard let waiter = state.withLock({ $0.results.removeValue(forKey: completion.invocationId) }) else { return }
        switch completion.outcome {
        case .void: waiter.succeed(.null)
        case .result(let value): waiter.succeed(value)
        // As for a local client: the client's error reaches the caller as a HubException.
        case .error(let text): waiter.fail(HubError(text))
        }
    }

    private func invalid(_ what: String, _ error: any Error) {
        metrics.invalidMessages.increment()
        logger.warning("An invalid backplane message was dropped", metadata: ["kind": "\(what)", "error": "\(error)"])
    }
}
