import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A value that changes on other threads (output read, a process reaped) and that tests await:
/// each wait ends when its condition holds after a change, or fails after its timeout. Nothing polls.
final class WaitableState<State: Sendable>: Sendable {
    private struct Storage {
        var value: State
        var waiters: [Int: @Sendable (State) -> Bool] = [:]
        var nextID = 0
    }

    private let storage: NIOLockedValueBox<Storage>

    init(_ value: State) {
        storage = NIOLockedValueBox(Storage(value: value))
    }

    var value: State { storage.withLockedValue { $0.value } }

    /// Changes the value and wakes every waiter whose condition now holds.
    func update(_ body: (inout State) -> Void) {
        storage.withLockedValue { storage in
            body(&storage.value)
            let value = storage.value
            storage.waiters = storage.waiters.filter { !$0.value(value) }
        }
    }

    /// Waits until `attempt` returns a result; on timeout fails with `describe` of the value then.
    func wait<T: Sendable>(
        timeout: TimeAmount, what: String, describe: @escaping @Sendable (State) -> String = { _ in "" },
        _ attempt: @escaping @Sendable (State) -> T?
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            let id: Int? = storage.withLockedValue { storage in
                if let result = attempt(storage.value) {
                    continuation.resume(returning: result)
                    return nil
                }
                let id = storage.nextID
                storage.nextID += 1
                storage.waiters[id] = { value in
                    guard let result = attempt(value) else { return false }
                    continuation.resume(returning: result)
                    return true
                }
                return id
            }
            guard let id else { return }
            MultiThreadedEventLoopGroup.singleton.next().scheduleTask(in: timeout) {
                let timedOut: State? = self.storage.withLockedValue { storage in
                    storage.waiters.removeValue(forKey: id) == nil ? nil : storage.value
                }
                if let timedOut {
                    continuation.resume(
                        throwing: TestSupportError(
                            "timed out after \(timeout.nanoseconds / 1_000_000) ms waiting for \(what)\(describe(timedOut))"
                        ))
                }
            }
        }
    }
}
