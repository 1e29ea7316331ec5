/// The client proxies available anywhere (``HubContext/clients``): everyone, connections, groups,
/// users.
public struct HubClients: Sendable {
    let manager: any HubLifetimeManager

    init(manager: any HubLifetimeManager) {
        self.manager = manager
    }

    /// Every connection.
    public var all: HubClientProxy { HubClientProxy(manager: manager, target: .all(excluding: [])) }
    /// Every connection except the listed ones.
    public func allExcept(_ connectionIds: [String]) -> HubClientProxy {
        HubClientProxy(manager: manager, target: .all(excluding: connectionIds))
    }
    /// One connection, with client results.
    public func client(_ connectionId: String) -> HubSingleClientProxy {
        HubSingleClientProxy(manager: manager, connectionId: connectionId)
    }
    /// Several connections.
    public func clients(_ connectionIds: [String]) -> HubClientProxy {
        HubClientProxy(manager: manager, target: .connections(connectionIds))
    }
    /// A group's members.
    public func group(_ name: String) -> HubClientProxy {
        HubClientProxy(manager: manager, target: .group(name, excluding: []))
    }
    /// Several groups' members (empty names skipped).
    public func groups(_ names: [String]) -> HubClientProxy {
        HubClientProxy(manager: manager, target: .groups(names))
    }
    /// A group's members except the listed connections.
    public func groupExcept(_ name: String, _ connectionIds: [String]) -> HubClientProxy {
        HubClientProxy(manager: manager, target: .group(name, excluding: connectionIds))
    }
    /// Every connection of a user.
    public func user(_ userId: String) -> HubClientProxy {
        HubClientProxy(manager: manager, target: .user(userId))
    }
    /// Every connection of several users (empty names skipped).
    public func users(_ userIds: [String]) -> HubClientProxy {
        HubClientProxy(manager: manager, target: .users(userIds))
    }
}

/// The client proxies inside a hub method: those of ``HubClients`` plus the caller-relative ones.
public struct HubCallerClients: Sendable {
    let base: HubClients
    /// The calling connection's id.
    public let connectionId: String

    init(manager: any HubLifetimeManager, connectionId: String) {
        self.base = HubClients(manager: manager)
        self.connectionId = connectionId
    }

    /// The calling connection, with client results.
    public var caller: HubSingleClientProxy { base.client(connectionId) }
    /// Every connection but the caller.
    public var others: HubClientProxy { base.allExcept([connectionId]) }
    /// A group's members but the caller.
    public func othersInGroup(_ name: String) -> HubClientProxy { base.groupExcept(name, [connectionId]) }

    /// Every connection.
    public var all: HubClientProxy { base.all }
    /// Every connection except the listed ones.
    public func allExcept(_ connectionIds: [String]) -> HubClientProxy { base.allExcept(connectionIds) }
    /// One connection, with client results.
    public func client(_ connectionId: String) -> HubSingleClientProxy { base.client(connectionId) }
    /// Several connections.
    public func clients(_ connectionIds: [String]) -> HubClientProxy { base.clients(connectionIds) }
    /// A group's members.
    public func group(_ name: String) -> HubClientProxy { base.group(name) }
    /// Several groups' members.
    public func groups(_ names: [String]) -> HubClientProxy { base.groups(names) }
    /// A group's members except the listed connections.
    public func groupExcept(_ name: String, _ connectionIds: [String]) -> HubClientProxy {
        base.groupExcept(name, connectionIds)
    }
    /// Every connection of a user.
    public func user(_ userId: String) -> HubClientProxy { base.user(userId) }
    /// Every connection of several users.
    public func users(_ userIds: [String]) -> HubClientProxy { base.users(userIds) }
}

/// Adds connections to groups and removes them (ASP.NET Core's `IGroupManager`). On a cluster the
/// connection may live on another node, so both are `async` and throw.
public struct HubGroupManager: Sendable {
    let manager: any HubLifetimeManager

    init(manager: any HubLifetimeManager) {
        self.manager = manager
    }

    /// Adds a connection to a group (a no-op for an unknown connection or a member).
    public func add(_ connectionId: String, to group: String) async throws {
        try await manager.addToGroup(group, connectionId: connectionId)
    }

    /// Removes a connection from a group.
    public func remove(_ connectionId: String, from group: String) async throws {
        try await manager.removeFromGroup(group, connectionId: connectionId)
    }
}

/// Sends to a hub's clients from anywhere in the process (an HTTP handler, a background task):
/// ASP.NET Core's `IHubContext`.
public struct HubContext: Sendable {
    /// The client proxies.
    public let clients: HubClients
    /// Group membership.
    public let groups: HubGroupManager

    /// A context over a lifetime manager.
    public init(lifetimeManager: any HubLifetimeManager) {
        self.clients = HubClients(manager: lifetimeManager)
        self.groups = HubGroupManager(manager: lifetimeManager)
    }
}

/// What hub code gets on each call: the calling connection, the proxies, group management.
public struct HubCallerContext: Sendable {
    /// The calling connection.
    public let connection: HubConnection
    /// The client proxies, including `caller` and `others`.
    public let clients: HubCallerClients
    /// Group membership.
    public let groups: HubGroupManager

    init(connection: HubConnection, manager: any HubLifetimeManager) {
        self.connection = connection
        self.clients = HubCallerClients(manager: manager, connectionId: connection.connectionId)
        self.groups = HubGroupManager(manager: manager)
    }

    /// The caller's connection id.
    public var connectionId: String { connection.connectionId }
    /// The caller's user.
    public var user: HubUser { connection.user }
    /// The caller's user id, if any.
    public var userIdentifier: String? { connection.user.identifier }
    /// The caller's per-connection storage.
    public var items: HubConnectionItems { connection.items }
}
