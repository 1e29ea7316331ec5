import Foundation
import HubProtocol
import NIOCore
import Testing

/// Runs tools/signalr-messagepack-interop.py (signalrcore's MessagePack hub protocol over
/// msgpack-python; CI installs both).
enum MessagePackPythonInterop {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("tools/signalr-messagepack-interop.py").path

    static func run(_ command: String, input: [UInt8] = []) async -> [UInt8]? {
        await PythonInterop.runOffPool(command, input: input, script: script)
    }

    static let isAvailable: Bool = {
        let available = PythonInterop.run("check", script: script) != nil
        if !available {
            print(
                "skipped: MessagePack interop needs python3 with signalrcore and msgpack (pip install signalrcore; .ci/run installs it)"
            )
        }
        return available
    }()

    /// Reads every message of `input`, which must be whole frames.
    static func messages(_ input: [UInt8]) throws -> [HubMessage] {
        var buffer = ByteBuffer(bytes: input)
        var decoder = HubMessageDecoder(hubProtocol: messagePack)
        var messages: [HubMessage] = []
        while let message = try decoder.next(&buffer) { messages.append(message) }
        #expect(buffer.readableBytes == 0)
        return messages
    }
}

@Suite(
    "Interop with signalrcore's MessagePack protocol (Python)",
    .enabled(
        if: MessagePackPythonInterop.isAvailable,
        "needs python3 with signalrcore and msgpack (python3 -m pip install signalrcore; CI installs it)"))
struct MessagePackInteropTests {
    @Test("messages Python encodes are read correctly")
    func readsPythonMessages() async throws {
        let messages = try MessagePackPythonInterop.messages(try #require(await MessagePackPythonInterop.run("encode")))
        #expect(
            messages.map(canonical) == [
                #"invocation headers=kéy=väl,traceparent=00-abc-01 id=1 target=Send args=["hello",42,2.5,true,null,[1,2,3],{"name":"Ada","age":36,"tags":["x"],"address":{"city":"London","zip":null},"born":"1815-12-10T00:00:00Z"},"café 😀 \"q\" \\ / \n\t\u0001","AAH/",-9223372036854775808,18446744073709551615,"2024-02-29T12:34:56.25Z",-0.5] streams=[]"#,
                "invocation id=- target=Fire args=[] streams=[]",
                #"invocation id=- target=Upload args=["a"] streams=["s1", "s2"]"#,
                "streamInvocation id=2 target=Counter args=[10,500] streams=[]",
                #"streamItem id=s1 item={"i":1}"#,
                "streamItem id=s1 item=null",
                "completion id=1 result=42",
                "completion id=3 result=null",
                "completion id=4 error=boom",
                "completion id=s1 void",
                "cancel id=2",
                "ping",
            ])
        guard case .invocation(let send) = messages[0] else {
            Issue.record("not an invocation")
            return
        }
        let args = send.arguments
        #expect(try args.decode(String.self, at: 0) == "hello")
        #expect(try args.decode(Int.self, at: 1) == 42)
        #expect(try args.decode(Double.self, at: 2) == 2.5)
        #expect(try args.decode(Bool.self, at: 3) == true)
        #expect(try args.decode(String?.self, at: 4) == nil)
        #expect(try args.decode([Int].self, at: 5) == [1, 2, 3])
        let ada = try args.decode(Person.self, at: 6)
        #expect(ada.name == "Ada" && ada.address.city == "London" && ada.address.zip == nil)
        #expect(ada.born == Date(timeIntervalSince1970: -4_861_728_000))
        #expect(try args.decode(String.self, at: 7) == "café 😀 \"q\" \\ / \n\t\u{1}")
        #expect(try args.decode(Data.self, at: 8) == Data([0, 1, 0xFF]))
        #expect(try args.decode(Int64.self, at: 9) == Int64.min)
        #expect(try args.decode(UInt64.self, at: 10) == UInt64.max)
        #expect(try args.decode(Date.self, at: 11) == Date(timeIntervalSince1970: 1_709_210_096.25))
        #expect(try args.decode(Double.self, at: 12) == -0.5)
    }

