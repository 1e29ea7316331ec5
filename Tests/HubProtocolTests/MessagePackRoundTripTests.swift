import Foundation
import HubProtocol
import MessagePack
import NIOCore
import Testing

/// A payload of every kind MessagePack-CSharp writes for a .NET DTO.
struct Attachment: Codable, Equatable, Sendable {
    var name: String
    var bytes: Data
    var sent: Date
    var sizes: [Int64]
    var note: String?
}

@Suite("MessagePack: round trips and values")
struct MessagePackRoundTripTests {
    static let person = Person(
        name: "Zoë \"Z\" \\ 😀", age: -1, tags: ["a/b", ""], address: .init(city: "Zürich", zip: nil),
        born: Date(timeIntervalSince1970: -4_861_728_000))

    static let messages: [HubMessage] = [
        .invocation(
            InvocationMessage(
                headers: ["traceparent": "00-abc-01"], invocationId: "1", target: "Send",
                arguments: [HubValue("héllo 😀"), HubValue(42), .null, HubValue(["nested": [1.5, -2]])],
                streamIds: ["s1", "s2"])),
        .invocation(InvocationMessage(target: "Fire")),
        .invocation(InvocationMessage(invocationId: "", target: "Ünïcödé ✓", arguments: [HubValue([1, 2, 3])])),
        .streamInvocation(
            StreamInvocationMessage(
                headers: ["k": "v"], invocationId: "2", target: "Counter", arguments: [HubValue(10), HubValue(0.5)],
                streamIds: ["up"])),
        .streamItem(StreamItemMessage(headers: ["k": "v"], invocationId: "2", item: HubValue(["a": 1]))),
        .streamItem(StreamItemMessage(invocationId: "2", item: .null)),
        .completion(CompletionMessage(headers: ["k": "v"], invocationId: "1", outcome: .result(HubValue(true)))),
        .completion(CompletionMessage(invocationId: "1", outcome: .result(.null))),
        .completion(CompletionMessage(invocationId: "1", outcome: .error("It failed: ünïcödé"))),
        .completion(CompletionMessage(invocationId: "2")),
        .cancelInvocation(CancelInvocationMessage(headers: ["k": "v"], invocationId: "2")),
        .ping,
        .close(CloseMessage()),
        .close(CloseMessage(error: "Connection closed with an error.", allowReconnect: true)),
        .close(CloseMessage(allowReconnect: true)),
        .ack(sequenceId: Int64.max),
        .sequence(sequenceId: 0),
    ]

    /// Compared with the same message written as JSON and read back (keys of Swift structs would come
    /// out of `JSONEncoder` in another order: structs are checked value by value below).
    @Test("every message type: written, read back, written again to the same bytes")
    func roundTrips() throws {
        for message in Self.messages {
            let framed = try writePack(message)
            let read = try #require(try parsePackFrame(framed))
            let expected = try jsonCanonical(message)
            #expect(canonical(read) == expected)
            #expect(try writePack(read) == framed, "\(canonical(message))")
        }
    }

    @Test("arguments decode into Swift types")
    func decodesArguments() throws {
        let attachment = Attachment(
            name: "a.bin", bytes: Data([0, 1, 2, 0xFF]), sent: Date(timeIntervalSince1970: 1_709_210_096.25),
            sizes: [Int64.min, -1, 0, Int64.max], note: nil)
        let date = Date(timeIntervalSince1970: 1_234_567_890.123456)
        let message = HubMessage.invocation(
            InvocationMessage(
                invocationId: "1", target: "T",
                arguments: [
                    HubValue("tab\t nl\n é 😀"), HubValue(Int64.min), HubValue(Int64.max), HubValue(UInt64.max),
                    HubValue(-0.000123), HubValue(true), HubValue(Optional<Int>.none), HubValue(Optional(5)),
                    HubValue(["x", "y"]), HubValue(Self.person), HubValue(date), HubValue(Data([9, 8, 7])),
                    HubValue(attachment), HubValue([String: [Int]]()), HubValue(Double.infinity),
                    HubValue(Float(0.1)), HubValue([1.5, nil, 3]),
                ]))
        let read = try #require(try parsePackFrame(try writePack(message)))
        guard case .invocation(let call) = read else {
            Issue.record("not an invocation")
            return
        }
        let args = call.arguments
        #expect(args.allSatisfy { $0.format == .messagePack })
        #expect(try args.decode(String.self, at: 0) == "tab\t nl\n é 😀")
        #expect(try args.decode(Int64.self, at: 1) == Int64.min)
        #expect(try args.decode(Int.self, at: 1) == Int.min)
        #expect(try args.decode(Int64.self, at: 2) == Int64.max)
        #expect(try args.decode(UInt64.self, at: 3) == UInt64.max)
        #expect(throws: HubProtocolError.self) { try args.decode(Int64.self, at: 3) }
        #expect(try args.decode(Double.self, at: 4) == -0.000123)
        #expect(try args.decode(Bool.self, at: 5) == true)
        #expect(try args.decode(Int?.self, at: 6) == nil)
        #expect(args[6].isNull)
        #expect(try args.decode(Int?.self, at: 7) == 5)
        #expect(try args.decode(Double.self, at: 7) == 5)
        #expect(try args.decode([String].self, at: 8) == ["x", "y"])
        #expect(try args.decode(Person.self, at: 9) == Self.person)
        #expect(abs(try args.decode(Date.self, at: 10).timeIntervalSince(date)) < 1e-6)
        #expect(try args.decode(Data.self, at: 11) == Data([9, 8, 7]))
        #expect(try args.decode([UInt8].self, at: 11) == [9, 8, 7])
        #expect(try args.decode(Attachment.self, at: 12) == attachment)
        #expect(try args.decode([String: [Int]].self, at: 13).isEmpty)
        #expect(try args.decode(Double.self, at: 14) == .infinity)
        #expect(try args.decode(Float.self, at: 15) == 0.1)
        #expect(try args.decode([Double?].self, at: 16) == [1.5, nil, 3])
        // The wire forms a .NET peer expects.
        #expect(args[10].rawBytes.map { array($0).prefix(2) } == [0xD7, 0xFF])  // timestamp 64
        #expect(args[11].rawBytes.map(array) == hex("c4 03 09 08 07"))  // bin8
        #expect(args[15].rawBytes.map { array($0).first } == 0xCA)  // float32
    }

