import Foundation
import HubProtocol
import MessagePack
import NIOCore
import Testing

/// Random, mutated and truncated MessagePack input must produce messages or errors, never a trap.
@Suite("MessagePack: fuzz")
struct MessagePackFuzzTests {
    /// Payloads (no prefix) of valid messages, with values of every MessagePack type.
    static let seeds: [[UInt8]] = {
        var seeds = messagePackFrameVectors.map { Array($0.wire.dropFirst()) } + messagePackReadVectors.map(\.payload)
        seeds.append(
            hex(
                "96 01 81 a1 6b a1 76 a1 31 a1 54 9a c0 c2 c3 d3 80 00 00 00 00 00 00 00 cf ff ff ff ff ff ff ff ff"
                    + " ca 3d cc cc cd cb 3f f8 00 00 00 00 00 00 c4 02 01 02 d6 ff 00 00 00 01"
                    + " 82 a4 6e 61 6d 65 a3 41 64 61 a3 61 67 65 24 92 93 01 02 03 80 d4 05 00 91 a1 73"))
        return seeds
    }()

    private static let formatBytes: [UInt8] = [
        0x00, 0x01, 0x7F, 0x80, 0x81, 0x8F, 0x90, 0x91, 0x9F, 0xA0, 0xA1, 0xBF, 0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5,
        0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF, 0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7,
        0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF, 0xE0, 0xFF,
    ]

    /// Everything a connection or a forwarding node does with `input`.
    private func exercise(_ input: [UInt8]) {
        let payload = ByteBuffer(bytes: input)
        if let message = try? messagePack.parseMessage(payload) {
            decodeValues(message)
            _ = try? messagePack.serialize(message)
            _ = try? json.serialize(message)  // transcodes every raw value
        }
        for maximum in [nil, 16] as [Int?] {
            var decoder = HubMessageDecoder(hubProtocol: messagePack, maximumMessageSize: maximum)
            var buffer = ByteBuffer(bytes: input)
            while let message = try? decoder.next(&buffer) { decodeValues(message) }
        }
        if let value = try? HubValue(rawMessagePack: payload) {
            decodeValues(value)
            _ = value.description
        }
        _ = try? HubValue(rawJSON: payload).decode(String.self)
    }

    private func decodeValues(_ message: HubMessage) {
        switch message {
        case .invocation(let m): m.arguments.values.forEach(decodeValues)
        case .streamInvocation(let m): m.arguments.values.forEach(decodeValues)
        case .streamItem(let m): decodeValues(m.item)
        case .completion(let m): m.result.map(decodeValues)
        default: break
        }
    }

    private func decodeValues(_ value: HubValue) {
        _ = try? value.decode(String.self)
        _ = try? value.decode(Int.self)
        _ = try? value.decode(Double.self)
        _ = try? value.decode(Bool.self)
        _ = try? value.decode([Int?].self)
        _ = try? value.decode(Date.self)
        _ = try? value.decode(Data.self)
        _ = try? value.decode(Person.self)
        _ = try? value.decode(Attachment.self)
        _ = try? value.decode([String: Double].self)
        _ = value.description
    }

    @Test("every truncation of every valid message is an error, never a trap")
    func truncations() {
        for seed in Self.seeds {
            for length in 0..<seed.count {
                exercise(Array(seed[..<length]))
                var framed = ByteBuffer()
                HubFraming.varIntLengthPrefix.writeFrame(ByteBuffer(bytes: seed), into: &framed)
                exercise(Array(array(framed).prefix(length)))
            }
        }
    }

    @Test("mutated messages (flips, inserts, deletes, format bytes) never trap", arguments: [1, 2, 3, 4])
    func mutations(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<2500 {
            var input = Self.seeds.randomElement(using: &generator)!
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = input.isEmpty ? 0 : Int.random(in: 0..<input.count, using: &generator)
                let byte =
                    Bool.random(using: &generator)
                    ? Self.formatBytes.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0 where !input.isEmpty: input[position] = byte
                case 1: input.insert(byte, at: position)
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
            let length = Int.random(in: 0..<48, using: &generator)
            let structured = Bool.random(using: &generator)
            let input = (0..<length).map { _ in
                structured
                    ? Self.formatBytes.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
            }
            exercise(input)
            // As the arguments of an otherwise valid invocation.
            exercise(hex("96 01 80 c0 a1 54 91") + input + [0x90])
        }
    }

