import NIOCore

/// The `json` hub protocol: UTF-8 JSON objects, each followed by `0x1E`.
///
/// Writing follows ASP.NET Core byte for byte: compact, properties in .NET's order (`type`,
/// `headers` when not empty, `invocationId` when not empty, then the type's fields), Close's
/// `error` only when set and `allowReconnect` only when true. Values are copied verbatim when they
/// are raw JSON, transcoded when they are raw MessagePack (see ``HubValue``), and encoded with
/// `JSONEncoder` otherwise (slashes unescaped, dates as ISO-8601, `Data` as base64).
///
/// Reading uses a small validating scanner (RFC 8259; nesting up to ``maximumDepth``): members
/// in any order, names case-sensitive, unknown members ignored, the last of duplicate members
/// wins. Arguments, stream items and results are kept as raw slices of the input
/// (``HubValue``). `null` for `invocationId` or `error` counts as absent (ASP.NET Core refuses
/// it; Python clients send it).
public struct JSONHubProtocol: HubProtocol {
    /// `json`.
    public var name: String { "json" }
    /// 1, what a client sends unless it uses stateful reconnect (then 2; both are accepted).
    public var version: Int { 1 }
    /// Text.
    public var transferFormat: HubTransferFormat { .text }
    /// Record separators.
    public var framing: HubFraming { .recordSeparator }

    /// The deepest nesting accepted in a message, the message object included (ASP.NET Core: 64).
    public var maximumDepth: Int

    /// Makes the protocol.
    public init(maximumDepth: Int = 64) {
        self.maximumDepth = maximumDepth
    }

    /// Parses one JSON message (a frame without its `0x1E`); `nil` for an unknown `type`.
    public func parseMessage(_ payload: ByteBuffer) throws(HubProtocolError) -> HubMessage? {
        let result = payload.withUnsafeReadableBytes { bytes -> Result<HubMessage?, HubProtocolError> in
            var reader = JSONMessageReader(
                source: payload, scanner: JSONScanner(bytes, maximumDepth: maximumDepth))
            do throws(HubProtocolError) {
                return .success(try reader.read())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Appends `message` as compact JSON followed by `0x1E`.
    public func writeMessage(_ message: HubMessage, into buffer: inout ByteBuffer) throws(HubProtocolError) {
        try HubFraming.recordSeparator.writeFrame(into: &buffer) { (body: inout ByteBuffer) throws(HubProtocolError) in
            try JSONMessageWriter.write(message, into: &body)
        }
    }
}
