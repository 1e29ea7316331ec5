import MessagePack
import NIOCore
import Testing

/// A timestamp type that also reads decimal seconds from a string.
struct TextualTime: Codable, Equatable, MessagePackTimestampRepresentable {
    var seconds: Int64

    init(seconds: Int64) { self.seconds = seconds }

    init(messagePackTimestamp timestamp: MessagePackTimestamp) { seconds = timestamp.seconds }

    init?(messagePackTimestampText text: String) {
        guard let seconds = Int64(text) else { return nil }
        self.seconds = seconds
    }

    var messagePackTimestamp: MessagePackTimestamp {
        get throws { try MessagePackTimestamp(seconds: seconds) }
    }
}

@Suite("Timestamp forms the decoder accepts")
struct TimestampFormsTests {
    @Test(
        "MessagePack-CSharp's DateTimeOffset [clock timestamp, offset minutes] reads as the instant",
        arguments: [
            ("92 d6 ff 00 00 1c 20 78", 0),  // 02:00 at +02:00
            ("92 d6 ff 00 00 00 00 d1 ff 88", 7200),  // 00:00 at -02:00
            ("92 d6 ff 00 00 00 3c 01", 0),  // 00:01 at +00:01
            ("92 c7 0c ff 00 00 00 05 00 00 00 00 00 00 00 00 00", 0),  // 96-bit form, offset 0
        ])
    func dateTimeOffset(wire: String, seconds: Int64) throws {
        let decoder = MessagePackDecoder()
        let timestamp = try decoder.decode(MessagePackTimestamp.self, from: hex(wire))
        #expect(timestamp.seconds == seconds)
        #expect(
            try decoder.decode(UnixTime.self, from: hex(wire)).nanoseconds == seconds * 1_000_000_000
                + Int64(timestamp.nanoseconds))
        // Inside a struct too.
        struct Event: Decodable { var at: MessagePackTimestamp }
        let event = try decoder.decode(Event.self, from: hex("81 a2 61 74") + hex(wire))
        #expect(event.at == timestamp)
    }

    @Test(
        "arrays that are not that layout are type mismatches, never traps",
        arguments: [
            "92 01 02", "92 d6 ff 00 00 00 00 a1 31", "93 d6 ff 00 00 00 00 01 02", "91 d6 ff 00 00 00 00",
            "92 d6 ff 00 00 00 00 cd 80 00", "92 d6 ff 00 00 00 00",
        ])
    func otherArrays(wire: String) {
        #expect(throws: DecodingError.self) {
            try MessagePackDecoder().decode(MessagePackTimestamp.self, from: hex(wire))
        }
    }

    @Test("a DateTimeOffset beyond the Int64 range of seconds is refused")
    func offsetOverflow() {
        // Clock at Int64.min seconds, offset +1 minute.
        let wire = hex("92 c7 0c ff 00 00 00 00 80 00 00 00 00 00 00 00 01")
        #expect(throws: DecodingError.self) { try MessagePackDecoder().decode(MessagePackTimestamp.self, from: wire) }
    }

    @Test("a string goes to init?(messagePackTimestampText:); the default refuses it")
    func text() throws {
        let decoder = MessagePackDecoder()
        #expect(try decoder.decode(TextualTime.self, from: hex("a2 34 32")) == TextualTime(seconds: 42))
        #expect(throws: DecodingError.self) { try decoder.decode(TextualTime.self, from: hex("a1 78")) }
        #expect(throws: DecodingError.self) { try decoder.decode(MessagePackTimestamp.self, from: hex("a2 34 32")) }
        #expect(throws: DecodingError.self) { try decoder.decode(UnixTime.self, from: hex("a2 34 32")) }
        #expect(throws: DecodingError.self) { try decoder.decode(TextualTime.self, from: hex("a2 ff fe")) }
        #expect(
            try decoder.decode([TextualTime].self, from: hex("92 a1 31 d6 ff 00 00 00 02")).map(\.seconds) == [1, 2])
    }
}