    @Test("a mismatched type throws a decoding error, never traps")
    func decodingErrors() throws {
        let args = HubArguments([
            try HubValue(rawMessagePack: ByteBuffer(bytes: hex("a4 74 65 78 74"))),
            try HubValue(rawMessagePack: ByteBuffer(bytes: hex("cb 3f f8 00 00 00 00 00 00"))),
            try HubValue(rawMessagePack: ByteBuffer(bytes: hex("81 a4 6e 61 6d 65 01"))),
            try HubValue(rawMessagePack: ByteBuffer(bytes: hex("a2 ff fe"))),
            try HubValue(rawMessagePack: ByteBuffer(bytes: hex("d4 05 00"))),
        ])
        #expect {
            _ = try args.decode(Int.self, at: 0)
        } throws: { ($0 as? HubProtocolError)?.code == .valueDecodingFailed }
        #expect {
            _ = try args.decode(Int.self, at: 1)
        } throws: { ($0 as? HubProtocolError)?.code == .valueDecodingFailed }
        #expect(throws: HubProtocolError.self) { try args.decode(Person.self, at: 2) }
        #expect(throws: HubProtocolError.self) { try args.decode(String.self, at: 3) }
        #expect(throws: HubProtocolError.self) { try args.decode(Date.self, at: 4) }
        #expect(throws: HubProtocolError.self) { try args.decode(String.self, at: 5) }
    }

    @Test(
        "dates: every timestamp form, and MessagePack-CSharp's DateTimeOffset array",
        arguments: [
            ("d6 ff 00 00 00 00", 0.0),
            ("d6 ff 65 e0 7a f0", 1_709_210_352.0),
            // 64-bit: 500 ms after 1.
            ("d7 ff 77 35 94 00 00 00 00 01", 1.5),
            // 96-bit: 1 ns before 1970.
            ("c7 0c ff 3b 9a c9 ff ff ff ff ff ff ff ff ff", -0.000000001),
            // DateTimeOffset: clock 02:00 at +02:00 (120 minutes) is 00:00 UTC.
            ("92 d6 ff 00 00 1c 20 78", 0.0),
            ("92 d6 ff 00 00 00 00 d1 ff 88", 7200.0),
        ])
    func decodesDates(wire: String, seconds: Double) throws {
        let value = try HubValue(rawMessagePack: ByteBuffer(bytes: hex(wire)))
        let date = try value.decode(Date.self)
        #expect(abs(date.timeIntervalSince1970 - seconds) < 1e-7, "\(date.timeIntervalSince1970)")
    }

    @Test("dates are written as the smallest timestamp, to 100 ns")
    func writesDates() throws {
        for (seconds, wire) in [
            (0.0, "d6 ff 00 00 00 00"), (1.5, "d7 ff 77 35 94 00 00 00 00 01"),
            (-1.0, "c7 0c ff 00 00 00 00 ff ff ff ff ff ff ff ff"),
            (1_709_210_096.25, "d7 ff 3b 9a ca 00 65 e0 79 f0"),
        ] {
            let framed = try writePack(
                .streamItem(StreamItemMessage(invocationId: "1", item: HubValue(Date(timeIntervalSince1970: seconds)))))
            #expect(Array(framed.suffix(hex(wire).count)) == hex(wire), "\(seconds)")
        }
        #expect(throws: (any Error).self) { try Date.distantFuture.addingTimeInterval(.infinity).messagePackTimestamp }
    }
}
