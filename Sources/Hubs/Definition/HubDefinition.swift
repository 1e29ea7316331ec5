import HubProtocol

/// A hub: its name, its methods with their Swift types, and its connection hooks and filters.
///
/// ```swift
/// var hub = HubDefinition(name: "SignalRHubs.LearningHub")
/// hub.on("BroadcastMessage") { (hub: HubCallerContext, message: String) in
///     try await hub.clients.all.send("ReceiveMessage", message)
/// }
/// hub.stream("Count") { (hub: HubCallerContext, to: Int) in AsyncStream { … } }
/// ```
///
/// Parameters are declared with their types; each invocation's arguments are decoded once,
/// straight from the received JSON or MessagePack into those types. A ``HubStream`` parameter
/// receives a client-to-server stream. Method names match case-insensitively; registering a
/// name twice (in any case) is a programmer error, as overloads are in ASP.NET Core.
public struct HubDefinition: Sendable {
    /// The hub's name; the Redis backplane uses it in channel names (ASP.NET Core uses the hub
    /// class's full type name, such as `SignalRHubs.LearningHub`).
    public let name: String
    var methods: [String: HubMethodDescriptor] = [:]
    /// The same methods under their registered names: most clients send those, which spares the
    /// lowercasing.
    var exactMethods: [String: HubMethodDescriptor] = [:]
    var connectedHandler: (@Sendable (HubCallerContext) async throws -> Void)?
    var disconnectedHandler: (@Sendable (HubCallerContext, (any Error)?) async throws -> Void)?
    var filters: [any HubFilter] = []

    /// An empty hub named `name`.
    public init(name: String) {
        self.name = name
    }

    /// The registered method names.
    public var methodNames: [String] { methods.values.map(\.name).sorted() }

    /// Runs after the handshake, once the lifetime manager knows the connection
    /// (ASP.NET Core's `OnConnectedAsync`). Throwing closes the connection with an error.
    public mutating func onConnected(_ body: @escaping @Sendable (HubCallerContext) async throws -> Void) {
        connectedHandler = body
    }

    /// Runs when the connection has ended, with the error that ended it, if any (ASP.NET Core's
    /// `OnDisconnectedAsync`); the connection is still in its groups.
    public mutating func onDisconnected(
        _ body: @escaping @Sendable (HubCallerContext, (any Error)?) async throws -> Void
    ) {
        disconnectedHandler = body
    }

    /// Adds a filter; filters run in the order added, the first outermost.
    public mutating func addFilter(_ filter: any HubFilter) {
        filters.append(filter)
    }

    /// Registers a method without a result.
    public mutating func on<each P: Decodable & Sendable>(
        _ name: String, _ body: @escaping @Sendable (HubCallerContext, repeat each P) async throws -> Void
    ) {
        let shape = HubArgumentBinder.shape(of: repeat (each P).self)
        register(
            HubMethodDescriptor(
                name: name, argumentCount: shape.arguments, streamCount: shape.streams, isStreaming: false
            ) { context, arguments, streams, _ in
                var binder = HubArgumentBinder(arguments: arguments, streams: streams)
                let values = (repeat try binder.next((each P).self))
                try await body(context, repeat each values)
                return .void
            })
    }

    /// Registers a method that returns a value (sent in the caller's Completion).
    public mutating func on<each P: Decodable & Sendable, R: Encodable & Sendable>(
        _ name: String, _ body: @escaping @Sendable (HubCallerContext, repeat each P) async throws -> R
    ) {
        let shape = HubArgumentBinder.shape(of: repeat (each P).self)
        register(
            HubMethodDescriptor(
                name: name, argumentCount: shape.arguments, streamCount: shape.streams, isStreaming: false
            ) { context, arguments, streams, _ in
                var binder = HubArgumentBinder(arguments: arguments, streams: streams)
                let values = (repeat try binder.next((each P).self))
                return .value(HubValue(try await body(context, repeat each values)))
            })
    }

    /// Registers a server-to-client streaming method: clients call it with a StreamInvocation and
    /// get one StreamItem per element, then a Completion. A CancelInvocation cancels the task
    /// iterating the sequence.
    public mutating func stream<each P: Decodable & Sendable, S: AsyncSequence & Sendable>(
        _ name: String, _ body: @escaping @Sendable (HubCallerContext, repeat each P) async throws -> S
    ) where S.Element: Encodable & Sendable, S.AsyncIterator: SendableMetatype {
        let shape = HubArgumentBinder.shape(of: repeat (each P).self)
        register(
            HubMethodDescriptor(
                name: name, argumentCount: shape.arguments, streamCount: shape.streams, isStreaming: true
            ) { context, arguments, streams, items in
                var binder = HubArgumentBinder(arguments: arguments, streams: streams)
                let values = (repeat try binder.next((each P).self))
                let sequence = try await body(context, repeat each values)
                guard let items else { return .void }
                for try await element in sequence {
                    try await items.write(HubValue(element))
                }
                return .void
            })
    }

    private mutating func register(_ descriptor: HubMethodDescriptor) {
        let key = descriptor.name.lowercased()
        precondition(methods[key] == nil, "Hub method '\(descriptor.name)' is registered twice.")
        methods[key] = descriptor
        exactMethods[descriptor.name] = descriptor
    }

    func method(named target: String) -> HubMethodDescriptor? {
        if let exact = exactMethods[target] { return exact }
        return methods[target.lowercased()]
    }
}
