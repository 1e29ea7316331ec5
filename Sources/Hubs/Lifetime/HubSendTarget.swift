/// Which connections a message goes to: what a client proxy (`Clients.All`, `Clients.Group(g)` …)
/// asks of the lifetime manager.
public enum HubSendTarget: Sendable, Hashable {
    /// Every connection, except the listed connection ids.
    case all(excluding: [String])
    /// One connection.
    case connection(String)
    /// Several connections.
    case connections([String])
    /// The members of a group, except the listed connection ids.
    case group(String, excluding: [String])
    /// The members of several groups (a connection in two of them gets the message twice, as in
    /// ASP.NET Core); empty names are skipped.
    case groups([String])
    /// Every connection of a user.
    case user(String)
    /// Every connection of several users; empty names are skipped.
    case users([String])
}
