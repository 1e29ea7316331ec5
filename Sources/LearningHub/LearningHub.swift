import Hubs

/// The sample hub of the book's scale-out chapter (`SignalRHubs.LearningHub`), method for method;
/// ../shared/spec/learninghub.md is its contract.
///
/// Both sample apps (`web-node`, `api-node`) host it at ``path``. The only client method it
/// calls is `ReceiveMessage(text)`.
public enum LearningHub {
    /// The hub's name: the book's .NET type name, so Redis channel names match ASP.NET Core's.
    public static let name = "SignalRHubs.LearningHub"
    /// Where both apps host it.
    public static let path = "/learningHub"
    /// The group every connection joins on connect.
    public static let defaultGroup = "HubUsers"
    /// The client method every message goes to.
    public static let clientMethod = "ReceiveMessage"
    /// What opening web-node's index page sends to every client (through the hub context).
    public static let indexPageMessage = "Index page has been opened by a client."

    /// The hub. `jobDelay` is the pause after each `TriggerStream` item (1 s in the book).
    public static func definition(jobDelay: Duration = .seconds(1)) -> HubDefinition {
        var hub = HubDefinition(name: name)

        hub.onConnected { hub in
            try await hub.groups.add(hub.connectionId, to: defaultGroup)
        }
        hub.onDisconnected { hub, _ in
            try await hub.groups.remove(hub.connectionId, from: defaultGroup)
        }

        hub.on("BroadcastMessage") { (hub: HubCallerContext, message: String) in
            try await hub.clients.all.send(clientMethod, standardText(hub, message))
        }
        hub.on("SendToOthers") { (hub: HubCallerContext, message: String) in
            try await hub.clients.others.send(clientMethod, standardText(hub, message))
        }
        hub.on("SendToCaller") { (_: HubCallerContext, _: String) in
            // Since the book's chapter 7 this method refuses; with detailed errors off the client
            // sees only ASP.NET Core's generic text.
            throw Exception("You cannot send messages to yourself.")
        }
        hub.on("SendToIndividual") { (hub: HubCallerContext, connectionId: String, message: String) in
            try await hub.clients.client(connectionId).send(clientMethod, standardText(hub, message))
        }
        hub.on("SendToGroup") { (hub: HubCallerContext, groupName: String, message: String) in
            try await hub.clients.group(groupName).send(clientMethod, standardText(hub, message))
        }
        hub.on("AddUserToGroup") { (hub: HubCallerContext, groupName: String) in
            try await hub.groups.add(hub.connectionId, to: groupName)
            try await hub.clients.caller.send(clientMethod, "Current user added to \(groupName) group")
            try await hub.clients.others.send(clientMethod, "User \(hub.connectionId) added to \(groupName) group")
        }
        hub.on("RemoveUserFromGroup") { (hub: HubCallerContext, groupName: String) in
            try await hub.groups.remove(hub.connectionId, from: groupName)
            try await hub.clients.caller.send(clientMethod, "Current user removed from \(groupName) group")
            try await hub.clients.others.send(clientMethod, "User \(hub.connectionId) removed from \(groupName) group")
        }
        hub.on("BroadcastStream") { (hub: HubCallerContext, stream: HubStream<String>) in
            // Despite its name, each uploaded item goes back to the caller only (as in the book).
            for try await item in stream {
                try await hub.clients.caller.send(clientMethod, "Server received \(item)")
            }
        }
        hub.stream("TriggerStream") { (_: HubCallerContext, jobsCount: Int) in
            JobStream(count: jobsCount, delay: jobDelay)
        }
        return hub
    }

    /// `User connection id: <id>. Message: <message>`.
    static func standardText(_ hub: HubCallerContext, _ message: String) -> String {
        "User connection id: \(hub.connectionId). Message: \(message)"
    }
}

/// `TriggerStream`'s items: `Job <i> executed succesfully` (the book's spelling), each followed
/// by `delay`, the last one too; cancelling the task ends it.
public struct JobStream: AsyncSequence, Sendable {
    /// Items to produce.
    public let count: Int
    /// The pause after each item.
    public let delay: Duration

    /// Produces the items.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let count: Int
        let delay: Duration
        var produced = 0

        /// The next item, after the pause that follows the previous one.
        public mutating func next() async throws -> String? {
            if produced > 0 { try await Task.sleep(for: delay) }
            guard produced < count else { return nil }
            defer { produced += 1 }
            return "Job \(produced) executed succesfully"
        }
    }

    /// An iterator.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(count: count, delay: delay) }
}

/// The plain .NET `Exception` the book's `SendToCaller` throws; named so that with detailed
/// errors the client reads ASP.NET Core's text, `… Exception: You cannot send messages to yourself.`
public struct Exception: Error, CustomStringConvertible {
    /// The message.
    public let message: String

    /// Makes one.
    public init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
