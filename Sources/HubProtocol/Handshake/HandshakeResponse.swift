import NIOCore

/// The server's handshake response: `{}` + `0x1E` on success, `{"error":"<text>"}` + `0x1E` on
/// failure (after which the server closes the connection).
///
/// The response is JSON text for every hub protocol; binary framing starts with the next byte.
public struct HandshakeResponse: Sendable, Hashable {
    /// Why the handshake failed; `nil` on success.
    public var error: String?

    /// Makes a response.
    public init(error: String? = nil) {
        self.error = error
    }

    /// Success: `7b 7d 1e`.
    public static let success = HandshakeResponse()

    /// `The protocol '<name>' is not supported.`
    public static func unsupportedProtocol(_ name: String) -> HandshakeResponse {
        HandshakeResponse(error: "The protocol '\(name)' is not supported.")
    }

    /// `The server does not support version <v> of the '<name>' protocol.`
    public static func unsupportedVersion(_ version: Int, protocolName: String) -> HandshakeResponse {
        HandshakeResponse(error: "The server does not support version \(version) of the '\(protocolName)' protocol.")
    }

    /// `Cannot use the '<name>' protocol on the current transport. The transport does not support
    /// '<Text|Binary>' transfer format.`
    public static func unsupportedTransferFormat(
        protocolName: String, transferFormat: HubTransferFormat
    ) -> HandshakeResponse {
        HandshakeResponse(
            error:
                "Cannot use the '\(protocolName)' protocol on the current transport. The transport does not support '\(transferFormat.name)' transfer format."
        )
    }

    /// `Handshake was canceled.`: the handshake timed out or exceeded `MaximumReceiveMessageSize`.
    public static let canceled = HandshakeResponse(error: "Handshake was canceled.")

    /// `An unexpected error occurred during connection handshake.`, with ` <detail>` appended when
    /// given (ASP.NET Core appends `InvalidDataException: <message>` only with detailed errors).
    public static func unexpectedError(detail: String? = nil) -> HandshakeResponse {
        let base = "An unexpected error occurred during connection handshake."
        return HandshakeResponse(error: detail.map { "\(base) \($0)" } ?? base)
    }

    /// Appends the response: `{}` + `0x1E`, or `{"error":"<text>"}` + `0x1E`.
    public func write(into buffer: inout ByteBuffer) {
        if let error, !error.isEmpty {
            buffer.writeStaticString("{\"error\":")
            buffer.writeJSONString(error)
            buffer.writeInteger(UInt8(ascii: "}"))
        } else {
            buffer.writeStaticString("{}")
        }
        buffer.writeInteger(HubFraming.recordSeparatorByte)
    }

    /// Parses a response from the front of `buffer` and consumes it (through its `0x1E`); `nil`,
    /// consuming nothing, until the whole response has arrived. For clients.
    ///
    /// A hub message where the response should be (it has a `type`) throws
    /// `Expected a handshake response from the server.`
    public static func parse(
        _ buffer: inout ByteBuffer, maximumSize: Int? = nil
    ) throws(HubProtocolError) -> HandshakeResponse? {
        guard let payload = try HandshakeFrames.next(&buffer, maximumSize: maximumSize) else { return nil }
        var error: String?
        try HandshakeFrames.readObject(payload) { (scanner, name) throws(HubProtocolError) in
            if scanner.string(name, equals: "type") {
                throw HubProtocolError(.invalidHandshake, "Expected a handshake response from the server.")
            } else if scanner.string(name, equals: "error") {
                guard scanner.peek() == UInt8(ascii: "\"") else {
                    _ = try scanner.skipValue(depth: 1)
                    throw HubProtocolError(.invalidHandshake, "Expected 'error' to be of type String.")
                }
                error = scanner.string(try scanner.scanString())
            } else {
                _ = try scanner.skipValue(depth: 1)
            }
        }
        return HandshakeResponse(error: error)
    }
}
