import HubProtocol
import Synchronization

/// Client results awaited on this node: invocation ids the server chose, and who waits for them.
final class HubClientResults: Sendable {
    private struct Pending {
        let connectionId: String
        let continuation: CheckedContinuation<HubValue, any Error>
    }

    private struct State {
        var pending: [String: Pending] = [:]
        var nextId: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Registers a new invocation id, calls `send` with it, and waits for the client's Completion.
    /// `isAborted` is checked under the same lock that registers the wait, so a connection ending
    /// at the same moment either sees the entry or is seen.
    func invoke(connectionId: String, isAborted: () -> Bool, send: (String) -> Void) async throws -> HubValue {
        let id = state.withLock { state -> String in
            state.nextId += 1
            return String(state.nextId)
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let failure = state.withLock { state -> (any Error)? in
                    if Task.isCancelled { return CancellationError() }
                    if isAborted() {
                        return HubError(.connectionDisconnected, "Connection '\(connectionId)' disconnected.")
                    }
                    state.pending[id] = Pending(connectionId: connectionId, continuation: continuation)
                    return nil
                }
                if let failure {
                    continuation.resume(throwing: failure)
                    return
                }
                send(id)
            }
        } onCancel: {
            let pending = state.withLock { $0.pending.removeValue(forKey: id) }
            pending?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Resolves the invocation the Completion names, when it is this connection's.
    func complete(connectionId: String, completion: CompletionMessage) {
        let pending = state.withLock { state -> Pending? in
            guard let pending = state.pending[completion.invocationId], pending.connectionId == connectionId else {
                return nil
            }
            return state.pending.removeValue(forKey: completion.invocationId)
        }
        guard let pending else { return }
        switch completion.outcome {
        case .void: pending.continuation.resume(returning: .null)
        case .result(let value): pending.continuation.resume(returning: value)
        // ASP.NET Core raises the client's error as a HubException, so its text reaches the caller.
        case .error(let text): pending.continuation.resume(throwing: HubError(text))
        }
    }

    /// Fails every result the connection still owes.
    func connectionEnded(_ connectionId: String) {
        let ended = state.withLock { state -> [Pending] in
            let ids = state.pending.filter { $0.value.connectionId == connectionId }.map(\.key)
            return ids.compactMap { state.pending.removeValue(forKey: $0) }
        }
        for pending in ended {
            pending.continuation.resume(
                throwing: HubError(.connectionDisconnected, "Connection '\(connectionId)' disconnected."))
        }
    }
}
