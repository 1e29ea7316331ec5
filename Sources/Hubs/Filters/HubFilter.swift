import HubProtocol

/// What a filter sees of one invocation.
public struct HubInvocationContext: Sendable {
    /// The caller and its proxies.
    public let caller: HubCallerContext
    /// The method's name as registered.
    public let methodName: String
    /// The arguments as received (raw, not yet bound to the parameter types).
    public let arguments: HubArguments
    /// The invocation id; `nil` for a non-blocking call.
    public let invocationId: String?
}

/// Code that runs around every hub method invocation and around connect and disconnect: logging,
/// authorization, validation (ASP.NET Core's `IHubFilter`).
///
/// Each method gets `next`, which runs the rest of the chain (the next filter, finally the hub);
/// a filter may skip it (refusing the call: throw ``HubError/unauthorized`` to send
/// `Failed to invoke '<m>' because user is unauthorized`, or a ``HubError`` for its message),
/// change the result, or observe errors. Every method has a default that just calls `next`.
public protocol HubFilter: Sendable {
    /// Around one invocation; returns the result (`nil` for none).
    func invoke(
        _ invocation: HubInvocationContext, next: @Sendable (HubInvocationContext) async throws -> HubValue?
    ) async throws -> HubValue?

    /// Around the hub's `onConnected`.
    func onConnected(
        _ context: HubCallerContext, next: @Sendable (HubCallerContext) async throws -> Void)
        async throws

    /// Around the hub's `onDisconnected`.
    func onDisconnected(
        _ context: HubCallerContext, error: (any Error)?,
        next: @Sendable (HubCallerContext, (any Error)?) async throws -> Void
    ) async throws
}

extension HubFilter {
    /// Calls `next`.
    public func invoke(
        _ invocation: HubInvocationContext, next: @Sendable (HubInvocationContext) async throws -> HubValue?
    ) async throws -> HubValue? {
        try await next(invocation)
    }

    /// Calls `next`.
    public func onConnected(
        _ context: HubCallerContext, next: @Sendable (HubCallerContext) async throws -> Void
    )
        async throws
    {
        try await next(context)
    }

    /// Calls `next`.
    public func onDisconnected(
        _ context: HubCallerContext, error: (any Error)?,
        next: @Sendable (HubCallerContext, (any Error)?) async throws -> Void
    ) async throws {
        try await next(context, error)
    }
}

extension HubDefinition {
    /// Runs `body` inside the invocation filters, the first filter outermost.
    func filteredInvoke(
        _ invocation: HubInvocationContext, body: @escaping @Sendable (HubInvocationContext) async throws -> HubValue?
    ) async throws -> HubValue? {
        try await Self.chainInvoke(filters[...], invocation, body)
    }

    private static func chainInvoke(
        _ filters: ArraySlice<any HubFilter>, _ invocation: HubInvocationContext,
        _ body: @escaping @Sendable (HubInvocationContext) async throws -> HubValue?
    ) async throws -> HubValue? {
        guard let first = filters.first else { return try await body(invocation) }
        let rest = filters.dropFirst()
        return try await first.invoke(invocation) { next in try await chainInvoke(rest, next, body) }
    }

    func filteredConnected(_ context: HubCallerContext) async throws {
        try await Self.chainConnected(filters[...], context, connectedHandler ?? { _ in })
    }

    private static func chainConnected(
        _ filters: ArraySlice<any HubFilter>, _ context: HubCallerContext,
        _ body: @escaping @Sendable (HubCallerContext) async throws -> Void
    ) async throws {
        guard let first = filters.first else { return try await body(context) }
        let rest = filters.dropFirst()
        try await first.onConnected(context) { next in try await chainConnected(rest, next, body) }
    }

    func filteredDisconnected(_ context: HubCallerContext, error: (any Error)?) async throws {
        try await Self.chainDisconnected(filters[...], context, error, disconnectedHandler ?? { _, _ in })
    }

    private static func chainDisconnected(
        _ filters: ArraySlice<any HubFilter>, _ context: HubCallerContext, _ error: (any Error)?,
        _ body: @escaping @Sendable (HubCallerContext, (any Error)?) async throws -> Void
    ) async throws {
        guard let first = filters.first else { return try await body(context, error) }
        let rest = filters.dropFirst()
        try await first.onDisconnected(context, error: error) { next, error in
            try await chainDisconnected(rest, next, error, body)
        }
    }
}
