/// The server's decision on a handshake request: the protocol and version to use, or the
/// response that refuses it.
public enum HandshakeSelection: Sendable {
    /// Use `hubProtocol` at `version`; answer ``HandshakeResponse/success``. Version 2 (or more)
    /// allows stateful reconnect.
    case accepted(hubProtocol: any HubProtocol, version: Int)
    /// Answer with this response, then close.
    case rejected(HandshakeResponse)

    /// Picks the protocol `request` asks for from `protocols`, checking, in ASP.NET Core's order,
    /// that it exists (names compare case-insensitively, as in ASP.NET Core), supports the version,
    /// and fits the transport's `transferFormats`.
    public static func select(
        _ request: HandshakeRequest, from protocols: [any HubProtocol], transferFormats: HubTransferFormat
    ) -> HandshakeSelection {
        let asked = request.protocolName.lowercased()
        guard let chosen = protocols.first(where: { $0.name.lowercased() == asked }) else {
            return .rejected(.unsupportedProtocol(request.protocolName))
        }
        guard chosen.isVersionSupported(request.version) else {
            return .rejected(.unsupportedVersion(request.version, protocolName: chosen.name))
        }
        guard transferFormats.contains(chosen.transferFormat) else {
            return .rejected(
                .unsupportedTransferFormat(protocolName: chosen.name, transferFormat: chosen.transferFormat))
        }
        return .accepted(hubProtocol: chosen, version: request.version)
    }
}
