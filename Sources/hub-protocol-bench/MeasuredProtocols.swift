import HubProtocol

/// The hub protocols measured, in the order a node lists them in its backplane messages (`json`,
/// then `messagepack`, as ASP.NET Core's `SupportedProtocols` usually are).
///
/// The one place the MessagePack rows come from: `encode` and `decode` run once per entry, and
/// `backplane-encode` serializes the message with every entry through `SerializedHubMessage`.
// MessagePackHubProtocol: replace `StandInMessagePackHubProtocol()` with `MessagePackHubProtocol()`.
let measuredProtocols: [any HubProtocol] = [JSONHubProtocol(), StandInMessagePackHubProtocol()]

/// Whether `hubProtocol` is this benchmark's hand-written stand-in rather than a real protocol of
/// the `HubProtocol` module (its rows are marked `"stand_in": true`).
// MessagePackHubProtocol: delete StandInMessagePackHubProtocol.swift and make this return false.
func isStandIn(_ hubProtocol: any HubProtocol) -> Bool {
    hubProtocol is StandInMessagePackHubProtocol
}
