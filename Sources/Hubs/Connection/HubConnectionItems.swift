import Synchronization

/// Per-connection storage for hub code (ASP.NET Core's `Context.Items`), safe from any task.
public final class HubConnectionItems: Sendable {
    private let storage = Mutex<[String: any Sendable]>([:])

    init() {}

    /// The value stored under `key`; assigning `nil` removes it.
    public subscript(key: String) -> (any Sendable)? {
        get { storage.withLock { $0[key] } }
        set { storage.withLock { $0[key] = newValue } }
    }

    /// The value under `key` when it is a `T`.
    public func value<T: Sendable>(_ key: String, as type: T.Type = T.self) -> T? {
        storage.withLock { $0[key] as? T }
    }

    /// Changes the value under `key` atomically and returns what `body` returns.
    public func update<R: Sendable>(_ key: String, _ body: (inout (any Sendable)?) -> R) -> R {
        storage.withLock { body(&$0[key]) }
    }
}