    @Test("JSON messages, mutated, forwarded to MessagePack and back to JSON never trap", arguments: [7, 8])
    func forwardedJSON(seed: UInt64) {
        let alphabet = bytes(#"{}[]":,.-+eE0123456789tfnrulsa\/u "#) + [0x00, 0x1F, 0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80]
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<2500 {
            var input = FuzzTests.seeds.randomElement(using: &generator)!
            for _ in 0..<Int.random(in: 0...3, using: &generator) {
                let position = input.isEmpty ? 0 : Int.random(in: 0..<input.count, using: &generator)
                let byte = alphabet.randomElement(using: &generator)!
                switch Int.random(in: 0..<3, using: &generator) {
                case 0 where !input.isEmpty: input[position] = byte
                case 1: input.insert(byte, at: position)
                default: if !input.isEmpty { input.remove(at: position) }
                }
            }
            guard let message = try? json.parseMessage(ByteBuffer(bytes: input)),
                let packed = try? messagePack.serialize(message)
            else { continue }
            var buffer = packed
            var decoder = HubMessageDecoder(hubProtocol: messagePack, maximumMessageSize: nil)
            guard let forwarded = try? decoder.next(&buffer) else {
                Issue.record("what we wrote does not read back: \(escaped(input))")
                continue
            }
            decodeValues(forwarded)
            #expect((try? json.serialize(forwarded)) != nil, "\(escaped(input))")
        }
    }

    @Test("random JSON values survive the trip to MessagePack and back", arguments: [5, 6])
    func randomJSON(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        func value(_ depth: Int) -> String {
            switch Int.random(in: 0..<(depth > 3 ? 6 : 8), using: &generator) {
            case 0: return "null"
            case 1: return Bool.random(using: &generator) ? "true" : "false"
            case 2:
                return String(
                    Int64.random(in: .min ... .max, using: &generator) >> Int.random(in: 0..<64, using: &generator))
            case 3:
                let double = Double.random(in: -1e6...1e6, using: &generator)
                return "\(double)"
            case 4: return String(UInt64.random(in: 0 ... .max, using: &generator))
            case 5:
                let scalars = ["a", "é", "😀", "\\n", "\\\"", "\\u00e9", "\\ud83d\\ude00", " ", "/"]
                return "\""
                    + (0..<Int.random(in: 0..<6, using: &generator)).map { _ in
                        scalars.randomElement(using: &generator)!
                    }
                    .joined() + "\""
            case 6:
                return "["
                    + (0..<Int.random(in: 0..<18, using: &generator)).map { _ in value(depth + 1) }
                    .joined(separator: ",") + "]"
            default:
                return "{"
                    + (0..<Int.random(in: 0..<18, using: &generator)).map { i in "\"k\(i)\":" + value(depth + 1) }
                    .joined(separator: ",") + "}"
            }
        }
        for _ in 0..<400 {
            let text = value(0)
            let original = HubMessage.streamItem(
                StreamItemMessage(invocationId: "1", item: try HubValue(rawJSON: text)))
            // JSON → MessagePack (transcoded) → JSON (transcoded back).
            let packed = try #require(try parsePackFrame(try writePack(original)))
            let back = try write(packed)
            guard case .streamItem(let item)? = try parse(String(decoding: back.dropLast(), as: UTF8.self)) else {
                Issue.record("not a stream item")
                continue
            }
            let before = try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)
            let after = try JSONSerialization.jsonObject(
                with: Data(array(try #require(item.item.rawBytes))), options: .fragmentsAllowed)
            #expect(sameJSON(before, after), "\(text) → \(item.item)")
        }
    }
}

/// Whether two `JSONSerialization` trees hold the same values (numbers compared as doubles).
func sameJSON(_ a: Any, _ b: Any) -> Bool {
    switch (a, b) {
    case (let x as [String: Any], let y as [String: Any]):
        return x.count == y.count && x.allSatisfy { key, value in y[key].map { sameJSON(value, $0) } ?? false }
    case (let x as [Any], let y as [Any]):
        return x.count == y.count && zip(x, y).allSatisfy { sameJSON($0, $1) }
    case (is NSNull, is NSNull):
        return true
    case (let x as String, let y as String):
        return x == y
    default:
        // Integers beyond Int64 do not cast to Double here; their texts compare instead.
        guard let x = a as? Double, let y = b as? Double else { return "\(a)" == "\(b)" }
        return x == y
    }
}
