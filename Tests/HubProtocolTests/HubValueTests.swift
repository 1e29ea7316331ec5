import Foundation
import NIOCore
import Testing

@testable import HubProtocol

struct Person: Codable, Equatable, Sendable {
    struct Address: Codable, Equatable, Sendable {
        var city: String
        var zip: String?
    }

    var name: String
    var age: Int
    var tags: [String]
    var address: Address
    var born: Date
}

@Suite("Values")
struct HubValueTests {
    private func arguments(_ json: String) throws -> HubArguments {
        guard case .invocation(let m)? = try parse(#"{"type":1,"target":"T","arguments":"# + json + "}") else {
            throw HubProtocolError(.unexpectedToken, "not an invocation")
        }
        return m.arguments
    }

    @Test("arguments decode into Swift types, once, from their raw slices")
    func decodesArguments() throws {
        let args = try arguments(
            #"""
            ["text", -42, 2.5, true, null, 7, [1,2,3], {"name":"Ada","age":36,"tags":["x"],"address":{"city":"London","zip":null},"born":"1815-12-10T00:00:00Z"}, "2024-02-29T12:34:56.789Z", "caf\u00e9 \ud83d\ude00 \"q\" \\ \/", 1e2, 9007199254740993]
            """#)
        #expect(args.count == 12)
        #expect(try args.decode(String.self, at: 0) == "text")
        #expect(try args.decode(Int.self, at: 1) == -42)
        #expect(try args.decode(Double.self, at: 2) == 2.5)
        #expect(try args.decode(Bool.self, at: 3) == true)
        #expect(try args.decode(Int?.self, at: 4) == nil)
        #expect(try args.decode(String?.self, at: 4) == nil)
        #expect(try args.decode(Int?.self, at: 5) == 7)
        #expect(try args.decode([Int].self, at: 6) == [1, 2, 3])
        let ada = try args.decode(Person.self, at: 7)
        #expect(ada.name == "Ada" && ada.age == 36 && ada.tags == ["x"])
        #expect(ada.address == Person.Address(city: "London", zip: nil))
        #expect(ada.born == Date(timeIntervalSince1970: -4_861_728_000))
        let date = try args.decode(Date.self, at: 8)
        #expect(abs(date.timeIntervalSince1970 - 1_709_210_096.789) < 1e-6)
        #expect(try args.decode(String.self, at: 9) == "café 😀 \"q\" \\ /")
        #expect(try args.decode(Double.self, at: 10) == 100)
        #expect(try args.decode(Int.self, at: 10) == 100)  // JSONDecoder accepts an integral 1e2
        #expect(try args.decode(Int.self, at: 11) == 9_007_199_254_740_993)
        #expect(args[4].isNull && !args[5].isNull)
        #expect(args[0].format == .json)
        #expect(args[1].rawBytes.map(array) == bytes("-42"))
    }

    @Test("Swift values written by JSONHubProtocol decode back into the same values")
    func roundTripsSwiftValues() throws {
        let person = Person(
            name: "Zoë \"Z\" \\ 😀", age: -1, tags: ["a/b", ""], address: .init(city: "Zürich", zip: "8000"),
            born: Date(timeIntervalSince1970: 1_709_210_096.25))
        let date = Date(timeIntervalSince1970: 1_234_567_890.123456)
        let message = HubMessage.invocation(
            InvocationMessage(
                headers: ["h": "\u{1}"], invocationId: "1", target: "T",
                arguments: [
                    HubValue("tab\t nl\n é"), HubValue(Int.min), HubValue(-0.000123), HubValue(false),
                    HubValue(Optional<Int>.none), HubValue(Optional(5)), HubValue(["x", "y"]), HubValue(person),
                    HubValue(date), HubValue(1e300), HubValue([String: [Int]]()),
                ],
                streamIds: ["s"]))
        var buffer = try json.serialize(message)
        var decoder = HubMessageDecoder(hubProtocol: json)
        guard case .invocation(let read)? = try decoder.next(&buffer) else {
            Issue.record("not an invocation")
            return
        }
        let args = read.arguments
        #expect(read.headers == ["h": "\u{1}"] && read.streamIds == ["s"] && read.invocationId == "1")
        #expect(try args.decode(String.self, at: 0) == "tab\t nl\n é")
        #expect(try args.decode(Int.self, at: 1) == Int.min)
        #expect(try args.decode(Double.self, at: 2) == -0.000123)
        #expect(try args.decode(Bool.self, at: 3) == false)
        #expect(try args.decode(Int?.self, at: 4) == nil)
        #expect(try args.decode(Int?.self, at: 5) == 5)
        #expect(try args.decode([String].self, at: 6) == ["x", "y"])
        #expect(try args.decode(Person.self, at: 7) == person)
        #expect(abs(try args.decode(Date.self, at: 8).timeIntervalSince(date)) < 1e-6)
        #expect(try args.decode(Double.self, at: 9) == 1e300)
        #expect(try args.decode([String: [Int]].self, at: 10).isEmpty)
    }

    @Test("a mismatched type or index throws, never traps")
    func decodingErrors() throws {
        let args = try arguments(#"["text", 1.5, {"name":1}]"#)
        #expect {
            _ = try args.decode(Int.self, at: 0)
        } throws: { ($0 as? HubProtocolError)?.code == .valueDecodingFailed }
        #expect {
            _ = try args.decode(Int.self, at: 1)
        } throws: { ($0 as? HubProtocolError)?.code == .valueDecodingFailed }
        #expect {
            _ = try args.decode(Person.self, at: 2)
        } throws: { ($0 as? HubProtocolError)?.code == .valueDecodingFailed }
        #expect {
            _ = try args.decode(String.self, at: 3)
        } throws: { ($0 as? HubProtocolError)?.code == .argumentIndexOutOfRange }
        #expect {
            _ = try args.decode(String.self, at: -1)
        } throws: { ($0 as? HubProtocolError)?.code == .argumentIndexOutOfRange }
    }

    @Test(
        "ISO-8601 dates with or without fractional seconds and offsets",
        arguments: [
            ("2024-02-29T12:34:56Z", 1_709_210_096.0),
            ("2024-02-29T12:34:56.5Z", 1_709_210_096.5),
            ("2024-02-29T12:34:56.1234567Z", 1_709_210_096.1234567),
            ("2024-02-29T14:34:56+02:00", 1_709_210_096.0),
            ("2024-02-29T10:04:56-0230", 1_709_210_096.0),
            ("2024-02-29T13:34:56.250+01", 1_709_210_096.25),
            ("2024-02-29T12:34:56", 1_709_210_096.0),
            ("2024-02-29T12:34", 1_709_210_040.0),
            ("2024-02-29", 1_709_164_800.0),
            ("1969-12-31T23:59:59.999Z", -0.001),
            ("0001-01-01T00:00:00Z", -62_135_596_800.0),
            ("9999-12-31T23:59:59Z", 253_402_300_799.0),
        ])
    func parsesDates(text: String, seconds: Double) throws {
        let date = try HubValue(rawJSON: "\"\(text)\"").decode(Date.self)
        #expect(abs(date.timeIntervalSince1970 - seconds) < 1e-6, "\(date.timeIntervalSince1970)")
    }

    @Test(
        "malformed dates are decoding errors",
        arguments: [
            "2023-02-29", "2024-13-01", "2024-01-32", "2024-01-01T24:00:00Z", "2024-01-01T10:60", "2024-01-01T10:00:61",
            "2024-01-01T10:00:00.Z", "2024-01-01T10:00:00X", "2024-1-01", "", "yesterday", "2024-01-01T10:00:00+2",
        ])
    func malformedDates(text: String) {
        #expect(throws: HubProtocolError.self) { try HubValue(rawJSON: "\"\(text)\"").decode(Date.self) }
    }

    @Test("dates are written as ISO-8601 UTC, with fractions only when present")
    func writesDates() throws {
        for (seconds, text) in [
            (0.0, "1970-01-01T00:00:00Z"), (0.5, "1970-01-01T00:00:00.5Z"), (-0.001, "1969-12-31T23:59:59.999Z"),
            (1_709_210_096.123456, "2024-02-29T12:34:56.123456Z"), (-62_135_596_800.0, "0001-01-01T00:00:00Z"),
        ] {
            var buffer = ByteBuffer()
            try JSONValueCoding.write(Date(timeIntervalSince1970: seconds), into: &buffer)
            #expect(String(buffer: buffer) == "\"\(text)\"")
        }
    }

    @Test("a Swift value decodes by cast, or through JSON")
    func swiftValues() throws {
        let person = Person(
            name: "Grace", age: 85, tags: [], address: .init(city: "NYC", zip: "10001"),
            born: Date(timeIntervalSince1970: -1_990_137_600))
        #expect(try HubValue(person).decode(Person.self) == person)
        #expect(try HubValue(3).decode(Double.self) == 3)
        #expect(try HubValue.null.decode(Int?.self) == nil)
        #expect(HubValue.null.isNull && HubValue(Optional<String>.none).isNull && !HubValue("").isNull)
        #expect(HubValue(3).format == nil && HubValue(3).rawBytes == nil)
    }

    @Test("raw JSON values are validated")
    func rawJSON() throws {
        #expect(try HubValue(rawJSON: "  [1, {\"a\": null}]\n").rawBytes.map(array) == bytes("[1, {\"a\": null}]"))
        for bad in [
            "", "[1,]", "{\"a\"}", "01", "1 2", "\"\\x\"", "tru", "[" + String(repeating: "[", count: 64) + "]",
        ] {
            #expect(throws: HubProtocolError.self, "\(bad)") { try HubValue(rawJSON: bad) }
        }
    }

    @Test("raw MessagePack values decode, and are transcoded into JSON messages")
    func messagePackValues() throws {
        let value = try HubValue(rawMessagePack: ByteBuffer(bytes: [0xA2, 0x68, 0x69]))
        #expect(value.format == .messagePack)
        #expect(try value.decode(String.self) == "hi")
        #expect(value.description == #""hi""#)
        #expect(
            try write(.streamItem(StreamItemMessage(invocationId: "1", item: value)))
                == frame(#"{"type":2,"invocationId":"1","item":"hi"}"#))
        #expect(try HubValue(rawMessagePack: ByteBuffer(bytes: [0xC0])).isNull)
        for bad: [UInt8] in [[], [0xC1], [0x92, 0x01], [0x01, 0x02]] {
            #expect(throws: HubProtocolError.self, "\(bad)") { try HubValue(rawMessagePack: ByteBuffer(bytes: bad)) }
        }
    }
}
