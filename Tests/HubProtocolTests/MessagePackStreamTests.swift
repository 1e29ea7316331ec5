import HubProtocol
import NIOCore
import NIOTestUtils
import Testing

@Suite("MessagePack: streams, splits and the size limit")
struct MessagePackStreamTests {
    /// Several messages back to back: a 2-byte-prefix one, an unknown type, a ping, every spec example.
    static let streamMessages: [HubMessage] =
        [
            .invocation(
                InvocationMessage(
                    headers: ["traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"],
                    invocationId: "42", target: "Broadcast",
                    arguments: [HubValue(String(repeating: "é", count: 70)), HubValue([1, 2, 3])], streamIds: ["s"])),
            .ping,
        ] + messagePackFrameVectors.map(\.message)

    static var streamInput: [UInt8] {
        var input: [UInt8] = []
        for (index, message) in streamMessages.enumerated() {
            input += try! writePack(message)
            if index == 1 { input += hex("04 93 0a 80 c0") }  // type 10: skipped
        }
        return input
    }

    @Test("every split of a multi-message input gives the same messages")
    func everySplitGivesTheSameMessages() throws {
        let input = Self.streamInput
        #expect(try HubFraming.readVarInt(ByteBuffer(bytes: input))?.length == 2)  // a frame of 128+ bytes first
        let expected = StreamOutcome(messages: try Self.streamMessages.map(jsonCanonical))
        for (name, outcome) in everySplit(input, hubProtocol: messagePack) {
            #expect(outcome == expected, "\(name)")
        }
    }

    @Test("ByteToMessageDecoderVerifier: HubMessageDecoder with MessagePack")
    func verifier() throws {
        let pairs = try messagePackFrameVectors.map { vector in
            (ByteBuffer(bytes: vector.wire), [Canonical(try #require(try parsePackFrame(vector.wire)))])
        }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) {
            CanonicalDecoder(inner: HubMessageDecoder(hubProtocol: messagePack))
        }
    }

    @Test("a refused message stops the stream with its error, at every split")
    func errorInStream() {
        let input = try! writePack(.ping) + hex("03 92 08 c0") + (try! writePack(.ping))
        for (name, outcome) in everySplit(input, hubProtocol: messagePack) {
            #expect(outcome.messages == ["ping"], "\(name)")
            #expect(outcome.error?.message == "Reading 'sequenceId' as Int64 failed.", "\(name)")
        }
    }

    /// A framed invocation whose frame is exactly `total` bytes, if one exists.
    private func frame(ofTotal total: Int) throws -> [UInt8]? {
        for length in max(0, total - 40)...max(0, total) {
            let framed = try writePack(
                .invocation(
                    InvocationMessage(target: "T", arguments: [HubValue(String(repeating: "x", count: length))])))
            if framed.count == total { return framed }
            if framed.count > total { return nil }
        }
        return nil
    }

    @Test(
        "a frame of limit-1 and limit bytes passes, limit+1 fails (prefix included)",
        arguments: [16, 40, 130, 131, 300, 32_768])
    func sizeLimit(limit: Int) throws {
        for total in [limit - 1, limit, limit + 1] {
            guard let framed = try frame(ofTotal: total) else { continue }
            let outcome = feed([framed[...]], hubProtocol: messagePack, maximumMessageSize: limit)
            if total <= limit {
                #expect(outcome.error == nil && outcome.messages.count == 1, "frame of \(total), limit \(limit)")
            } else {
                #expect(outcome.error == HubProtocolError.messageTooBig(limit: limit), "frame of \(total)")
                // The prefix alone already tells: no need to wait for the body.
                let prefixLength = try #require(try HubFraming.readVarInt(ByteBuffer(bytes: framed))).length
                let early = feed([framed[..<prefixLength]], hubProtocol: messagePack, maximumMessageSize: limit)
                #expect(early.error == HubProtocolError.messageTooBig(limit: limit))
            }
        }
    }

    @Test("the limit applies per message: many small messages within one read pass")
    func manySmallMessages() {
        let input = (0..<200).flatMap { _ in hex("02 91 06") }
        let outcome = feed([input[...]], hubProtocol: messagePack, maximumMessageSize: 3)
        #expect(outcome.error == nil && outcome.messages.count == 200)
    }
}

/// `HubMessage` is not `Equatable`; the verifier compares messages by their canonical text.
struct Canonical: Equatable {
    var text: String
    init(_ message: HubMessage) { text = canonical(message) }
}

struct CanonicalDecoder: ByteToMessageDecoder {
    typealias InboundOut = Canonical
    var inner: HubMessageDecoder

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let message = try inner.next(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(Canonical(message)))
        return .continue
    }

    mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
