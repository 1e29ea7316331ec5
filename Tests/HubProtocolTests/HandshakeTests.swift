import HubProtocol
import NIOCore
import Testing

@Suite("Handshake")
struct HandshakeTests {
    let protocols: [any HubProtocol] = [JSONHubProtocol(), MessagePackHubProtocol()]

    @Test("only the handshake is consumed; hub data in the same read stays")
    func consumesOnlyTheHandshake() throws {
        var buffer = ByteBuffer(bytes: frame(#"{"protocol":"json","version":1}"#) + frame(#"{"type":6}"#))
        let request = try HandshakeRequest.parse(&buffer)
        #expect(request == HandshakeRequest(protocolName: "json", version: 1))
        #expect(array(buffer) == frame(#"{"type":6}"#))
    }

    @Test("an incomplete request consumes nothing, at every split")
    func incomplete() throws {
        let input = frame(#"{"protocol":"messagepack","version":2}"#) + hex("02 91 06")
        for i in 0..<(input.count - 3) {
            var buffer = ByteBuffer(bytes: input[..<i])
            #expect(try HandshakeRequest.parse(&buffer) == nil)
            #expect(buffer.readableBytes == i)
            buffer.writeBytes(input[i...])
            #expect(try HandshakeRequest.parse(&buffer) == HandshakeRequest(protocolName: "messagepack", version: 2))
            #expect(array(buffer) == hex("02 91 06"))
        }
    }

    @Test("members in any order, whitespace, unknown members")
    func lenientRequest() throws {
        var buffer = ByteBuffer(
            bytes: frame(" {\n \"extra\": [1, {\"a\": null}], \"version\" : 2 , \"protocol\":\"json\" } "))
        #expect(try HandshakeRequest.parse(&buffer) == HandshakeRequest(protocolName: "json", version: 2))
    }

    @Test("versions 1 and 2 are accepted and reported", arguments: [1, 2])
    func acceptedVersions(version: Int) {
        let selection = HandshakeSelection.select(
            HandshakeRequest(protocolName: "json", version: version), from: protocols, transferFormats: [.text])
        guard case .accepted(let chosen, let accepted) = selection else {
            Issue.record("rejected: \(selection)")
            return
        }
        #expect(chosen.name == "json")
        #expect(accepted == version)
    }

    @Test("protocol names compare case-insensitively")
    func protocolNameCase() {
        let selection = HandshakeSelection.select(
            HandshakeRequest(protocolName: "JSON", version: 1), from: protocols, transferFormats: [.text])
        guard case .accepted(let chosen, _) = selection else {
            Issue.record("rejected")
            return
        }
        #expect(chosen.name == "json")
    }

    struct Rejection: Sendable, CustomTestStringConvertible {
        var request: HandshakeRequest
        var formats: HubTransferFormat
        var error: String
        var testDescription: String { error }
    }

    @Test(
        "rejections carry ASP.NET Core's exact texts",
        arguments: [
            Rejection(
                request: HandshakeRequest(protocolName: "xml", version: 1), formats: [.text, .binary],
                error: "The protocol 'xml' is not supported."),
            Rejection(
                request: HandshakeRequest(protocolName: "json", version: 3), formats: [.text, .binary],
                error: "The server does not support version 3 of the 'json' protocol."),
            Rejection(
                request: HandshakeRequest(protocolName: "messagepack", version: 1), formats: [.text],
                error:
                    "Cannot use the 'messagepack' protocol on the current transport. The transport does not support 'Binary' transfer format."
            ),
            Rejection(
                request: HandshakeRequest(protocolName: "json", version: 1), formats: [.binary],
                error:
                    "Cannot use the 'json' protocol on the current transport. The transport does not support 'Text' transfer format."
            ),
        ])
    func rejections(rejection: Rejection) throws {
        let selection = HandshakeSelection.select(
            rejection.request, from: protocols, transferFormats: rejection.formats)
        guard case .rejected(let response) = selection else {
            Issue.record("accepted")
            return
        }
        #expect(response.error == rejection.error)
        var buffer = ByteBuffer()
        response.write(into: &buffer)
        #expect(array(buffer) == frame("{\"error\":\"\(rejection.error)\"}"))
        #expect(try HandshakeResponse.parse(&buffer) == response)
    }

    @Test("a request bigger than the maximum receive size is canceled, at the boundary")
    func tooBig() throws {
        let request = frame(#"{"protocol":"json","version":1}"#)  // 32 bytes
        var fits = ByteBuffer(bytes: request)
        #expect(try HandshakeRequest.parse(&fits, maximumSize: request.count) != nil)

        var tooBig = ByteBuffer(bytes: request)
        #expect {
            _ = try HandshakeRequest.parse(&tooBig, maximumSize: request.count - 1)
        } throws: { error in
            (error as? HubProtocolError)?.code == .handshakeCanceled
                && (error as? HubProtocolError)?.message == "Handshake was canceled."
        }

        // Incomplete: waits while the bytes fit, fails once they cannot.
        var partial = ByteBuffer(bytes: request[..<10])
        #expect(try HandshakeRequest.parse(&partial, maximumSize: 10) == nil)
        partial.writeInteger(UInt8(ascii: " "))
        #expect(throws: HubProtocolError.self) { try HandshakeRequest.parse(&partial, maximumSize: 10) }

        var response = ByteBuffer()
        HandshakeResponse.canceled.write(into: &response)
        #expect(array(response) == frame(#"{"error":"Handshake was canceled."}"#))
    }

    @Test(
        "malformed requests throw ASP.NET Core's texts",
        arguments: [
            (#"{"version":1}"#, #"Missing required property 'protocol'. Message content: {"version":1}"#),
            (#"{"protocol":"json"}"#, #"Missing required property 'version'. Message content: {"protocol":"json"}"#),
            (
                #"{"protocol":"json","version":null}"#,
                #"Missing required property 'version'. Message content: {"protocol":"json","version":null}"#
            ),
            (#"{"protocol":1,"version":1}"#, "Expected 'protocol' to be of type String."),
            (#"{"protocol":"json","version":"1"}"#, "Expected 'version' to be of type Number."),
            (#"{"protocol":"json","version":1.5}"#, "Expected 'version' to be of type Number."),
            (#"[]"#, "Unexpected JSON Token Type 'Array'. Expected a JSON Object."),
            (#"{"protocol":"json","#, "Error reading JSON."),
            ("", "Error reading JSON."),
        ])
    func malformed(input: String, message: String) {
        var buffer = ByteBuffer(bytes: frame(input))
        #expect {
            _ = try HandshakeRequest.parse(&buffer)
        } throws: { error in
            let error = error as? HubProtocolError
            return error?.code == .invalidHandshake && error?.message == message
        }
    }

    @Test("unexpected handshake errors")
    func unexpectedError() {
        #expect(
            HandshakeResponse.unexpectedError().error == "An unexpected error occurred during connection handshake.")
        #expect(
            HandshakeResponse.unexpectedError(detail: "InvalidDataException: x").error
                == "An unexpected error occurred during connection handshake. InvalidDataException: x")
    }

    @Test("a client reads the response and keeps the hub data after it")
    func clientReadsResponse() throws {
        var buffer = ByteBuffer(bytes: hex("7b 7d 1e 02 91 06"))
        #expect(try HandshakeResponse.parse(&buffer) == .success)
        #expect(array(buffer) == hex("02 91 06"))

        var failure = ByteBuffer(bytes: frame(#"{"error":"The protocol 'x' is not supported."}"#))
        #expect(try HandshakeResponse.parse(&failure)?.error == "The protocol 'x' is not supported.")

        var message = ByteBuffer(bytes: frame(#"{"type":6}"#))
        #expect {
            _ = try HandshakeResponse.parse(&message)
        } throws: { error in
            (error as? HubProtocolError)?.message == "Expected a handshake response from the server."
        }
    }
}
