import DequeModule
import Hubs
import NIOCore
import Synchronization

/// Connections that went through negotiate, by token, until their transport ends.
///
/// A negotiated connection that does not open its transport within the timeout is forgotten:
/// expired entries are swept from the front of a FIFO on every call (deadlines grow in insertion
/// order because the timeout is fixed), so no timer runs per negotiation.
final class HubNegotiatedConnections: Sendable {
    struct Entry: Sendable {
        let connectionId: String
        let deadline: NIODeadline
        var transport: HubTransportType?
    }

    /// Why a transport could not claim a connection.
    enum ClaimError: Error, Equatable {
        /// No such token (never negotiated, expired or ended): 404.
        case unknown
        /// A transport is already active: 409.
        case alreadyActive
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var expiry: Deque<(token: String, deadline: NIODeadline)> = []
    }

    private let timeout: TimeAmount
    private let state = Mutex(State())

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    /// Records a new negotiated connection.
    func add(token: String, connectionId: String, now: NIODeadline = .now()) {
        let deadline = now + timeout
        state.withLock { state in
            Self.sweep(&state, now: now)
            state.entries[token] = Entry(connectionId: connectionId, deadline: deadline)
            state.expiry.append((token, deadline))
        }
    }

    /// Marks the connection's transport as open; returns its connection id.
    func claim(token: String, transport: HubTransportType, now: NIODeadline = .now()) -> Result<String, ClaimError> {
        state.withLock { state in
            Self.sweep(&state, now: now)
            guard var entry = state.entries[token] else { return .failure(.unknown) }
            if entry.transport != nil { return .failure(.alreadyActive) }
            entry.transport = transport
            state.entries[token] = entry
            return .success(entry.connectionId)
        }
    }

    /// The entry for `token`, if it is known and not expired.
    func entry(token: String, now: NIODeadline = .now()) -> Entry? {
        state.withLock { state in
            Self.sweep(&state, now: now)
            return state.entries[token]
        }
    }

    /// Forgets a connection whose transport ended.
    func remove(token: String) {
        _ = state.withLock { $0.entries.removeValue(forKey: token) }
    }

    /// The number of connections known (tests).
    var count: Int { state.withLock { $0.entries.count } }

    private static func sweep(_ state: inout State, now: NIODeadline) {
        while let first = state.expiry.first, first.deadline <= now {
            state.expiry.removeFirst()
            // An entry whose transport opened stays until the transport ends.
            if let entry = state.entries[first.token], entry.transport == nil, entry.deadline <= now {
                state.entries.removeValue(forKey: first.token)
            }
        }
    }
}
