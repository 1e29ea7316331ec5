import NIOConcurrencyHelpers

/// A waited-for event did not come in time.
public struct TestTimeoutError: Error, CustomStringConvertible, Sendable {
    /// What was awaited.
    public let description: String

    /// An error saying what was awaited.
    public init(description: String) {
        self.description = description
    }
}

/// A queue of events pushed from event loops and awaited by tests with a timeout (no sleeps).
public final class TestEventQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var waiters: [(id: Int, continuation: CheckedContinuation<Element?, Never>)] = []
        var nextId = 0
    }

    private let state = NIOLockedValueBox(State())

    /// An empty queue.
    public init() {}

    /// Adds an event, waking one waiter.
    public func push(_ element: Element) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Element?, Never>? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst().continuation }
            state.items.append(element)
            return nil
        }
        waiter?.resume(returning: element)
    }

    /// Events pushed and not yet taken by ``next(timeout:)``.
    public var queuedCount: Int { state.withLockedValue { $0.items.count } }

    /// The next event; throws ``TestTimeoutError`` after `timeout`.
    public func next(timeout: Duration) async throws -> Element {
        let id = state.withLockedValue { state -> Int in
            state.nextId += 1
            return state.nextId
        }
        let result: Element? = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.cancelWaiter(id)
            }
            let value = await withCheckedContinuation { (continuation: CheckedContinuation<Element?, Never>) in
                let ready = state.withLockedValue { state -> Element? in
                    if !state.items.isEmpty { return state.items.removeFirst() }
                    state.waiters.append((id, continuation))
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
            group.cancelAll()
            return value
        }
        guard let result else { throw TestTimeoutError(description: "No event within \(timeout)") }
        return result
    }

    private func cancelWaiter(_ id: Int) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Element?, Never>? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index).continuation
        }
        waiter?.resume(returning: nil)
    }
}
