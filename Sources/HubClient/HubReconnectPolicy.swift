/// Decides whether, and after how long, a connection that was lost tries to reconnect.
///
/// Called before each attempt; return `nil` to give up (the connection then closes with the
/// error that ended it). Mirrors .NET's `IRetryPolicy`.
public protocol HubReconnectPolicy: Sendable {
    /// The delay before the next attempt, or `nil` to stop reconnecting.
    func nextRetryDelay(_ context: HubRetryContext) -> Duration?
}

/// What a ``HubReconnectPolicy`` knows when it decides.
public struct HubRetryContext: Sendable {
    /// How many attempts were made since the connection was lost (0 before the first).
    public var previousRetryCount: Int
    /// How long since the connection was lost.
    public var elapsedTime: Duration
    /// Why the connection was lost, or why the last attempt failed.
    public var retryReason: any Error

    /// Makes a context.
    public init(previousRetryCount: Int, elapsedTime: Duration, retryReason: any Error) {
        self.previousRetryCount = previousRetryCount
        self.elapsedTime = elapsedTime
        self.retryReason = retryReason
    }
}

/// Retries after fixed delays, then gives up: by default after 0, 2, 10 and 30 seconds, as the
/// .NET and JavaScript clients' `WithAutomaticReconnect()`.
public struct DefaultHubReconnectPolicy: HubReconnectPolicy {
    /// The delay before each attempt, in order; one attempt per entry.
    public var delays: [Duration]

    /// A policy with these delays (the clients' default when omitted).
    public init(delays: [Duration] = [.zero, .seconds(2), .seconds(10), .seconds(30)]) {
        self.delays = delays
    }

    /// The next delay in ``delays``; `nil` once all were used.
    public func nextRetryDelay(_ context: HubRetryContext) -> Duration? {
        context.previousRetryCount < delays.count ? delays[context.previousRetryCount] : nil
    }
}
