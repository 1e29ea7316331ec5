import HubProtocol

/// Sends to the connections a proxy names (`clients.all`, `clients.group("g")` …).
///
/// Every send is an Invocation without an invocation id (the client sends nothing back),
/// serialized once per protocol however many connections receive it.
public struct HubClientProxy: Sendable {
    let manager: any HubLifetimeManager
    /// Who receives what this proxy sends.
    public let target: HubSendTarget

    init(manager: any HubLifetimeManager, target: HubSendTarget) {
        self.manager = manager
        self.target = target
    }

    /// Calls `method` on the clients with the given arguments.
    public func send<each A: Encodable & Sendable>(_ method: String, _ arguments: repeat each A) async throws {
        try await send(method, arguments: HubArguments(repeat each arguments))
    }

    /// Calls `method` on the clients with ready-made arguments.
    public func send(_ method: String, arguments: HubArguments) async throws {
        let message = SerializedHubMessage(.invocation(InvocationMessage(target: method, arguments: arguments)))
        try await manager.send(message, to: target)
    }
}

/// A proxy for one connection: sends, and client results (``invoke(_:_:returning:timeout:)``).
public struct HubSingleClientProxy: Sendable {
    let manager: any HubLifetimeManager
    /// The connection id.
    public let connectionId: String

    init(manager: any HubLifetimeManager, connectionId: String) {
        self.manager = manager
        self.connectionId = connectionId
    }

    /// Sends to this connection like any other proxy.
    private var proxy: HubClientProxy { HubClientProxy(manager: manager, target: .connection(connectionId)) }

    /// Calls `method` on the client without waiting for anything.
    public func send<each A: Encodable & Sendable>(_ method: String, _ arguments: repeat each A) async throws {
        try await proxy.send(method, arguments: HubArguments(repeat each arguments))
    }

    /// Calls `method` on the client with ready-made arguments.
    public func send(_ method: String, arguments: HubArguments) async throws {
        try await proxy.send(method, arguments: arguments)
    }

    /// Calls `method` on the client and waits for the value its handler returns (a client result).
    ///
    /// Throws ``HubError`` with ``HubError/Code-swift.enum/clientResultError`` and the client's
    /// text when the client answers with an error (`Client didn't provide a result.` when it has no
    /// handler), ``HubError/Code-swift.enum/connectionDisconnected`` when the connection ends,
    /// ``HubError/Code-swift.enum/clientResultTimeout`` after `timeout`, and `CancellationError`
    /// when the task is cancelled. The value is decoded into `R`.
    public func invoke<each A: Encodable & Sendable, R: Decodable & Sendable>(
        _ method: String, _ arguments: repeat each A, returning type: R.Type = R.self, timeout: Duration? = nil
    ) async throws -> R {
        let arguments = HubArguments(repeat each arguments)
        let value: HubValue
        if let timeout {
            value = try await withThrowingTaskGroup(of: HubValue?.self) { group in
                group.addTask {
                    try await manager.invoke(connectionId: connectionId, target: method, arguments: arguments)
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let value = first else {
                    throw HubError(
                        .clientResultTimeout,
                        "The client result for '\(method)' from connection '\(connectionId)' did not arrive within \(timeout)."
                    )
                }
                return value
            }
        } else {
            value = try await manager.invoke(connectionId: connectionId, target: method, arguments: arguments)
        }
        do {
            return try value.decode(R.self)
        } catch {
            throw HubError(.serialization, "The client result for '\(method)' could not be decoded: \(error)")
        }
    }
}

extension HubArguments {
    /// Arguments from Swift values, in order.
    public init<each A: Encodable & Sendable>(_ values: repeat each A) {
        var list: [HubValue] = []
        for value in repeat each values {
            list.append(HubValue(value))
        }
        self.init(list)
    }
}
