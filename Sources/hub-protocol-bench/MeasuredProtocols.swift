import HubProtocol

/// The hub protocols measured, in the order a node lists them in its backplane messages (`json`,
/// then `messagepack`, as ASP.NET Core's `SupportedProtocols` usually are).
///
/// The one place the MessagePack rows come from: `encode` and `decode` run once per entry, and
/// `backplane-encode` serializes the message with every entry through `SerializedHubMessage`.
let measuredProtocols: [any HubProtocol] = [JSONHubProtocol(), MessagePackHubProtocol()]

/// Whether `hubProtocol` is a hand-written stand-in rather than a real protocol of the `HubProtocol`
/// module (its rows would be marked `"stand_in": true`). None is any more: the stand-in used before
/// `MessagePackHubProtocol` existed is gone.
func isStandIn(_ hubProtocol: any HubProtocol) -> Bool {
    false
}
