import HubProtocol

/// Tracks a hub's connections and groups and delivers messages to them: in memory on one node
/// (``InMemoryHubLifetimeManager``), or across nodes through a backplane.
///
/// Messages arrive serialized (``SerializedHubMessage``: bytes cached per protocol), so a message
/// for many connections is encoded once per protocol. Nothing above this protocol may assume one
/// node: group changes and client results may cross nodes, so they are `async` and throw.
public protocol HubLifetimeManager: Sendable {
    /// Registers a connection whose handshake has completed, before the hub's `onConnected`.
    func connectionStarted(_ connection: HubConnection) async throws
    /// Unregisters a connection after the hub's `onDisconnected`: drops it from every group and
    /// fails the client results it still owes.
    func connectionEnded(_ connection: HubConnection) async

    /// Called on the connection's event loop the moment its transport ends, before the hub's
    /// `onDisconnected`: fail the client results the connection owes, so code awaiting them (perhaps
    /// the connection's own hub method) can finish.
    func connectionAborted(_ connection: HubConnection)

    /// Delivers `message` to the connections `target` names; unknown connections, users and empty
    /// groups are skipped without error. Returns once the message is handed to the transports (or
    /// the backplane).
    func send(_ message: SerializedHubMessage, to target: HubSendTarget) async throws

    /// Adds a connection (on any node) to a group; a no-op for an unknown connection.
    func addToGroup(_ group: String, connectionId: String) async throws
    /// Removes a connection (on any node) from a group.
    func removeFromGroup(_ group: String, connectionId: String) async throws

    /// Sends `invocation` (its invocation id is chosen here) to one connection and returns the
    /// value of the client's Completion. Throws ``HubError/Code-swift.enum/connectionNotFound``,
    /// ``HubError/Code-swift.enum/clientResultError`` with the client's text, or
    /// ``HubError/Code-swift.enum/connectionDisconnected``; cancelling the task stops the wait.
    func invoke(connectionId: String, target: String, arguments: HubArguments) async throws -> HubValue

    /// Hands over a Completion a connection sent that answers a client result (it matched no
    /// upload stream). Unknown ids are ignored.
    func setConnectionResult(connectionId: String, completion: CompletionMessage)
}
