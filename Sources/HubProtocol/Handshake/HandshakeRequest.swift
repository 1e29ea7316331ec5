import NIOCore

/// The client's handshake request: `{"protocol":"json","version":1}` followed by `0x1E`.
///
/// It is JSON text for every hub protocol, and may share a read with the first hub messages:
/// ``parse(_:maximumSize:)`` consumes only up to and including the record separator.
public struct HandshakeRequest: Sendable, Hashable {
    /// The protocol asked for (`json`, `messagepack`).
    public var protocolName: String
    /// The protocol version asked for (1, or 2 for stateful reconnect).
    public var version: Int

    /// Makes a request.
    public init(protocolName: String, version: Int) {
        self.protocolName = protocolName
        self.version = version
    }

    /// Parses a request from the front of `buffer` and consumes it (through its `0x1E`); `nil`,
    /// consuming nothing, until the whole request has arrived.
    ///
    /// A request that does not fit in `maximumSize` bytes (`MaximumReceiveMessageSize`, separator
    /// included; `nil`: unlimited) throws ``HubProtocolError/Code-swift.enum/handshakeCanceled``
    /// (answer ``HandshakeResponse/canceled``). Malformed requests throw
    /// ``HubProtocolError/Code-swift.enum/invalidHandshake`` with ASP.NET Core's text (answer
    /// ``HandshakeResponse/unexpectedError(detail:)``).
    public static func parse(
        _ buffer: inout ByteBuffer, maximumSize: Int? = HubFrameDecoder.defaultMaximumMessageSize
    ) throws(HubProtocolError) -> HandshakeRequest? {
        guard let payload = try HandshakeFrames.next(&buffer, maximumSize: maximumSize) else { return nil }
        var protocolName: String?
        var version: Int64?
        try HandshakeFrames.readObject(payload) { (scanner, name) throws(HubProtocolError) in
            if scanner.string(name, equals: "protocol") {
                guard scanner.peek() == UInt8(ascii: "\"") else {
                    _ = try scanner.skipValue(depth: 1)
                    throw HubProtocolError(.invalidHandshake, "Expected 'protocol' to be of type String.")
                }
                protocolName = scanner.string(try scanner.scanString())
            } else if scanner.string(name, equals: "version") {
                if try scanner.consumeNull() {
                    version = nil
                    return
                }
                let first = scanner.peek() ?? 0
                guard first == UInt8(ascii: "-") || scanner.isDigit(first) else {
                    _ = try scanner.skipValue(depth: 1)
                    throw HubProtocolError(.invalidHandshake, "Expected 'version' to be of type Number.")
                }
                let token = try scanner.scanNumber()
                guard let value = scanner.integerValue(token), Int32(exactly: value) != nil else {
                    throw HubProtocolError(
                        .invalidHandshake, "Expected 'version' to be of type Number.",
                        context: "not a 32-bit integer")
                }
                version = value
            } else {
                _ = try scanner.skipValue(depth: 1)
            }
        }
        let content = String(buffer: payload)
        guard let protocolName else {
            throw HubProtocolError(
                .invalidHandshake, "Missing required property 'protocol'. Message content: \(content)")
        }
        guard let version else {
            throw HubProtocolError(
                .invalidHandshake, "Missing required property 'version'. Message content: \(content)")
        }
        return HandshakeRequest(protocolName: protocolName, version: Int(version))
    }

    /// Appends the request as a client writes it: `{"protocol":"<name>","version":<v>}` + `0x1E`.
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeStaticString("{\"protocol\":")
        buffer.writeJSONString(protocolName)
        buffer.writeStaticString(",\"version\":")
        buffer.writeString(String(version))
        buffer.writeInteger(UInt8(ascii: "}"))
        buffer.writeInteger(HubFraming.recordSeparatorByte)
    }
}
