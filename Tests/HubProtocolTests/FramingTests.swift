import HubProtocol
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

struct VarIntVector: Sendable, CustomTestStringConvertible {
    var value: Int
    var wire: [UInt8]
    var testDescription: String { "\(value)" }
}

let varIntVectors: [VarIntVector] = [
    VarIntVector(value: 0, wire: hex("00")),
    VarIntVector(value: 17, wire: hex("11")),
    VarIntVector(value: 127, wire: hex("7f")),
    VarIntVector(value: 128, wire: hex("80 01")),
    VarIntVector(value: 300, wire: hex("ac 02")),
    VarIntVector(value: 5248, wire: hex("80 29")),
    VarIntVector(value: 16383, wire: hex("ff 7f")),
    VarIntVector(value: 16384, wire: hex("80 80 01")),
    VarIntVector(value: 32768, wire: hex("80 80 02")),
    VarIntVector(value: 0x7FFF_FFFF, wire: hex("ff ff ff ff 07")),
]

@Suite("Framing")
struct FramingTests {
    // MARK: VarInt

    @Test("VarInt vectors write", arguments: varIntVectors)
    func writesVarInt(vector: VarIntVector) {
        var buffer = ByteBuffer()
        HubFraming.writeVarInt(vector.value, into: &buffer)
        #expect(array(buffer) == vector.wire)
        #expect(HubFraming.varIntLength(vector.value) == vector.wire.count)
    }

    @Test("VarInt vectors read, whole and from every prefix", arguments: varIntVectors)
    func readsVarInt(vector: VarIntVector) throws {
        let read = try HubFraming.readVarInt(ByteBuffer(bytes: vector.wire + [0xAA]))
        #expect(read?.value == vector.value)
        #expect(read?.length == vector.wire.count)
        for i in 0..<vector.wire.count {
            #expect(try HubFraming.readVarInt(ByteBuffer(bytes: vector.wire[..<i])) == nil)
        }
    }

    @Test(
        "invalid VarInts: a fifth byte above 0x07, or a sixth byte",
        arguments: [
            hex("ff ff ff ff 08"), hex("ff ff ff ff 0f"), hex("ff ff ff ff 7f"), hex("ff ff ff ff ff"),
            hex("80 80 80 80 80 01"), hex("80 80 80 80 10"),
        ])
    func invalidVarInt(wire: [UInt8]) {
        #expect(throws: HubProtocolError.invalidLengthPrefix) { try HubFraming.readVarInt(ByteBuffer(bytes: wire)) }
        var decoder = HubFrameDecoder(framing: .varIntLengthPrefix, maximumMessageSize: nil)
        var buffer = ByteBuffer(bytes: wire)
        #expect(throws: HubProtocolError.invalidLengthPrefix) { try decoder.nextFrame(&buffer) }
        #expect(HubProtocolError.invalidLengthPrefix.message == "Messages over 2GB in size are not supported.")
    }

    @Test("a non-minimal VarInt is accepted, as ASP.NET Core does")
    func nonMinimalVarInt() throws {
        var decoder = HubFrameDecoder(framing: .varIntLengthPrefix)
        var buffer = ByteBuffer(bytes: hex("81 00 aa"))
        #expect(try decoder.nextFrame(&buffer).map(array) == [0xAA])
    }

    @Test(
        "VarInt-framed payloads written in place, the body moved when the prefix grows",
        arguments: [0, 1, 17, 127, 128, 300, 5248, 16383, 16384, 32768, 70000])
    func writesPrefixedFrames(length: Int) throws {
        let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var buffer = ByteBuffer(bytes: [0xEE])  // something before, which must stay
        buffer.moveReaderIndex(forwardBy: 1)
        buffer.writeBytes([0xDD])
        HubFraming.varIntLengthPrefix.writeFrame(into: &buffer) { $0.writeBytes(payload) }
        var prefix = ByteBuffer()
        HubFraming.writeVarInt(length, into: &prefix)
        #expect(array(buffer) == [0xDD] + array(prefix) + payload)

        var copied = ByteBuffer()
        HubFraming.varIntLengthPrefix.writeFrame(ByteBuffer(bytes: payload), into: &copied)
        #expect(array(copied) == array(prefix) + payload)

        var decoder = HubFrameDecoder(framing: .varIntLengthPrefix, maximumMessageSize: nil)
        buffer.moveReaderIndex(forwardBy: 1)
        #expect(try decoder.nextFrame(&buffer).map(array) == payload)
        #expect(buffer.readableBytes == 0)
    }

