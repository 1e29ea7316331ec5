import HubProtocol
import NIOCore
import Testing

/// The spec's MessagePack byte examples, and more messages in the layouts of its §d, as whole frames.
let messagePackFrameVectors: [FrameVector] = [
    FrameVector(
        name: "Example 2: non-blocking Send(\"hello\"), VarInt 17",
        message: .invocation(InvocationMessage(target: "Send", arguments: [HubValue("hello")])),
        wire: hex("11 96 01 80 c0 a4 53 65 6e 64 91 a5 68 65 6c 6c 6f 90"),
        parsed: #"invocation id=- target=Send args=["hello"] streams=[]"#),
    FrameVector(
        name: "Example 2 variant: blocking Echo(\"hi\") with id \"0\"",
        message: .invocation(InvocationMessage(invocationId: "0", target: "Echo", arguments: [HubValue("hi")])),
        wire: hex("0f 96 01 80 a1 30 a4 45 63 68 6f 91 a2 68 69 90"),
        parsed: #"invocation id=0 target=Echo args=["hi"] streams=[]"#),
    FrameVector(name: "ping", message: .ping, wire: hex("02 91 06"), parsed: "ping"),
    FrameVector(
        name: "server close, no error",
        message: .close(CloseMessage()),
        wire: hex("04 93 07 c0 c2"),
        parsed: "close error=- allowReconnect=false"),
    FrameVector(
        name: "Completion void (id \"xyz\")",
        message: .completion(CompletionMessage(invocationId: "xyz")),
        wire: hex("08 94 03 80 a3 78 79 7a 02"),
        parsed: "completion id=xyz void"),
    FrameVector(
        name: "Completion error \"Error\"",
        message: .completion(CompletionMessage(invocationId: "xyz", outcome: .error("Error"))),
        wire: hex("0e 95 03 80 a3 78 79 7a 01 a5 45 72 72 6f 72"),
        parsed: "completion id=xyz error=Error"),
    FrameVector(
        name: "Completion result 42",
        message: .completion(CompletionMessage(invocationId: "1", outcome: .result(HubValue(42)))),
        wire: hex("07 95 03 80 a1 31 03 2a"),
        parsed: "completion id=1 result=42"),
    FrameVector(
        name: "Completion result nil (kind 3, nil)",
        message: .completion(CompletionMessage(invocationId: "1", outcome: .result(.null))),
        wire: hex("07 95 03 80 a1 31 03 c0"),
        parsed: "completion id=1 result=null"),
    FrameVector(
        name: "Invocation with a header, an id and a stream id",
        message: .invocation(
            InvocationMessage(headers: ["a": "b"], invocationId: "1", target: "T", streamIds: ["s"])),
        wire: hex("0f 96 01 81 a1 61 a1 62 a1 31 a1 54 90 91 a1 73"),
        parsed: "invocation headers=a=b id=1 target=T args=[] streams=[\"s\"]"),
    FrameVector(
        name: "StreamInvocation",
        message: .streamInvocation(
            StreamInvocationMessage(invocationId: "2", target: "Counter", arguments: [HubValue(10)])),
        wire: hex("10 96 04 80 a1 32 a7 43 6f 75 6e 74 65 72 91 0a 90"),
        parsed: "streamInvocation id=2 target=Counter args=[10] streams=[]"),
    FrameVector(
        name: "StreamItem",
        message: .streamItem(StreamItemMessage(invocationId: "1", item: HubValue(42))),
        wire: hex("06 94 02 80 a1 31 2a"),
        parsed: "streamItem id=1 item=42"),
    FrameVector(
        name: "CancelInvocation",
        message: .cancelInvocation(CancelInvocationMessage(invocationId: "2")),
        wire: hex("05 93 05 80 a1 32"),
        parsed: "cancel id=2"),
    FrameVector(
        name: "Close with an error, reconnect allowed",
        message: .close(CloseMessage(error: "bye", allowReconnect: true)),
        wire: hex("07 93 07 a3 62 79 65 c3"),
        parsed: "close error=bye allowReconnect=true"),
    FrameVector(
        name: "Ack 1394 (uint16; the spec's 36 would be the fixint 24)",
        message: .ack(sequenceId: 1394),
        wire: hex("05 92 08 cd 05 72"),
        parsed: "ack 1394"),
    FrameVector(name: "Sequence 7", message: .sequence(sequenceId: 7), wire: hex("03 92 09 07"), parsed: "sequence 7"),
]

/// A payload only read (never written like this), and what it reads as.
struct ReadVector: Sendable, CustomTestStringConvertible {
    var name: String
    var payload: [UInt8]
    var parsed: String
    var testDescription: String { name }
}

let messagePackReadVectors: [ReadVector] = [
    ReadVector(
        name: "Invocation with 5 items (no stream ids; older clients)",
        payload: hex("95 01 80 c0 a4 53 65 6e 64 91 a5 68 65 6c 6c 6f"),
        parsed: #"invocation id=- target=Send args=["hello"] streams=[]"#),
    ReadVector(
        name: "StreamInvocation with 5 items",
        payload: hex("95 04 80 a1 32 a1 54 90"),
        parsed: "streamInvocation id=2 target=T args=[] streams=[]"),
    ReadVector(
        name: "Close with 2 items", payload: hex("92 07 c0"), parsed: "close error=- allowReconnect=false"),
    ReadVector(
        name: "Close with 2 items and an error", payload: hex("92 07 a3 62 79 65"),
        parsed: "close error=bye allowReconnect=false"),
    ReadVector(
        name: "Completion kind 3 with nil", payload: hex("95 03 80 a3 78 79 7a 03 c0"),
        parsed: "completion id=xyz result=null"),
    ReadVector(
        name: "Completion kind 1 with a nil error is void, as in ASP.NET Core",
        payload: hex("95 03 80 a3 78 79 7a 01 c0"), parsed: "completion id=xyz void"),
    ReadVector(
        name: "Invocation id \"\" is non-blocking", payload: hex("96 01 80 a0 a1 54 90 90"),
        parsed: "invocation id=- target=T args=[] streams=[]"),
    ReadVector(
        name: "nil headers read as none", payload: hex("96 01 c0 c0 a1 54 90 90"),
        parsed: "invocation id=- target=T args=[] streams=[]"),
    ReadVector(
        name: "wide forms: uint8 type, map16 headers, str16 id, str8 target, array16 arguments, array32 stream ids",
        payload: hex("96 cc 01 de 00 01 d9 01 6b da 00 01 76 da 00 01 31 d9 01 54 dc 00 01 d1 00 05 dd 00 00 00 00"),
        parsed: "invocation headers=k=v id=1 target=T args=[5] streams=[]"),
    ReadVector(
        name: "items past the known ones are ignored", payload: hex("98 01 80 c0 a1 54 90 90 c0 c1"),
        parsed: "invocation id=- target=T args=[] streams=[]"),
    ReadVector(name: "Ping with an extra item", payload: hex("92 06 c0"), parsed: "ping"),
    ReadVector(
        name: "empty header key and value, empty stream id (accepted, as in JSON)",
        payload: hex("96 01 81 a0 a0 c0 a1 54 90 91 a0"),
        parsed: #"invocation headers== id=- target=T args=[] streams=[""]"#),
    ReadVector(
        name: "Ack as uint64", payload: hex("92 08 cf 00 00 00 00 00 00 00 05"), parsed: "ack 5"),
    ReadVector(
        name: "Sequence as int8", payload: hex("92 09 d0 7f"), parsed: "sequence 127"),
    ReadVector(name: "unknown type 10 is skipped", payload: hex("93 0a 80 c0"), parsed: "<nil>"),
    ReadVector(name: "unknown type 256 is skipped", payload: hex("91 cd 01 00"), parsed: "<nil>"),
    ReadVector(name: "unknown type -1 is skipped", payload: hex("91 ff"), parsed: "<nil>"),
    ReadVector(
        name: "arguments of every kind stay raw",
        payload: hex("96 01 80 c0 a1 54 94 c0 c3 cb 3f f8 00 00 00 00 00 00 92 01 80 90"),
        parsed: "invocation id=- target=T args=[null,true,1.5,[1,{}]] streams=[]"),
]

/// A payload that is refused, with the error's code and text.
struct ErrorVector: Sendable, CustomTestStringConvertible {
    var name: String
    var payload: [UInt8]
    var code: HubProtocolError.Code
    var message: String
    var testDescription: String { name }
}

let messagePackErrorVectors: [ErrorVector] = [
    ErrorVector(name: "empty payload", payload: [], code: .invalidMessagePack, message: "Error reading MessagePack."),
    ErrorVector(
        name: "not an array", payload: hex("c0"), code: .unexpectedToken,
        message: "Unexpected MessagePack type 'nil'. Expected an array."),
    ErrorVector(
        name: "a map", payload: hex("81 a4 74 79 70 65 06"), code: .unexpectedToken,
        message: "Unexpected MessagePack type 'map'. Expected an array."),
    ErrorVector(
        name: "empty array", payload: hex("90"), code: .missingProperty, message: "Missing required property 'type'."),
    ErrorVector(
        name: "type not an integer", payload: hex("91 a1 31"), code: .invalidPropertyType,
        message: "Reading 'messageType' as Int32 failed."),
    ErrorVector(
        name: "type beyond Int32", payload: hex("91 ce 80 00 00 00"), code: .invalidPropertyType,
        message: "Reading 'messageType' as Int32 failed."),
    ErrorVector(
        name: "cut short inside the array", payload: hex("92 01"), code: .invalidMessagePack,
        message: "Error reading MessagePack."),
    ErrorVector(
        name: "Invocation of 4 items", payload: hex("94 01 80 c0 a1 54"), code: .missingProperty,
        message: "Missing required property 'arguments'."),
    ErrorVector(
        name: "Invocation of 2 items", payload: hex("92 01 80"), code: .missingProperty,
        message: "Missing required property 'invocationId'."),
    ErrorVector(
        name: "nil target", payload: hex("95 01 80 c0 c0 90"), code: .missingProperty,
        message: "Null or empty target for Invocation message."),
    ErrorVector(
        name: "empty target", payload: hex("95 01 80 c0 a0 90"), code: .missingProperty,
        message: "Null or empty target for Invocation message."),
    ErrorVector(
        name: "target not a string", payload: hex("95 01 80 c0 01 90"), code: .invalidPropertyType,
        message: "Reading 'target' as String failed."),
    ErrorVector(
        name: "invocation id not a string", payload: hex("95 01 80 01 a1 54 90"), code: .invalidPropertyType,
        message: "Reading 'invocationId' as String failed."),
    ErrorVector(
        name: "arguments not an array", payload: hex("95 01 80 c0 a1 54 c0"), code: .invalidPropertyType,
        message: "Reading array length for 'arguments' failed."),
    ErrorVector(
        name: "stream ids not an array", payload: hex("96 01 80 c0 a1 54 90 c0"), code: .invalidPropertyType,
        message: "Reading array length for 'streamIds' failed."),
    ErrorVector(
        name: "a nil stream id", payload: hex("96 01 80 c0 a1 54 90 91 c0"), code: .invalidPropertyType,
        message: "Null or empty value in streamIds received."),
    ErrorVector(
        name: "a stream id not a string", payload: hex("96 01 80 c0 a1 54 90 91 01"), code: .invalidPropertyType,
        message: "Reading 'streamIds[0]' as String failed."),
    ErrorVector(
        name: "headers not a map", payload: hex("95 01 01 c0 a1 54 90"), code: .invalidPropertyType,
        message: "Reading map length for 'headers' failed."),
    ErrorVector(
        name: "a nil header key", payload: hex("95 01 81 c0 a1 62 c0 a1 54 90"), code: .invalidPropertyType,
        message: "Null or empty key in header."),
    ErrorVector(
        name: "a nil header value", payload: hex("95 01 81 a1 61 c0 c0 a1 54 90"), code: .invalidPropertyType,
        message: "Null or empty value in header."),
    ErrorVector(
        name: "a header value not a string", payload: hex("95 01 81 a1 61 01 c0 a1 54 90"),
        code: .invalidPropertyType, message: "Reading 'headers[0].Value' as String failed."),
    ErrorVector(
        name: "StreamInvocation without an id", payload: hex("95 04 80 c0 a1 54 90"), code: .missingProperty,
        message: "Null or empty invocation ID for StreamInvocation message."),
    ErrorVector(
        name: "StreamInvocation with an empty target", payload: hex("95 04 80 a1 31 a0 90"), code: .missingProperty,
        message: "Null or empty target for StreamInvocation message."),
    ErrorVector(
        name: "StreamItem without an id", payload: hex("94 02 80 c0 c0"), code: .missingProperty,
        message: "Null or empty invocation ID for StreamItem message."),
    ErrorVector(
        name: "StreamItem of 3 items", payload: hex("93 02 80 a1 31"), code: .missingProperty,
        message: "Missing required property 'item'."),
    ErrorVector(
        name: "Completion without an id", payload: hex("94 03 80 a0 02"), code: .missingProperty,
        message: "Null or empty invocation ID for Completion message."),
    ErrorVector(
        name: "Completion of 3 items", payload: hex("93 03 80 a1 31"), code: .missingProperty,
        message: "Missing required property 'resultKind'."),
    ErrorVector(
        name: "invalid result kind 4", payload: hex("95 03 80 a1 31 04 c0"), code: .invalidPropertyType,
        message: "Invalid invocation result kind."),
    ErrorVector(
        name: "invalid result kind 0", payload: hex("94 03 80 a1 31 00"), code: .invalidPropertyType,
        message: "Invalid invocation result kind."),
    ErrorVector(
        name: "result kind not an integer", payload: hex("94 03 80 a1 31 a1 31"), code: .invalidPropertyType,
        message: "Reading 'resultKind' as Int32 failed."),
    ErrorVector(
        name: "error kind without the error", payload: hex("94 03 80 a1 31 01"), code: .missingProperty,
        message: "Missing required property 'error'."),
    ErrorVector(
        name: "result kind without the result", payload: hex("94 03 80 a1 31 03"), code: .missingProperty,
        message: "Missing required property 'result'."),
    ErrorVector(
        name: "error not a string", payload: hex("95 03 80 a1 31 01 2a"), code: .invalidPropertyType,
        message: "Reading 'error' as String failed."),
    ErrorVector(
        name: "CancelInvocation of 2 items", payload: hex("92 05 80"), code: .missingProperty,
        message: "Missing required property 'invocationId'."),
    ErrorVector(
        name: "CancelInvocation with an empty id", payload: hex("93 05 80 a0"), code: .missingProperty,
        message: "Null or empty invocation ID for CancelInvocation message."),
    ErrorVector(
        name: "Close of 1 item", payload: hex("91 07"), code: .missingProperty,
        message: "Missing required property 'error'."),
    ErrorVector(
        name: "allowReconnect not a bool", payload: hex("93 07 c0 01"), code: .invalidPropertyType,
        message: "Reading 'allowReconnect' as Boolean failed."),
    ErrorVector(
        name: "Ack of 1 item", payload: hex("91 08"), code: .missingProperty,
        message: "Missing required property 'sequenceId'."),
    ErrorVector(
        name: "sequenceId not an integer", payload: hex("92 09 a1 31"), code: .invalidPropertyType,
        message: "Reading 'sequenceId' as Int64 failed."),
    ErrorVector(
        name: "sequenceId beyond Int64", payload: hex("92 08 cf ff ff ff ff ff ff ff ff"),
        code: .invalidPropertyType, message: "Reading 'sequenceId' as Int64 failed."),
    ErrorVector(
        name: "an argument with the unused format byte c1", payload: hex("96 01 80 c0 a1 54 91 c1 90"),
        code: .invalidMessagePack, message: "Error reading MessagePack."),
    ErrorVector(
        name: "an argument cut short", payload: hex("96 01 80 c0 a1 54 91 dd 00 00 00 05 90"),
        code: .invalidMessagePack, message: "Error reading MessagePack."),
    ErrorVector(
        name: "a target that is not UTF-8", payload: hex("95 01 80 c0 a2 ff fe 90"), code: .invalidMessagePack,
        message: "Error reading MessagePack."),
    ErrorVector(
        name: "an argument count beyond the bytes left", payload: hex("96 01 80 c0 a1 54 dd ff ff ff ff 90"),
        code: .invalidMessagePack, message: "Error reading MessagePack."),
]

@Suite("MessagePack: spec byte examples and layouts")
struct MessagePackSpecByteExampleTests {
    @Test("writing gives the exact bytes", arguments: messagePackFrameVectors)
    func writes(vector: FrameVector) throws {
        let written = try writePack(vector.message)
        #expect(written == vector.wire, "\(written.map { String($0, radix: 16) })")
    }

    @Test("parsing gives the message, and writing it again the same bytes", arguments: messagePackFrameVectors)
    func parses(vector: FrameVector) throws {
        var buffer = ByteBuffer(bytes: vector.wire)
        var decoder = HubMessageDecoder(hubProtocol: messagePack)
        let message = try decoder.next(&buffer)
        #expect(buffer.readableBytes == 0)
        #expect(canonical(message) == vector.parsed)
        #expect(try writePack(try #require(message)) == vector.wire)
    }

    @Test("accepted layouts and forms", arguments: messagePackReadVectors)
    func reads(vector: ReadVector) throws {
        #expect(canonical(try parsePack(vector.payload)) == vector.parsed)
    }

    @Test("refused input: ASP.NET Core's texts, the JSON protocol's codes", arguments: messagePackErrorVectors)
    func refuses(vector: ErrorVector) {
        #expect {
            _ = try parsePack(vector.payload)
        } throws: { error in
            let error = error as? HubProtocolError
            return error?.code == vector.code && error?.message == vector.message
        }
    }

    @Test("the protocol's identity: messagepack, version 1 (2 accepted), binary, VarInt framing")
    func identity() {
        #expect(messagePack.name == "messagepack")
        #expect(messagePack.version == 1)
        #expect(messagePack.isVersionSupported(1) && messagePack.isVersionSupported(2))
        // ASP.NET Core accepts any version up to its own (`version <= Version`).
        #expect(messagePack.isVersionSupported(0) && !messagePack.isVersionSupported(3))
        #expect(messagePack.transferFormat == .binary)
        #expect(messagePack.framing == .varIntLengthPrefix)
        let selection = HandshakeSelection.select(
            HandshakeRequest(protocolName: "messagepack", version: 2), from: [json, messagePack],
            transferFormats: [.text, .binary])
        guard case .accepted(let chosen, 2) = selection else {
            Issue.record("not accepted: \(selection)")
            return
        }
        #expect(chosen.name == "messagepack")
    }

    @Test("nesting: 62 containers in an argument pass, 63 fail (64 with the message and arguments arrays)")
    func depthLimit() throws {
        func invocation(nesting: Int) -> [UInt8] {
            hex("96 01 80 c0 a1 54 91") + [UInt8](repeating: 0x91, count: nesting - 1) + [0x90, 0x90]
        }
        #expect(canonical(try parsePack(invocation(nesting: 62))).hasPrefix("invocation"))
        #expect(throws: HubProtocolError.self) { try parsePack(invocation(nesting: 63)) }
        let deep = MessagePackHubProtocol(maximumDepth: 100)
        #expect(try deep.parseMessage(ByteBuffer(bytes: invocation(nesting: 98))) != nil)
        // JSON agrees on the same depth.
        let jsonArgument = String(repeating: "[", count: 62) + String(repeating: "]", count: 62)
        #expect(try parse(#"{"type":1,"target":"T","arguments":["# + jsonArgument + "]}") != nil)
        #expect(throws: HubProtocolError.self) {
            try parse(#"{"type":1,"target":"T","arguments":[["# + jsonArgument + "]]}")
        }
    }

    @Test("a message of 128 bytes or more gets a 2-byte prefix, its body written in place and moved once")
    func longMessages() throws {
        for length in [100, 110, 111, 112, 113, 200, 16_400] {
            let message = HubMessage.invocation(
                InvocationMessage(target: "T", arguments: [HubValue(String(repeating: "x", count: length))]))
            let framed = try writePack(message)
            let read = try HubFraming.readVarInt(ByteBuffer(bytes: framed))
            #expect(read.map { $0.length + $0.value } == framed.count)
            #expect(canonical(try parsePackFrame(framed)) == (try jsonCanonical(message)))
        }
    }

    @Test("a value that fails to encode leaves the buffer as it was")
    func failedWrite() throws {
        struct Refuses: Encodable, Sendable {
            func encode(to encoder: any Encoder) throws {
                throw EncodingError.invalidValue(0, .init(codingPath: [], debugDescription: "no"))
            }
        }
        var buffer = ByteBuffer(bytes: [1, 2, 3])
        #expect {
            try messagePack.writeMessage(
                .streamItem(StreamItemMessage(invocationId: "1", item: HubValue(Refuses()))), into: &buffer)
        } throws: { ($0 as? HubProtocolError)?.code == .valueEncodingFailed }
        #expect(array(buffer) == [1, 2, 3])
    }
}
