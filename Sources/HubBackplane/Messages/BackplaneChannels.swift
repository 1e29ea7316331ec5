/// The Redis channel names of one hub, as ASP.NET Core's Redis backplane names them.
///
/// `hubName` is the .NET hub type's full name (`SignalRHubs.LearningHub`); every node of a
/// cluster — Switchboard or ASP.NET Core — must use the same string. The optional `prefix` is
/// StackExchange.Redis's `ChannelPrefix`: its bytes are prepended to every channel with no
/// separator (`prod` + `MyApp.ChatHub:all` → `prodMyApp.ChatHub:all`).
public struct BackplaneChannels: Sendable, Hashable {
    /// The hub's name as used in channel names.
    public let hubName: String
    /// The raw channel prefix ("" for none).
    public let prefix: String
    private let base: String

    /// The channels of `hubName`, each prefixed with `prefix`.
    public init(hubName: String, prefix: String = "") {
        self.hubName = hubName
        self.prefix = prefix
        self.base = prefix + hubName
    }

    /// `P:all`: sends to every connection (minus exclusions). Every node subscribes at start.
    public var all: String { base + ":all" }

    /// `P:internal:groups`: group commands for connections on other nodes. Every node subscribes.
    public var internalGroups: String { base + ":internal:groups" }

    /// `P:internal:ack:<server>`: acks of `server`'s group commands; `server` subscribes.
    public func ack(server: String) -> String { base + ":internal:ack:" + server }

    /// `P:internal:return:<server>`: client results coming back to `server`; `server` subscribes.
    public func returnResults(server: String) -> String { base + ":internal:return:" + server }

    /// `P:connection:<id>`: sends to one connection; its node subscribes while it is connected.
    public func connection(_ connectionId: String) -> String { base + ":connection:" + connectionId }

    /// `P:group:<name>`: sends to a group; subscribed by each node with a local member.
    public func group(_ groupName: String) -> String { base + ":group:" + groupName }

    /// `P:user:<id>`: sends to a user; subscribed by each node with a local connection of that user.
    public func user(_ userId: String) -> String { base + ":user:" + userId }
}
