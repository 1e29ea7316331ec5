import NIOCore
import Testing

@testable import HubBenchCore

/// Runs `scanner` over `bytes` cut into payloads at `cuts` and returns every message kind seen.
private func scan(
    _ bytes: [UInt8], wire: HubWireProtocol, cuts: [Int] = []
) -> (kinds: [HubMessageKind], failure: HubMessageScanner.Failure?) {
    var scanner = HubMessageScanner(wire: wire, maximumMessageSize: 1024)
    var kinds: [HubMessageKind] = []
    var start = 0
    for end in cuts + [bytes.count] {
        if let failure = scanner.scan(ByteBuffer(bytes: bytes[start..<end]), { kinds.append($0) }) {
            return (kinds, failure)
        }
        start = end
    }
    return (kinds, nil)
}

private func json(_ messages: String...) -> [UInt8] {
    messages.flatMap { Array($0.utf8) + [0x1E] }
}

private func varIntFramed(_ bodies: [UInt8]...) -> [UInt8] {
    bodies.flatMap { body -> [UInt8] in
        var buffer = ByteBuffer()
        HubMessageWriter.writeVarInt(body.count, into: &buffer)
        return Array(buffer.readableBytesView) + body
    }
}

private func packString(_ string: String) -> [UInt8] {
    var buffer = ByteBuffer()
    HubMessageWriter.writeMessagePackString(string, into: &buffer)
    return Array(buffer.readableBytesView)
}

private let jsonStream = json(
    "{}",
    #"{"type":1,"target":"ReceiveMessage","arguments":["User connection id: a-b_C. Message: hb:123456789:4:17xx"]}"#,
    #"{"type":1,"target":"ReceiveMessage","arguments":["no marker hb:x"]}"#,
    #"{"type":1,"target":"Other","arguments":["hb:5"]}"#,
    #"{"type":3,"invocationId":"42"}"#,
    #"{"type": 3, "invocationId": "43", "error": "boom"}"#,
    #"{"type":3,"invocationId":"abc","result":null}"#,
    #"{"type":6}"#,
    #"{"type":7,"error":"Server closed"}"#,
    #"{"type":7}"#,
    #"{"nothing":1}"#
)

private let jsonKinds: [HubMessageKind] = [
    .handshake(error: nil), .receiveMessage(BenchMarker(sentAt: 123_456_789, sender: 4, sequence: 17)),
    .receiveMessage(nil), .other(type: 1),
    .completion(invocationID: 42, failed: false), .completion(invocationID: 43, failed: true),
    .completion(invocationID: nil, failed: false), .ping, .close(hasError: true), .close(hasError: false), .malformed,
]

@Test func jsonMessagesAreClassified() {
    let result = scan(jsonStream, wire: .json)
    #expect(result.failure == nil)
    #expect(result.kinds == jsonKinds)
}

@Test func jsonSplitAnywhereGivesTheSameMessages() {
    for cut in 0...jsonStream.count {
        #expect(scan(jsonStream, wire: .json, cuts: [cut]).kinds == jsonKinds, "cut at \(cut)")
    }
    #expect(scan(jsonStream, wire: .json, cuts: Array(1..<jsonStream.count)).kinds == jsonKinds)
}