    @Test("what signalrcore's encoder gets wrong is refused, as ASP.NET Core refuses it")
    func refusesPythonBugs() async throws {
        let input = try #require(await MessagePackPythonInterop.run("encode-bugs"))
        var buffer = ByteBuffer(bytes: input)
        var frames = HubFrameDecoder(framing: .varIntLengthPrefix)
        var errors: [String] = []
        while let payload = try frames.nextFrame(&buffer) {
            do {
                _ = try messagePack.parseMessage(payload)
                errors.append("accepted")
            } catch {
                errors.append(error.message)
            }
        }
        #expect(
            errors == [
                "Invalid invocation result kind.",  // [3, {}, "1", 42]: no result kind
                "Missing required property 'resultKind'.",  // [3, {}, "s1"]
                "Reading 'target' as String failed.",  // [1, {}, "Upload", ["a"], ["s1"]]: no invocation id
                "Reading 'error' as String failed.",  // [7, {}]
                "Reading 'sequenceId' as Int64 failed.",  // [8, {}]
                "Reading 'sequenceId' as Int64 failed.",  // [9, {}]
            ])
    }

    @Test("messages we write are read correctly by Python")
    func pythonReadsOurMessages() async throws {
        let ada = Person(
            name: "Ada", age: 36, tags: ["math", "poetry"], address: .init(city: "London", zip: nil),
            born: Date(timeIntervalSince1970: -4_861_728_000))
        let messages: [HubMessage] = [
            .invocation(
                InvocationMessage(
                    headers: ["traceparent": "00-abc-01"], invocationId: "1", target: "Send",
                    arguments: [
                        HubValue("héllo 😀 \"q\" \\ / \n\u{1}"), HubValue(42), HubValue(2.5), .null, HubValue(ada),
                        HubValue(Data([0, 1, 0xFF])), HubValue(Int64.min), HubValue(UInt64.max),
                    ],
                    streamIds: ["s1"])),
            .invocation(InvocationMessage(target: "Fire", arguments: [])),
            .streamInvocation(StreamInvocationMessage(invocationId: "2", target: "Counter", arguments: [HubValue(10)])),
            .streamItem(StreamItemMessage(invocationId: "2", item: HubValue(["a": 1]))),
            .streamItem(StreamItemMessage(invocationId: "2", item: .null)),
            .completion(
                CompletionMessage(invocationId: "1", outcome: .result(HubValue(Date(timeIntervalSince1970: 1.5))))),
            .completion(CompletionMessage(invocationId: "1", outcome: .error("It failed: ünïcödé"))),
            .completion(CompletionMessage(invocationId: "2")),
            .cancelInvocation(CancelInvocationMessage(invocationId: "2")),
            .ping,
            .close(CloseMessage(error: "Connection closed with an error.", allowReconnect: true)),
            .close(CloseMessage()),
            .ack(sequenceId: 1394),
            .sequence(sequenceId: 7),
        ]
        var input = ByteBuffer()
        for message in messages { try messagePack.writeMessage(message, into: &input) }
        let output = try #require(await MessagePackPythonInterop.run("decode", input: array(input)))
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(output)) as? [String: Any])
        let records = try #require(decoded["messages"] as? [[String: Any]])
        try #require(records.count == messages.count)
        // signalrcore's parse_messages stops at the first frame it cannot parse: the Sequence, last.
        #expect(decoded["whole_stream_count"] as? Int == messages.count - 1)
        let parsed = records.map { $0["message"] as? [String: Any] ?? [:] }
        let raw = records.map { $0["raw"] as? [Any] ?? [] }
        let errors = records.map { $0["error"] as? String }

        // msgpack-python reads every frame; it sees .NET's layouts.
        #expect(raw.map { $0.first as? Int } == messages.map(\.typeID))
        #expect(raw.map(\.count) == [6, 6, 6, 4, 4, 5, 5, 4, 3, 1, 3, 3, 2, 2])
        // signalrcore parses every frame but the Sequence (its bug: type 9 is tested as 7; the
        // exception is swallowed by parse_messages, which returns nothing).
        #expect(errors.prefix(13).allSatisfy { $0 == nil })
        #expect(errors[13] == "parse_messages returned nothing")
        #expect(parsed.prefix(13).map { $0["type"] as? Int } == messages.prefix(13).map(\.typeID))

        // An invocation with stream ids: signalrcore drops its id (its bug), msgpack-python sees it.
        #expect(parsed[0]["class"] as? String == "InvocationClientStreamMessage")
        #expect(raw[0][2] as? String == "1")
        #expect(parsed[0]["target"] as? String == "Send")
        #expect(parsed[0]["headers"] as? [String: String] == ["traceparent": "00-abc-01"])
        #expect(parsed[0]["stream_ids"] as? [String] == ["s1"])
        let args = try #require(parsed[0]["arguments"] as? [Any])
        #expect(args.count == 8)
        #expect(args[0] as? String == "héllo 😀 \"q\" \\ / \n\u{1}")
        #expect(args[1] as? Int == 42)
        #expect(args[2] as? Double == 2.5)
        #expect(args[3] is NSNull)
        let person = try #require(args[4] as? [String: Any])
        #expect(person["name"] as? String == "Ada")
        #expect(person["tags"] as? [String] == ["math", "poetry"])
        #expect(person["born"] as? [String: [Int]] == ["$ts": [-4_861_728_000, 0]])  // a timestamp
        #expect(person.keys.contains("address"))
        #expect(args[5] as? [String: String] == ["$bin": "AAH/"])  // bin
        #expect((args[6] as? NSNumber)?.int64Value == Int64.min)
        #expect(args[7] as? [String: String] == ["$uint": "18446744073709551615"])

        #expect(parsed[1]["class"] as? String == "InvocationMessage")
        #expect(parsed[1]["invocation_id"] is NSNull && raw[1][2] is NSNull)
        #expect(parsed[1]["target"] as? String == "Fire")
        #expect(parsed[2]["invocation_id"] as? String == "2")
        #expect(parsed[2]["arguments"] as? [Int] == [10])
        #expect(parsed[3]["item"] as? [String: Int] == ["a": 1])
        #expect(parsed[4]["item"] is NSNull)
        #expect(parsed[5]["result"] as? [String: [Int]] == ["$ts": [1, 500_000_000]])
        #expect(raw[5][3] as? Int == 3)
        #expect(parsed[6]["error"] as? String == "It failed: ünïcödé")
        #expect(raw[6][3] as? Int == 1)
        #expect(parsed[7]["result"] is NSNull && parsed[7]["error"] is NSNull && raw[7][3] as? Int == 2)
        #expect(parsed[8]["invocation_id"] as? String == "2")
        #expect(parsed[10]["error"] as? String == "Connection closed with an error.")
        #expect(parsed[10]["allow_reconnect"] as? Bool == true)
        #expect(parsed[11]["error"] is NSNull && parsed[11]["allow_reconnect"] as? Bool == false)
        #expect(parsed[12]["sequence_id"] as? Int == 1394)
        #expect(raw[13][1] as? Int == 7)
    }
}
