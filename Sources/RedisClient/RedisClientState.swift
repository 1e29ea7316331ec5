/// Where a client's connection stands, for health endpoints and logs.
public enum RedisClientState: Sendable, Hashable, CustomStringConvertible {
    /// Made but not started.
    case idle
    /// Connecting for the first time.
    case connecting
    /// Connected, handshake done (and, for a subscriber, every subscription confirmed).
    case connected
    /// The connection was lost (or never made); attempt `attempt` is scheduled or under way.
    case reconnecting(attempt: Int)
    /// Closed by its owner, or lost with reconnection off; it stays closed.
    case closed

    public var description: String {
        switch self {
        case .idle: "idle"
        case .connecting: "connecting"
        case .connected: "connected"
        case .reconnecting(let attempt): "reconnecting(\(attempt))"
        case .closed: "closed"
        }
    }
}