    struct BodyFailed: Error {}

    @Test(
        "a body that throws leaves the buffer as it was", arguments: [HubFraming.recordSeparator, .varIntLengthPrefix])
    func failingBody(framing: HubFraming) {
        var buffer = ByteBuffer(bytes: [1, 2, 3])
        #expect(throws: BodyFailed.self) {
            try framing.writeFrame(into: &buffer) { body throws(BodyFailed) in
                body.writeBytes([9, 9, 9])
                throw BodyFailed()
            }
        }
        #expect(array(buffer) == [1, 2, 3])
    }

    // MARK: Several frames, any split

    static let separatedInput = frame(#"{"type":6}"#) + frame("") + frame(#"{"a":"é"}"#) + frame("x")
    static let separatedFrames: [[UInt8]] = [bytes(#"{"type":6}"#), [], bytes(#"{"a":"é"}"#), bytes("x")]
    static let prefixedInput = hex("02 91 06") + hex("00") + [0x80, 0x01] + [UInt8](repeating: 0x42, count: 128)
    static let prefixedFrames: [[UInt8]] = [hex("91 06"), [], [UInt8](repeating: 0x42, count: 128)]

    private func frames(
        _ chunks: [ArraySlice<UInt8>], framing: HubFraming, limit: Int? = 32768
    ) -> (frames: [[UInt8]], error: HubProtocolError?) {
        var decoder = HubFrameDecoder(framing: framing, maximumMessageSize: limit)
        var buffer = ByteBuffer()
        var out: [[UInt8]] = []
        for chunk in chunks {
            buffer.writeBytes(chunk)
            do {
                while let f = try decoder.nextFrame(&buffer) { out.append(array(f)) }
            } catch {
                return (out, error)
            }
            buffer.discardReadBytes()
        }
        return (out, nil)
    }

    @Test("every split yields the same frames", arguments: [HubFraming.recordSeparator, .varIntLengthPrefix])
    func everySplitFrames(framing: HubFraming) {
        let input = framing == .recordSeparator ? Self.separatedInput : Self.prefixedInput
        let expected = framing == .recordSeparator ? Self.separatedFrames : Self.prefixedFrames
        #expect(frames([input[...]], framing: framing).frames == expected)
        for i in 0...input.count {
            let result = frames([input[..<i], input[i...]], framing: framing)
            #expect(result.frames == expected, "split at \(i)")
        }
        let single = input.indices.map { input[$0...$0] }
        #expect(frames(single, framing: framing).frames == expected)
    }

    @Test("ByteToMessageDecoderVerifier: record separators")
    func verifierSeparated() throws {
        let pairs = Self.separatedFrames.map { (ByteBuffer(bytes: $0 + [0x1E]), [ByteBuffer(bytes: $0)]) }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) {
            HubFrameDecoder(framing: .recordSeparator)
        }
    }

    @Test("ByteToMessageDecoderVerifier: VarInt prefixes")
    func verifierPrefixed() throws {
        let pairs = Self.prefixedFrames.map { payload -> (ByteBuffer, [ByteBuffer]) in
            var framed = ByteBuffer()
            HubFraming.varIntLengthPrefix.writeFrame(ByteBuffer(bytes: payload), into: &framed)
            return (framed, [ByteBuffer(bytes: payload)])
        }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) {
            HubFrameDecoder(framing: .varIntLengthPrefix)
        }
    }

    @Test("input ending inside a frame is a truncated message")
    func truncatedAtEOF() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(HubFrameDecoder(framing: .recordSeparator)))
        try channel.writeInbound(ByteBuffer(bytes: frame(#"{"type":6}"#) + bytes(#"{"type"#)))
        #expect(try channel.readInbound(as: ByteBuffer.self).map(array) == bytes(#"{"type":6}"#))
        #expect(throws: HubProtocolError.truncatedMessage) { try channel.finish() }
        #expect(HubProtocolError.truncatedMessage.message == "Connection terminated while reading a message.")
    }

    // MARK: Maximum message size

    @Test("record separators: a frame of limit-1 and limit bytes passes, limit+1 fails", arguments: [1, 2, 11, 32768])
    func separatedLimit(limit: Int) {
        for total in [limit - 1, limit, limit + 1] where total >= 1 {
            let input = [UInt8](repeating: UInt8(ascii: "x"), count: total - 1) + [0x1E]
            let result = frames([input[...]], framing: .recordSeparator, limit: limit)
            if total <= limit {
                #expect(result.error == nil, "frame of \(total) bytes, limit \(limit)")
                #expect(result.frames.count == 1)
            } else {
                #expect(result.error == HubProtocolError.messageTooBig(limit: limit))
            }
        }
    }

    @Test("record separators: fails as soon as more than the limit is buffered without a frame")
    func separatedLimitIncrementally() throws {
        let limit = 16
        var decoder = HubFrameDecoder(framing: .recordSeparator, maximumMessageSize: limit)
        var buffer = ByteBuffer()
        for _ in 0..<limit {
            buffer.writeInteger(UInt8(ascii: "x"))
            #expect(try decoder.nextFrame(&buffer) == nil)
        }
        buffer.writeInteger(UInt8(0x1E))  // the frame would be 17 bytes
        #expect(throws: HubProtocolError.messageTooBig(limit: limit)) { try decoder.nextFrame(&buffer) }
        #expect(
            HubProtocolError.messageTooBig(limit: 32768).message
                == "The maximum message size of 32768B was exceeded. The message size can be configured in AddHubOptions."
        )
    }

    @Test("record separators: a small frame completes even with much more behind it")
    func separatedWindow() throws {
        var decoder = HubFrameDecoder(framing: .recordSeparator, maximumMessageSize: 4)
        var buffer = ByteBuffer(bytes: bytes("abc") + [0x1E] + bytes("abc") + [0x1E] + bytes("abcdefgh"))
        #expect(try decoder.nextFrame(&buffer).map(array) == bytes("abc"))
        #expect(try decoder.nextFrame(&buffer).map(array) == bytes("abc"))
        #expect(throws: HubProtocolError.messageTooBig(limit: 4)) { try decoder.nextFrame(&buffer) }
    }

    @Test("VarInt: declared size limit-1 and limit pass, limit+1 fails at once", arguments: [3, 130, 32768])
    func prefixedLimit(limit: Int) throws {
        for total in [limit - 1, limit, limit + 1] {
            // Some sizes cannot be framed (129: 128 needs a 2-byte prefix, 127 a 1-byte one).
            guard
                let length = (1...5).map({ total - $0 }).first(where: {
                    $0 >= 0 && HubFraming.varIntLength($0) + $0 == total
                })
            else { continue }
            var prefix = ByteBuffer()
            HubFraming.writeVarInt(length, into: &prefix)
            var decoder = HubFrameDecoder(framing: .varIntLengthPrefix, maximumMessageSize: limit)
            var buffer = prefix
            if total <= limit {
                #expect(try decoder.nextFrame(&buffer) == nil)
                buffer.writeRepeatingByte(7, count: length)
                #expect(try decoder.nextFrame(&buffer)?.readableBytes == length)
            } else {
                // Only the prefix has arrived, and it already says the frame cannot fit.
                #expect(throws: HubProtocolError.messageTooBig(limit: limit)) { try decoder.nextFrame(&buffer) }
            }
        }
    }

    @Test("no limit: a big frame passes")
    func unlimited() throws {
        var decoder = HubFrameDecoder(framing: .recordSeparator, maximumMessageSize: nil)
        var buffer = ByteBuffer(repeating: UInt8(ascii: "y"), count: 100_000)
        #expect(try decoder.nextFrame(&buffer) == nil)
        buffer.writeInteger(UInt8(0x1E))
        #expect(try decoder.nextFrame(&buffer)?.readableBytes == 100_000)
        #expect(HubFrameDecoder.defaultMaximumMessageSize == 32768)
    }
}
