/// The hub protocol a bench connection speaks after the handshake.
///
/// JSON goes in text frames, each message ended by `0x1E`; MessagePack goes in binary frames,
/// each message prefixed by its VarInt length (signalr-protocol.md §c).
public enum HubWireProtocol: String, Sendable, CaseIterable {
    case json
    case messagepack
}
