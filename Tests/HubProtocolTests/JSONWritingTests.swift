import Foundation
import HubProtocol
import NIOCore
import Testing

/// A message and the exact JSON .NET would write for it (without the record separator).
struct WriteVector: Sendable, CustomTestStringConvertible {
    var message: HubMessage
    var json: String
    var testDescription: String { json }
}

let writeVectors: [WriteVector] = [
    WriteVector(
        message: .invocation(
            InvocationMessage(
                headers: ["traceparent": "00-abc-01"], invocationId: "7", target: "Upload",
                arguments: [HubValue("x"), HubValue(1), .null], streamIds: ["s1", "s2"])),
        json:
            #"{"type":1,"headers":{"traceparent":"00-abc-01"},"invocationId":"7","target":"Upload","arguments":["x",1,null],"streamIds":["s1","s2"]}"#
    ),
    WriteVector(
        message: .invocation(InvocationMessage(invocationId: "", target: "Send", arguments: [])),
        json: #"{"type":1,"target":"Send","arguments":[]}"#),
    WriteVector(
        message: .streamInvocation(
            StreamInvocationMessage(invocationId: "s", target: "Counter", arguments: [HubValue(10), HubValue(true)])),
        json: #"{"type":4,"invocationId":"s","target":"Counter","arguments":[10,true]}"#),
    WriteVector(
        message: .streamItem(StreamItemMessage(invocationId: "s", item: .null)),
        json: #"{"type":2,"invocationId":"s","item":null}"#),
    WriteVector(
        message: .streamItem(StreamItemMessage(headers: ["k": "v"], invocationId: "s", item: HubValue([1, 2]))),
        json: #"{"type":2,"headers":{"k":"v"},"invocationId":"s","item":[1,2]}"#),
    WriteVector(
        message: .completion(CompletionMessage(invocationId: "1")),
        json: #"{"type":3,"invocationId":"1"}"#),
    WriteVector(
        message: .completion(CompletionMessage(invocationId: "1", outcome: .error("It didn't work!"))),
        json: #"{"type":3,"invocationId":"1","error":"It didn't work!"}"#),
    WriteVector(
        message: .completion(CompletionMessage(invocationId: "1", outcome: .result(.null))),
        json: #"{"type":3,"invocationId":"1","result":null}"#),
    WriteVector(
        message: .completion(CompletionMessage(invocationId: "1", outcome: .result(HubValue(Optional<Int>.none)))),
        json: #"{"type":3,"invocationId":"1","result":null}"#),
    WriteVector(
        message: .cancelInvocation(CancelInvocationMessage(invocationId: "s")),
        json: #"{"type":5,"invocationId":"s"}"#),
    WriteVector(message: .ping, json: #"{"type":6}"#),
    WriteVector(message: .close(CloseMessage()), json: #"{"type":7}"#),
    WriteVector(
        message: .close(CloseMessage(error: "Connection closed with an error.")),
        json: #"{"type":7,"error":"Connection closed with an error."}"#),
    WriteVector(
        message: .close(CloseMessage(error: "Server timeout", allowReconnect: true)),
        json: #"{"type":7,"error":"Server timeout","allowReconnect":true}"#),
    WriteVector(
        message: .close(CloseMessage(allowReconnect: true)),
        json: #"{"type":7,"allowReconnect":true}"#),
    WriteVector(message: .ack(sequenceId: 1394), json: #"{"type":8,"sequenceId":1394}"#),
    WriteVector(message: .sequence(sequenceId: 1), json: #"{"type":9,"sequenceId":1}"#),
    WriteVector(
        message: .invocation(
            InvocationMessage(
                target: "Send",
                arguments: [
                    HubValue("quote\" backslash\\ slash/ nl\n tab\t cr\r bs\u{8} ff\u{c} ctl\u{1}\u{1f} é 😀 \u{7f}")
                ])),
        json:
            #"{"type":1,"target":"Send","arguments":["quote\" backslash\\ slash/ nl\n tab\t cr\r bs\b ff\f ctl\u0001\u001F é 😀 "#
            + "\u{7f}\"]}"),
    WriteVector(
        message: .invocation(
            InvocationMessage(headers: ["ké\"y": "vä\nl"], invocationId: "i/d\"", target: "tä\"rget", arguments: [])),
        json: #"{"type":1,"headers":{"ké\"y":"vä\nl"},"invocationId":"i/d\"","target":"tä\"rget","arguments":[]}"#),
    WriteVector(
        message: .completion(
            CompletionMessage(invocationId: "d", outcome: .result(HubValue(Date(timeIntervalSince1970: 1_700_000_000))))
        ),
        json: #"{"type":3,"invocationId":"d","result":"2023-11-14T22:13:20Z"}"#),
    WriteVector(
        message: .completion(
            CompletionMessage(invocationId: "d", outcome: .result(HubValue(Date(timeIntervalSince1970: 1.25))))),
        json: #"{"type":3,"invocationId":"d","result":"1970-01-01T00:00:01.25Z"}"#),
    WriteVector(
        message: .completion(CompletionMessage(invocationId: "u", outcome: .result(HubValue("https://a/b")))),
        json: #"{"type":3,"invocationId":"u","result":"https://a/b"}"#),
    WriteVector(
        message: .completion(CompletionMessage(invocationId: "u", outcome: .result(HubValue(["https://a/b"])))),
        json: #"{"type":3,"invocationId":"u","result":["https://a/b"]}"#),
    WriteVector(
        message: .invocation(
            InvocationMessage(target: "T", arguments: [try! HubValue(rawJSON: #" {"a" : [1, 2.5e3]} "#)])),
        json: #"{"type":1,"target":"T","arguments":[{"a" : [1, 2.5e3]}]}"#),
]

@Suite("JSON writing")
struct JSONWritingTests {
    @Test("exact bytes: .NET's property order, compact, optional members omitted", arguments: writeVectors)
    func writes(vector: WriteVector) throws {
        let written = try write(vector.message)
        #expect(written == frame(vector.json), "\(escaped(written))")
    }

    @Test("what is written parses back to the same message and the same bytes", arguments: writeVectors)
    func roundTrips(vector: WriteVector) throws {
        let written = try write(vector.message)
        let parsed = try #require(try parse(String(decoding: written.dropLast(), as: UTF8.self)))
        #expect(try write(parsed) == written)
        #expect(parsed.typeID == vector.message.typeID)
        #expect(parsed.headers == vector.message.headers)
    }

    @Test("writing appends to what the buffer holds")
    func appends() throws {
        var buffer = ByteBuffer(string: "before")
        try json.writeMessage(.ping, into: &buffer)
        try json.writeMessage(.ack(sequenceId: 2), into: &buffer)
        #expect(array(buffer) == bytes("before") + frame(#"{"type":6}"#) + frame(#"{"type":8,"sequenceId":2}"#))
    }

    @Test("a value that fails to encode throws and leaves the buffer as it was")
    func encodingFailure() throws {
        var buffer = ByteBuffer(string: "x")
        #expect {
            try json.writeMessage(
                .invocation(InvocationMessage(target: "T", arguments: [HubValue(Double.nan)])), into: &buffer)
        } throws: { error in
            (error as? HubProtocolError)?.code == .valueEncodingFailed
        }
        #expect(array(buffer) == bytes("x"))
    }

    @Test("the protocol's identity")
    func identity() {
        #expect(json.name == "json")
        #expect(json.version == 1)
        #expect(json.transferFormat == .text)
        #expect(json.framing == .recordSeparator)
        #expect(json.isVersionSupported(1) && json.isVersionSupported(2))
        // ASP.NET Core accepts any version up to its own (`version <= Version`).
        #expect(json.isVersionSupported(0) && !json.isVersionSupported(3))
    }
}
