/// The wire format of a raw value: the hub protocol whose reader sliced it out of a message.
public enum HubValueFormat: String, Sendable, Hashable {
    /// A JSON value (UTF-8 text), read by ``JSONHubProtocol``.
    case json
    /// A MessagePack value, read by ``MessagePackHubProtocol``.
    case messagePack
}
