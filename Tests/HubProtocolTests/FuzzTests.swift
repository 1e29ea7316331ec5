import Foundation
import HubProtocol
import NIOCore
import Testing

/// Random, mutated and truncated input must produce messages or errors, never a trap.
@Suite("Fuzz")
struct FuzzTests {
    static let seeds: [[UInt8]] =
        JSONReadingTests.streamInput.split(separator: 0x1E).map(Array.init) + [
            bytes(#"{"type":1,"target":"T","arguments":[1.5e-3,-0,true,false,null,"\ud83d\ude00\n",[{}],{"a":[]}]}"#),
            bytes(#"{"protocol":"json","version":1}"#),
            bytes(#"{"error":"x"}"#),
        ]

    private static let alphabet =
        bytes(#"{}[]":,.-+eE0123456789tfnrulsaxyz\/u  "#) + [0x1E, 0x00, 0x1F, 0x7F, 0xC3, 0xA9, 0xED, 0xF0, 0xFF]

    /// Everything a connection would do with `input`: frame it, parse it, decode every value.
    private func exercise(_ input: [UInt8]) {
        let payload = ByteBuffer(bytes: input)
        if let message = try? json.parseMessage(payload) {
            decodeValues(message)
            _ = try? json.serialize(message)
        }
        for maximum in [nil, 16] as [Int?] {
            var decoder = HubMessageDecoder(hubProtocol: json, maximumMessageSize: maximum)
            var buffer = ByteBuffer(bytes: input)
            while let message = try? decoder.next(&buffer) { decodeValues(message) }
            var frames = HubFrameDecoder(framing: .varIntLengthPrefix, maximumMessageSize: maximum)
            var binary = ByteBuffer(bytes: input)
            while (try? frames.nextFrame(&binary)) ?? nil != nil {}
        }
        var handshake = ByteBuffer(bytes: input + [0x1E])
        _ = try? HandshakeRequest.parse(&handshake)
        var response = ByteBuffer(bytes: input + [0x1E])
        _ = try? HandshakeResponse.parse(&response)
        _ = try? HubValue(rawJSON: payload).decode(Date.self)
    }

    private func decodeValues(_ message: HubMessage) {
        let values: [HubValue]
        switch message {
        case .invocation(let m): values = m.arguments.values
        case .streamInvocation(let m): values = m.arguments.values
        case .streamItem(let m): values = [m.item]
        case .completion(let m): values = m.result.map { [$0] } ?? []
        default: values = []
        }
        for value in values {
            _ = try? value.decode(String.self)
            _ = try? value.decode(Int.self)
            _ = try? value.decode(Double.self)
            _ = try? value.decode(Bool.self)
            _ = try? value.decode([Int?].self)
            _ = try? value.decode(Date.self)
            _ = try? value.decode(Person.self)
        }
    }

    @Test("every truncation of every valid message is an error, never a trap")
    func truncations() {
        for seed in Self.seeds {
            for length in 0..<seed.count {
                exercise(Array(seed[..<length]))
                // A proper prefix of a JSON object is never valid JSON.
                if seed.first == UInt8(ascii: "{") {
                    #expect(throws: HubProtocolError.self) { try json.parseMessage(ByteBuffer(bytes: seed[..<length])) }
                }
            }
        }
    }

    @Test("mutated messages (flips, inserts, deletes) never trap", arguments: [1, 2, 3, 4])
    func mutations(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<2500 {
            var input = Self.seeds.randomElement(using: &generator)!
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = input.isEmpty ? 0 : Int.random(in: 0..<input.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0 where !input.isEmpty: input[position] = Self.alphabet.randomElement(using: &generator)!
                case 1: input.insert(Self.alphabet.randomElement(using: &generator)!, at: position)
                default: if !input.isEmpty { input.remove(at: position) }
                }
            }
            exercise(input)
        }
    }

    @Test("random bytes never trap", arguments: [10, 20])
    func randomBytes(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<3000 {
            let length = Int.random(in: 0..<64, using: &generator)
            let structured = Bool.random(using: &generator)
            let input = (0..<length).map { _ in
                structured
                    ? Self.alphabet.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
            }
            exercise(input)
            exercise(bytes("{\"type\":1,\"target\":\"T\",\"arguments\":[") + input + bytes("]}"))
        }
    }

    @Test("deep nesting and long inputs never trap")
    func extremes() {
        exercise(Array(repeating: UInt8(ascii: "["), count: 100_000))
        exercise(bytes(#"{"type":1,"target":"T","arguments":"#) + Array(repeating: UInt8(ascii: "["), count: 10_000))
        exercise(bytes(#"{"type":1,"target":""#) + Array(repeating: UInt8(ascii: "\\"), count: 10_001))
        exercise(hex("ff ff ff ff 07") + [1, 2, 3])
        exercise(bytes(#"{"type":8,"sequenceId":-9223372036854775809}"#))
        exercise(bytes(#"{"type":1,"target":"T","arguments":[1e999999,-1e-999999,99999999999999999999999]}"#))
    }
}
