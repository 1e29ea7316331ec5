import NIOCore

/// What the handshake request and response readers share: the framing and the object walk.
enum HandshakeFrames {
    /// The next record-separated payload, with the size limit turned into `Handshake was canceled.`
    static func next(_ buffer: inout ByteBuffer, maximumSize: Int?) throws(HubProtocolError) -> ByteBuffer? {
        var frames = HubFrameDecoder(framing: .recordSeparator, maximumMessageSize: maximumSize)
        do {
            return try frames.nextFrame(&buffer)
        } catch  where error.code == .messageTooBig {
            throw HubProtocolError(.handshakeCanceled, "Handshake was canceled.", context: error.message)
        }
    }

    /// Walks the members of the JSON object in `payload`; `member` must consume each value.
    static func readObject(
        _ payload: ByteBuffer,
        member: (inout JSONScanner, JSONScanner.StringToken) throws(HubProtocolError) -> Void
    ) throws(HubProtocolError) {
        let result = payload.withUnsafeReadableBytes { bytes -> Result<Void, HubProtocolError> in
            var scanner = JSONScanner(bytes)
            do throws(HubProtocolError) {
                guard let first = scanner.peek() else { throw scanner.unexpected() }
                guard first == UInt8(ascii: "{") else {
                    var error = JSONMessageReader.notAnObject(first) ?? scanner.unexpected()
                    error.code = .invalidHandshake
                    throw error
                }
                scanner.index += 1
                if scanner.peek() == UInt8(ascii: "}") {
                    scanner.index += 1
                } else {
                    repeat {
                        guard scanner.peek() == UInt8(ascii: "\"") else { throw scanner.unexpected() }
                        let name = try scanner.scanString()
                        try scanner.expect(UInt8(ascii: ":"))
                        try member(&scanner, name)
                    } while try scanner.nextMember(close: UInt8(ascii: "}"))
                }
                try scanner.expectEnd()
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        do {
            try result.get()
        } catch  where error.code == .invalidJSON {
            throw HubProtocolError(.invalidHandshake, error.message, context: error.context)
        }
    }
}
