import HubProtocol
import NIOCore
import Testing

/// A message and its exact JSON frame, from the spec's worked byte examples.
struct FrameVector: Sendable, CustomTestStringConvertible {
    var name: String
    var message: HubMessage
    var wire: [UInt8]
    /// What the parsed message reads as (see `canonical`).
    var parsed: String

    var testDescription: String { name }
}

let specFrameVectors: [FrameVector] = [
    FrameVector(
        name: "Example 1: non-blocking Send(\"hello\"), 49 bytes",
        message: .invocation(InvocationMessage(target: "Send", arguments: [HubValue("hello")])),
        wire: hex(
            """
            7b 22 74 79 70 65 22 3a 31 2c 22 74 61 72 67 65 74 22 3a 22 53 65 6e 64 22 2c
            22 61 72 67 75 6d 65 6e 74 73 22 3a 5b 22 68 65 6c 6c 6f 22 5d 7d 1e
            """),
        parsed: #"invocation id=- target=Send args=["hello"] streams=[]"#),
    FrameVector(
        name: "Example 1 variant: blocking Echo(\"hi\") with id \"0\", 65 bytes",
        message: .invocation(InvocationMessage(invocationId: "0", target: "Echo", arguments: [HubValue("hi")])),
        wire: frame(#"{"type":1,"invocationId":"0","target":"Echo","arguments":["hi"]}"#),
        parsed: #"invocation id=0 target=Echo args=["hi"] streams=[]"#),
    FrameVector(
        name: "ping",
        message: .ping,
        wire: hex("7b 22 74 79 70 65 22 3a 36 7d 1e"),
        parsed: "ping"),
    FrameVector(
        name: "server close, no error",
        message: .close(CloseMessage()),
        wire: frame(#"{"type":7}"#),
        parsed: "close error=- allowReconnect=false"),
    FrameVector(
        name: "client-result Completion (backplane return message)",
        message: .completion(CompletionMessage(invocationId: "AAECAwQFBgcICQoLDA0ODw", outcome: .result(HubValue(42)))),
        wire: frame(#"{"type":3,"invocationId":"AAECAwQFBgcICQoLDA0ODw","result":42}"#),
        parsed: "completion id=AAECAwQFBgcICQoLDA0ODw result=42"),
]

@Suite("Spec byte examples")
struct SpecByteExampleTests {
    @Test("frame lengths are the spec's")
    func lengths() {
        #expect(specFrameVectors[0].wire.count == 49)
        #expect(specFrameVectors[1].wire.count == 65)
        #expect(specFrameVectors[4].wire.count == 63)
    }

    @Test("writing gives the exact bytes", arguments: specFrameVectors)
    func writes(vector: FrameVector) throws {
        let written = try write(vector.message)
        #expect(written == vector.wire, "\(escaped(written))")
    }

    @Test("parsing gives the message, and writing it again the same bytes", arguments: specFrameVectors)
    func parses(vector: FrameVector) throws {
        var buffer = ByteBuffer(bytes: vector.wire)
        var decoder = HubMessageDecoder(hubProtocol: json)
        let message = try decoder.next(&buffer)
        #expect(buffer.readableBytes == 0)
        #expect(canonical(message) == vector.parsed)
        let rewritten = try write(try #require(message))
        #expect(rewritten == vector.wire)
    }

    @Test("the values decode into Swift types")
    func values() throws {
        guard case .invocation(let send)? = try parse(#"{"type":1,"target":"Send","arguments":["hello"]}"#) else {
            Issue.record("not an invocation")
            return
        }
        #expect(send.invocationId == nil)
        #expect(send.isBlocking == false)
        #expect(send.target == "Send")
        #expect(try send.arguments.decode(String.self, at: 0) == "hello")
        guard
            case .completion(let completion)? = try parse(
                #"{"type":3,"invocationId":"AAECAwQFBgcICQoLDA0ODw","result":42}"#)
        else {
            Issue.record("not a completion")
            return
        }
        #expect(try completion.result?.decode(Int.self) == 42)
    }

    @Test("handshake request bytes (what a client writes)")
    func handshakeRequest() throws {
        let wire = hex(
            "7b 22 70 72 6f 74 6f 63 6f 6c 22 3a 22 6a 73 6f 6e 22 2c 22 76 65 72 73 69 6f 6e 22 3a 31 7d 1e")
        var buffer = ByteBuffer()
        HandshakeRequest(protocolName: "json", version: 1).write(into: &buffer)
        #expect(array(buffer) == wire)
        var input = ByteBuffer(bytes: wire)
        #expect(try HandshakeRequest.parse(&input) == HandshakeRequest(protocolName: "json", version: 1))
        #expect(input.readableBytes == 0)
    }

    @Test("handshake OK bytes: 7b 7d 1e")
    func handshakeOK() throws {
        var buffer = ByteBuffer()
        HandshakeResponse.success.write(into: &buffer)
        #expect(array(buffer) == hex("7b 7d 1e"))
        #expect(try HandshakeResponse.parse(&buffer) == .success)
    }
}
