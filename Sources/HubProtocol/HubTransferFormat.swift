/// The kinds of transport data a protocol needs (text or binary), or a transport can carry.
public struct HubTransferFormat: OptionSet, Sendable, Hashable {
    /// The bits: 1 text, 2 binary.
    public let rawValue: Int

    /// Makes a set of formats.
    public init(rawValue: Int) {
        self.rawValue = rawValue
    }

    /// UTF-8 text (JSON; WebSocket text frames; the only format Server-Sent Events carry).
    public static let text = HubTransferFormat(rawValue: 1)
    /// Arbitrary bytes (MessagePack; WebSocket binary frames).
    public static let binary = HubTransferFormat(rawValue: 2)

    /// ASP.NET Core's name for a single format (`Text`, `Binary`), as used in handshake errors.
    public var name: String {
        switch self {
        case .text: return "Text"
        case .binary: return "Binary"
        default: return self.isEmpty ? "None" : "Text, Binary"
        }
    }
}
