import Foundation
import MessagePack
import NIOCore
import Testing

@testable import HubProtocol

/// JSON text and the MessagePack bytes it transcodes to (and, when `back` is set, the JSON text the
/// MessagePack transcodes back to).
struct TranscodingVector: Sendable, CustomTestStringConvertible {
    var json: String
    var pack: String
    var back: String?
    var testDescription: String { json }

    init(_ json: String, _ pack: String, back: String? = nil) {
        self.json = json
        self.pack = pack
        self.back = back
    }
}

let transcodingVectors: [TranscodingVector] = [
    .init("0", "00"), .init("-1", "ff"), .init("127", "7f"), .init("128", "cc 80"), .init("-32", "e0"),
    .init("-33", "d0 df"), .init("255", "cc ff"), .init("256", "cd 01 00"), .init("65536", "ce 00 01 00 00"),
    .init("-129", "d1 ff 7f"), .init("-2147483649", "d3 ff ff ff ff 7f ff ff ff"),
    .init("4294967296", "cf 00 00 00 01 00 00 00 00"),
    .init("9223372036854775807", "cf 7f ff ff ff ff ff ff ff"),
    .init("-9223372036854775808", "d3 80 00 00 00 00 00 00 00"),
    .init("18446744073709551615", "cf ff ff ff ff ff ff ff ff"),
    .init("18446744073709551616", "cb 43 f0 00 00 00 00 00 00", back: "1.8446744073709552e+19"),
    // Read as a double, this is -2^63 exactly, which fits Int64.
    .init("-9223372036854775809", "d3 80 00 00 00 00 00 00 00", back: "-9223372036854775808"),
    .init("1e19", "cf 8a c7 23 04 89 e8 00 00", back: "10000000000000000000"),
    .init("1.5", "cb 3f f8 00 00 00 00 00 00"), .init("-0.25", "cb bf d0 00 00 00 00 00 00"),
    .init("0.1", "cb 3f b9 99 99 99 99 99 9a"), .init("1e300", "cb 7e 37 e4 3c 88 00 75 9c", back: "1e+300"),
    .init("1.0", "01", back: "1"), .init("1e3", "cd 03 e8", back: "1000"), .init("-0", "00", back: "0"),
    .init("-0.0", "00", back: "0"), .init("2.5E-3", "cb 3f 64 7a e1 47 ae 14 7b", back: "0.0025"),
    .init("true", "c3"), .init("false", "c2"), .init("null", "c0"),
    .init(#""""#, "a0"), .init(#""hé""#, "a3 68 c3 a9"),
    .init(#""\u00e9\n\"\\\/\t""#, "a7 c3 a9 0a 22 5c 2f 09", back: #""é\n\"\\/\t""#),
    .init(#""\ud83d\ude00 \u0001""#, "a6 f0 9f 98 80 20 01", back: #""😀 \u0001""#),
    .init(#""😀""#, "a4 f0 9f 98 80"),
    .init(
        #""0123456789abcdef0123456789abcdef""#,
        "d9 20 30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66 30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66"),
    .init("[]", "90"), .init("{}", "80"), .init("[1,[2,{}]]", "92 01 92 02 80"),
    .init(#"{"a":1,"b":[true,null]}"#, "82 a1 61 01 a1 62 92 c3 c0"),
    .init(#" { "a" : [ 1 , 2 ] } "#, "81 a1 61 92 01 02", back: #"{"a":[1,2]}"#),
    .init(#"{"\u0061":"x"}"#, "81 a1 61 a1 78", back: #"{"a":"x"}"#),
    .init(
        "[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]",
        "dc 00 10 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f"),
    .init(
        "[[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15],[]]",
        "92 dc 00 10 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 90"),
]

/// MessagePack bytes, and the JSON text they transcode to (one way only).
let messagePackToJSONVectors: [(String, String)] = [
    ("ca 3d cc cc cd", "0.1"),  // float32 0.1, not 0.10000000149011612
    ("ca 42 c8 00 00", "100"),
    ("cb 40 59 00 00 00 00 00 00", "100"),
    ("d0 01", "1"), ("d1 00 01", "1"), ("cc 00", "0"), ("cf 00 00 00 00 00 00 00 01", "1"),
    ("d9 01 61", #""a""#), ("da 00 01 61", #""a""#), ("db 00 00 00 01 61", #""a""#),
    ("c4 00", #""""#), ("c4 01 ff", #""/w==""#), ("c4 02 ff fe", #""//4=""#), ("c4 03 01 02 03", #""AQID""#),
    ("c5 00 04 00 01 02 03", #""AAECAw==""#),
    ("d6 ff 00 00 00 00", #""1970-01-01T00:00:00Z""#),
    ("d6 ff 65 e0 7a f0", #""2024-02-29T12:39:12Z""#),
    ("d7 ff 3b 9a ca 00 65 e0 79 f0", #""2024-02-29T12:34:56.25Z""#),
    ("c7 0c ff 3b 9a c9 ff ff ff ff ff ff ff ff ff", #""1969-12-31T23:59:59.999999999Z""#),
    ("c7 0c ff 00 00 00 01 ff ff ff f1 88 6e 09 00", #""0001-01-01T00:00:00.000000001Z""#),
    ("c7 0c ff 00 00 00 00 ff ff ff f1 86 8b 84 00", #""0000-01-01T00:00:00Z""#),
    ("c7 0c ff 3b 9a c9 ff 00 00 00 3a ff f4 41 7f", #""9999-12-31T23:59:59.999999999Z""#),
    ("dc 00 01 c0", "[null]"), ("de 00 01 a1 6b 90", #"{"k":[]}"#),
    ("a6 22 5c 0a 01 c3 a9", #""\"\\\n\u0001é""#),
]

/// MessagePack bytes JSON cannot hold, or that are broken, and the error code.
let messagePackToJSONErrors: [(String, HubProtocolError.Code)] = [
    ("81 01 02", .unsupportedValueFormat),  // an integer key
    ("81 c0 02", .unsupportedValueFormat),  // a nil key
    ("92 01 81 c4 01 61 02", .unsupportedValueFormat),  // a bin key, nested
    ("d4 01 00", .unsupportedValueFormat),  // an extension of type 1
    ("c7 00 05", .unsupportedValueFormat),  // an empty extension
    ("cb 7f f8 00 00 00 00 00 00", .unsupportedValueFormat),  // NaN
    ("cb 7f f0 00 00 00 00 00 00", .unsupportedValueFormat),  // +infinity
    ("ca ff 80 00 00", .unsupportedValueFormat),  // float32 -infinity
    ("c7 0c ff 00 00 00 00 00 00 00 3a ff f4 41 80", .unsupportedValueFormat),  // 10000-01-01
    ("c7 0c ff 3b 9a c9 ff ff ff ff f1 86 8b 83 ff", .unsupportedValueFormat),  // just before 0000
    ("c7 0c ff 00 00 00 00 7f ff ff ff ff ff ff ff", .unsupportedValueFormat),  // far future
    ("c7 0c ff 00 00 00 00 80 00 00 00 00 00 00 00", .unsupportedValueFormat),  // far past
    ("d6 ff", .invalidMessagePack),  // cut short
    ("d5 ff 00 00", .invalidMessagePack),  // a 2-byte timestamp
    ("d7 ff ff ff ff ff 00 00 00 00", .invalidMessagePack),  // nanoseconds ≥ 10^9
    ("a1 ff", .invalidMessagePack),  // not UTF-8
    ("92 01", .invalidMessagePack),
    ("c1", .invalidMessagePack),
    ("01 02", .invalidMessagePack),  // two values
    ("", .invalidMessagePack),
]

@Suite("Cross-format values: JSON ⇄ MessagePack")
struct CrossFormatTests {
    @Test("JSON → MessagePack, and back", arguments: transcodingVectors)
    func transcodes(vector: TranscodingVector) throws {
        let pack = try JSONToMessagePackTranscoder.transcode(ByteBuffer(string: vector.json))
        #expect(array(pack) == hex(vector.pack))
        let back = try MessagePackToJSONTranscoder.transcode(pack)
        #expect(String(buffer: back) == vector.back ?? vector.json.trimmingCharacters(in: .whitespaces))
    }

    @Test("MessagePack → JSON", arguments: messagePackToJSONVectors)
    func transcodesToJSON(pack: String, expected: String) throws {
        let text = try MessagePackToJSONTranscoder.transcode(ByteBuffer(bytes: hex(pack)))
        #expect(String(buffer: text) == expected)
        // What we write is JSON our scanner accepts.
        _ = try HubValue(rawJSON: text)
    }

    @Test("MessagePack that JSON cannot hold, or that is broken, throws", arguments: messagePackToJSONErrors)
    func refusesToJSON(pack: String, code: HubProtocolError.Code) {
        var buffer = ByteBuffer(bytes: [0x7B])
        #expect {
            try MessagePackToJSONTranscoder.transcode(ByteBuffer(bytes: hex(pack)), into: &buffer)
        } throws: { ($0 as? HubProtocolError)?.code == code }
        #expect(array(buffer) == [0x7B])  // nothing left behind
    }

    @Test(
        "JSON that MessagePack cannot hold, or that is broken, throws",
        arguments: [
            ("1e999", HubProtocolError.Code.unsupportedValueFormat), ("-1e400", .unsupportedValueFormat),
            ("[1,", .invalidJSON), ("\"\\x\"", .invalidJSON), ("01", .invalidJSON), ("[1] 2", .invalidJSON),
            ("", .invalidJSON),
        ])
    func refusesToMessagePack(text: String, code: HubProtocolError.Code) {
        var writer = MessagePackWriter(buffer: ByteBuffer(bytes: [0x90]))
        #expect {
            try JSONToMessagePackTranscoder.transcode(ByteBuffer(string: text), into: &writer)
        } throws: { ($0 as? HubProtocolError)?.code == code }
        #expect(array(writer.buffer) == [0x90])
    }

    @Test("big containers get 16- and 32-bit headers; big strings str16 and str32")
    func bigContainers() throws {
        for count in [15, 16, 65_535, 65_536] {
            let text = "[" + (0..<count).map { _ in "1" }.joined(separator: ",") + "]"
            let pack = try JSONToMessagePackTranscoder.transcode(ByteBuffer(string: text))
            var reader = MessagePackReader(buffer: pack)
            #expect(try reader.readArrayHeader() == count)
            #expect(reader.readableBytes == count)
            let header = count <= 15 ? 1 : count <= 0xFFFF ? 3 : 5
            #expect(pack.readableBytes == header + count)
            #expect(String(buffer: try MessagePackToJSONTranscoder.transcode(pack)) == text)
        }
        let map = "{" + (0..<20).map { "\"k\($0)\":{\"n\":[\($0)]}" }.joined(separator: ",") + "}"
        let pack = try JSONToMessagePackTranscoder.transcode(ByteBuffer(string: map))
        #expect(array(pack).first == 0xDE)
        #expect(String(buffer: try MessagePackToJSONTranscoder.transcode(pack)) == map)
        for length in [255, 256, 65_535, 65_536] {
            let escaped = String(repeating: "\\u00e9", count: length / 2) + (length % 2 == 1 ? "x" : "")
            let pack = try JSONToMessagePackTranscoder.transcode(ByteBuffer(string: "\"" + escaped + "\""))
            #expect(array(pack).first == (length <= 255 ? 0xD9 : length <= 0xFFFF ? 0xDA : 0xDB))
            var reader = MessagePackReader(buffer: pack)
            #expect(try reader.readString() == String(repeating: "é", count: length / 2) + (length % 2 == 1 ? "x" : ""))
            #expect(reader.isAtEnd)
        }
    }

    @Test("the same messages written by both protocols decode to equal Swift values")
    func sameValuesBothWays() throws {
        let attachment = Attachment(
            name: "ä", bytes: Data([1, 2, 3]), sent: Date(timeIntervalSince1970: 1_709_210_096.5),
            sizes: [Int64.min, Int64.max], note: "n")
        let person = MessagePackRoundTripTests.person
        let arguments: HubArguments = [
            HubValue("text 😀 \"q\""), HubValue(Int64.min), HubValue(1.25), HubValue(false), .null, HubValue([1, 2]),
            HubValue(person), HubValue(attachment), HubValue(Date(timeIntervalSince1970: 86_400.125)),
            HubValue(Data([0xFF, 0])),
        ]
        let message = HubMessage.invocation(InvocationMessage(invocationId: "1", target: "T", arguments: arguments))
        for hubProtocol in [json, messagePack] as [any HubProtocol] {
            var buffer = try hubProtocol.serialize(message)
            var decoder = HubMessageDecoder(hubProtocol: hubProtocol)
            guard case .invocation(let call)? = try decoder.next(&buffer) else {
                Issue.record("not an invocation")
                continue
            }
            let args = call.arguments
            #expect(try args.decode(String.self, at: 0) == "text 😀 \"q\"")
            #expect(try args.decode(Int64.self, at: 1) == Int64.min)
            #expect(try args.decode(Double.self, at: 2) == 1.25)
            #expect(try args.decode(Bool.self, at: 3) == false)
            #expect(try args.decode(String?.self, at: 4) == nil)
            #expect(try args.decode([Int].self, at: 5) == [1, 2])
            #expect(try args.decode(Person.self, at: 6) == person)
            #expect(try args.decode(Attachment.self, at: 7) == attachment)
            #expect(try args.decode(Date.self, at: 8) == Date(timeIntervalSince1970: 86_400.125))
            #expect(try args.decode(Data.self, at: 9) == Data([0xFF, 0]))
        }
    }

    @Test("a message received in one protocol and forwarded in the other keeps its values")
    func forwarding() throws {
        let jsonText =
            #"{"type":1,"invocationId":"7","target":"Send","arguments":["héllo",-5,2.5,true,null,[1,[2]],{"name":"Ada","age":36,"tags":["x"],"address":{"city":"London","zip":null},"born":"1815-12-10T00:00:00Z"},9007199254740993,1.0]}"#
        let fromJSON = try #require(try parse(jsonText))
        // JSON in, MessagePack out: raw JSON values are transcoded.
        let packed = try writePack(fromJSON)
        guard case .invocation(let call)? = try parsePackFrame(packed) else {
            Issue.record("not an invocation")
            return
        }
        #expect(call.invocationId == "7" && call.target == "Send")
        let args = call.arguments
        #expect(args.allSatisfy { $0.format == .messagePack })
        #expect(try args.decode(String.self, at: 0) == "héllo")
        #expect(try args.decode(Int.self, at: 1) == -5)
        #expect(try args.decode(Double.self, at: 2) == 2.5)
        #expect(try args.decode(Bool.self, at: 3) == true)
        #expect(args[4].isNull)
        #expect(try args.decode([AnyNested].self, at: 5).count == 2)
        // The date is a string now (JSON has no dates); Date reads ISO-8601 strings from MessagePack.
        let ada = try args.decode(Person.self, at: 6)
        #expect(ada.name == "Ada" && ada.address.zip == nil)
        #expect(ada.born == Date(timeIntervalSince1970: -4_861_728_000))
        #expect(try args.decode(Int64.self, at: 7) == 9_007_199_254_740_993)
        #expect(try args.decode(Int.self, at: 8) == 1)
        // MessagePack in, JSON out: the raw MessagePack values are transcoded back.
        let again = try write(try #require(try parsePackFrame(packed)))
        #expect(
            String(decoding: again, as: UTF8.self)
                == #"{"type":1,"invocationId":"7","target":"Send","arguments":["héllo",-5,2.5,true,null,[1,[2]],{"name":"Ada","age":36,"tags":["x"],"address":{"city":"London","zip":null},"born":"1815-12-10T00:00:00Z"},9007199254740993,1]}"#
                + "\u{1E}")
        // MessagePack-only values reach JSON as .NET renders them.
        let binary = try HubValue(
            rawMessagePack: ByteBuffer(bytes: hex("82 a1 62 c4 02 01 02 a1 74 d6 ff 00 00 00 01")))
        let text = try write(.completion(CompletionMessage(invocationId: "1", outcome: .result(binary))))
        #expect(text == frame(#"{"type":3,"invocationId":"1","result":{"b":"AQI=","t":"1970-01-01T00:00:01Z"}}"#))
        let fromText = try #require(try parse(String(decoding: text.dropLast(), as: UTF8.self)))
        guard case .completion(let completion) = fromText else {
            Issue.record("not a completion")
            return
        }
        let decoded = try #require(try completion.result?.decode(BinaryAndDate.self))
        #expect(decoded.b == Data([1, 2]) && decoded.t == Date(timeIntervalSince1970: 1))
    }

    @Test("a value JSON cannot hold fails the JSON write, and nothing is written")
    func unwritableInJSON() throws {
        let value = try HubValue(rawMessagePack: ByteBuffer(bytes: hex("d4 05 00")))
        var buffer = ByteBuffer(bytes: [1])
        #expect {
            try json.writeMessage(.streamItem(StreamItemMessage(invocationId: "1", item: value)), into: &buffer)
        } throws: { error in
            let error = error as? HubProtocolError
            return error?.code == .unsupportedValueFormat
                && error?.message == "A MessagePack extension of type 5 cannot be written as JSON."
        }
        #expect(array(buffer) == [1])
        // The same value goes to MessagePack connections unchanged.
        #expect(
            try writePack(.streamItem(StreamItemMessage(invocationId: "1", item: value)))
                == hex("08 94 02 80 a1 31 d4 05 00"))
    }

    @Test("SerializedHubMessage caches one serialization per protocol, transcoding raw values once")
    func serializedForBoth() throws {
        let received = try #require(try parse(#"{"type":1,"target":"Send","arguments":["hello"]}"#))
        let serialized = SerializedHubMessage(received)
        let packed = try serialized.serialized(for: messagePack)
        let text = try serialized.serialized(for: json)
        #expect(array(packed) == messagePackFrameVectors[0].wire)
        #expect(array(text) == specFrameVectors[0].wire)
        #expect(serialized.cachedSerialization(forProtocolNamed: "messagepack") == packed)
        #expect(serialized.cachedSerialization(forProtocolNamed: "json") == text)
        #expect(try serialized.serialized(for: MessagePackHubProtocol()) == packed)
    }
}

/// `[1,[2]]`'s elements: an integer or an array of integers.
enum AnyNested: Decodable {
    case int(Int)
    case ints([Int])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let int = try? container.decode(Int.self) {
            self = .int(int)
        } else {
            self = .ints(try container.decode([Int].self))
        }
    }
}

struct BinaryAndDate: Decodable {
    var b: Data
    var t: Date
}