@Test func handshakeErrorIsReported() {
    let result = scan(json(#"{"error":"The protocol 'x' is not supported."}"#), wire: .json)
    #expect(result.kinds == [.handshake(error: #"{"error":"The protocol 'x' is not supported."}"#)])
}

@Test func oversizedJSONMessageFails() {
    let bytes = json("{}") + Array(repeating: UInt8(ascii: "x"), count: 2000)
    #expect(scan(bytes, wire: .json).failure == .messageTooLarge)
}

private let receive: [UInt8] =
    [0x96, 0x01, 0x80, 0xc0] + packString("ReceiveMessage") + [0x91]
    + packString("User connection id: abc. Message: hb:987654321012") + [0x90]
private let receiveWithHeaders: [UInt8] =
    [0x95, 0x01, 0x81] + packString("k") + packString("v") + packString("9") + packString("ReceiveMessage") + [0x91]
    + packString(String(repeating: "y", count: 40) + "hb:7")
private let otherTarget: [UInt8] = [0x96, 0x01, 0x80, 0xc0] + packString("Else") + [0x91] + packString("hb:1") + [0x90]
private let voidCompletion: [UInt8] = [0x94, 0x03, 0x80] + packString("7") + [0x02]
private let errorCompletion: [UInt8] = [0x95, 0x03, 0x80] + packString("8") + [0x01] + packString("boom")
private let packPing: [UInt8] = [0x91, 0x06]
private let cleanClose: [UInt8] = [0x93, 0x07, 0xc0, 0xc2]
private let errorClose: [UInt8] = [0x92, 0x07] + packString("bad")

private let packStream =
    json("{}")
    + varIntFramed(
        receive, receiveWithHeaders, otherTarget, voidCompletion, errorCompletion, packPing, cleanClose, errorClose,
        [0xc0])
private let packKinds: [HubMessageKind] = [
    .handshake(error: nil), .receiveMessage(BenchMarker(sentAt: 987_654_321_012)),
    .receiveMessage(BenchMarker(sentAt: 7)), .other(type: 1),
    .completion(invocationID: 7, failed: false), .completion(invocationID: 8, failed: true), .ping,
    .close(hasError: false), .close(hasError: true), .malformed,
]

@Test func messagePackMessagesAreClassified() {
    let result = scan(packStream, wire: .messagepack)
    #expect(result.failure == nil)
    #expect(result.kinds == packKinds)
}

@Test func messagePackSplitAnywhereGivesTheSameMessages() {
    for cut in 0...packStream.count {
        #expect(scan(packStream, wire: .messagepack, cuts: [cut]).kinds == packKinds, "cut at \(cut)")
    }
    #expect(scan(packStream, wire: .messagepack, cuts: Array(1..<packStream.count)).kinds == packKinds)
}

@Test func messagePackBadLengthsFail() {
    #expect(
        scan(json("{}") + [0x80, 0x80, 0x80, 0x80, 0x80, 0x01], wire: .messagepack).failure == .invalidLengthPrefix)
    #expect(scan(json("{}") + [0x80, 0x10], wire: .messagepack).failure == .messageTooLarge)
}

@Test func writerOutputMatchesTheProtocol() {
    var buffer = ByteBuffer()
    let text = HubMessageWriter.messageText(sentAt: 12, sender: 3, sequence: 9, minimumLength: 12)
    #expect(text == "hb:12:3:9xxx")
    HubMessageWriter(wire: .json).writeInvocation(
        invocationID: 5, target: "BroadcastMessage", text: text, into: &buffer)
    #expect(
        String(buffer: buffer)
            == #"{"type":1,"invocationId":"5","target":"BroadcastMessage","arguments":["hb:12:3:9xxx"]}"#
            + "\u{1e}")

    buffer.clear()
    HubMessageWriter(wire: .messagepack).writeInvocation(
        invocationID: 5, target: "BroadcastMessage", text: "hb:1", into: &buffer)
    let body: [UInt8] =
        [0x96, 0x01, 0x80] + packString("5") + packString("BroadcastMessage") + [0x91] + packString("hb:1") + [0x90]
    #expect(Array(buffer.readableBytesView) == varIntFramed(body))

    // The group scenario's SendToGroup(group, text).
    buffer.clear()
    HubMessageWriter(wire: .json).writeInvocation(
        invocationID: 6, target: "SendToGroup", leading: ["HubUsers"], text: "hb:1", into: &buffer)
    #expect(
        String(buffer: buffer)
            == #"{"type":1,"invocationId":"6","target":"SendToGroup","arguments":["HubUsers","hb:1"]}"# + "\u{1e}")
    buffer.clear()
    HubMessageWriter(wire: .messagepack).writeInvocation(
        invocationID: 6, target: "SendToGroup", leading: ["HubUsers"], text: "hb:1", into: &buffer)
    let groupBody: [UInt8] =
        [0x96, 0x01, 0x80] + packString("6") + packString("SendToGroup") + [0x92] + packString("HubUsers")
        + packString("hb:1") + [0x90]
    #expect(Array(buffer.readableBytesView) == varIntFramed(groupBody))

    buffer.clear()
    HubMessageWriter(wire: .messagepack).writePing(into: &buffer)
    HubMessageWriter(wire: .json).writePing(into: &buffer)
    HubMessageWriter(wire: .messagepack).writeHandshakeRequest(into: &buffer)
    #expect(
        Array(buffer.readableBytesView) == [0x02, 0x91, 0x06]
            + json(#"{"type":6}"#, #"{"protocol":"messagepack","version":1}"#))
}

@Test(
    arguments: [(0, [0x00]), (127, [0x7f]), (128, [0x80, 0x01]), (300, [0xac, 0x02]), (32768, [0x80, 0x80, 0x02])]
        as [(Int, [UInt8])])
func varIntMatchesTheSpecExamples(value: Int, bytes: [UInt8]) {
    var buffer = ByteBuffer()
    HubMessageWriter.writeVarInt(value, into: &buffer)
    #expect(Array(buffer.readableBytesView) == bytes)
}
