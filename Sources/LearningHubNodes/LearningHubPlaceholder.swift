import Hubs

/// A stand-in for the `LearningHub` module's hub until that module lands on this branch: the
/// broadcast method and the `HubUsers` group of ../shared/spec/learninghub.md, nothing more.
enum LearningHubPlaceholder {
    static var definition: HubDefinition {
        var hub = HubDefinition(name: "SignalRHubs.LearningHub")
        hub.on("BroadcastMessage") { (hub: HubCallerContext, message: String) in
            try await hub.clients.all.send(
                "ReceiveMessage", "User connection id: \(hub.connectionId). Message: \(message)")
        }
        hub.onConnected { hub in try await hub.groups.add(hub.connectionId, to: "HubUsers") }
        hub.onDisconnected { hub, _ in try await hub.groups.remove(hub.connectionId, from: "HubUsers") }
        return hub
    }
}
