import Foundation
import HubProtocol
import NIOCore
import Testing

/// Runs tools/signalr-json-interop.py (signalrcore's JSON hub protocol, from PyPI; CI installs it).
enum PythonInterop {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("tools/signalr-json-interop.py").path

    /// Runs `script` (by default the JSON one) with `command`, feeding `input`; its stdout, or `nil`
    /// when it failed.
    static func run(_ command: String, input: [UInt8] = [], script: String = script) -> [UInt8]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, command]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return nil
        }
        stdin.fileHandleForWriting.write(Data(input))
        try? stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? Array(output) : nil
    }

    /// ``run(_:input:script:)`` on a Dispatch thread: waiting for Python must not block one of the
    /// few threads every other test's tasks share.
    static func runOffPool(_ command: String, input: [UInt8] = [], script: String = script) async -> [UInt8]? {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: run(command, input: input, script: script)) }
        }
    }

    static let isAvailable: Bool = {
        let available = run("check") != nil
        if !available {
            print(
                "skipped: Python interop needs python3 with signalrcore (pip install signalrcore; .ci/run installs it)")
        }
        return available
    }()
}

@Suite(
    "Interop with signalrcore (Python)",
    .enabled(
        if: PythonInterop.isAvailable,
        "needs python3 and the signalrcore package (python3 -m pip install signalrcore; CI installs it)"))
struct PythonInteropTests {
    @Test("messages Python encodes are read correctly")
    func readsPythonMessages() async throws {
        let input = try #require(await PythonInterop.runOffPool("encode"))
        var buffer = ByteBuffer(bytes: input)
        var decoder = HubMessageDecoder(hubProtocol: json)
        var messages: [HubMessage] = []
        while let message = try decoder.next(&buffer) { messages.append(message) }
        #expect(buffer.readableBytes == 0)
        #expect(
            messages.map(canonical) == [
                #"invocation headers=kéy=väl,traceparent=00-abc-01 id=1 target=Send args=["hello",42,2.5,true,null,[1, 2, 3],{"name": "Ada", "age": 36, "tags": ["x"], "address": {"city": "London", "zip": null}, "born": "1815-12-10T00:00:00Z"},"caf\u00e9 \ud83d\ude00 \"q\" \\ / \n\t\u0001"] streams=[]"#,
                "invocation id=- target=Fire args=[] streams=[]",
                #"invocation id=- target=Upload args=["a"] streams=["s1", "s2"]"#,
                "streamInvocation id=2 target=Counter args=[10,500] streams=[]",
                #"streamItem id=s1 item={"i": 1}"#,
                "streamItem id=s1 item=null",
                "completion id=1 result=42",
                "completion id=3 result=null",
                "completion id=s1 void",
                "cancel id=2",
                "ping",
                // signalrcore writes `allow_reconnect`, which is not the protocol's name: ignored.
                "close error=bye allowReconnect=false",
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
            .ack(sequenceId: 1394),
            .sequence(sequenceId: 7),
        ]
        var input = ByteBuffer()
        for message in messages { try json.writeMessage(message, into: &input) }
        let output = try #require(await PythonInterop.runOffPool("decode", input: array(input)))
        let decoded = try #require(try JSONSerialization.jsonObject(with: Data(output)) as? [String: Any])
        #expect(decoded["count"] as? Int == messages.count)
        let records = try #require(decoded["messages"] as? [[String: Any]])
        try #require(records.count == messages.count)
        let parsed = records.map { $0["message"] as? [String: Any] ?? [:] }
        let raw = records.map { $0["raw"] as? [String: Any] ?? [:] }

        #expect(parsed.map { $0["type"] as? Int } == messages.map(\.typeID))
        #expect(parsed[0]["invocation_id"] as? String == "1")
        #expect(parsed[0]["target"] as? String == "Send")
        #expect(parsed[0]["headers"] as? [String: String] == ["traceparent": "00-abc-01"])
        let args = try #require(parsed[0]["arguments"] as? [Any])
        #expect(args.count == 5)
        #expect(args[0] as? String == "héllo 😀 \"q\" \\ / \n\u{1}")
        #expect(args[1] as? Int == 42)
        #expect(args[2] as? Double == 2.5)
        #expect(args[3] is NSNull)
        let person = try #require(args[4] as? [String: Any])
        #expect(person["name"] as? String == "Ada")
        #expect(person["tags"] as? [String] == ["math", "poetry"])
        #expect(person["born"] as? String == "1815-12-10T00:00:00Z")
        #expect(raw[0]["streamIds"] as? [String] == ["s1"])
        #expect(parsed[1]["invocation_id"] is NSNull && raw[1]["invocationId"] == nil)
        #expect(parsed[1]["target"] as? String == "Fire")
        #expect(parsed[2]["invocation_id"] as? String == "2")
        #expect(parsed[2]["arguments"] as? [Int] == [10])
        #expect(parsed[3]["item"] as? [String: Int] == ["a": 1])
        #expect(parsed[4]["item"] is NSNull && raw[4].keys.contains("item"))
        #expect(parsed[5]["result"] as? String == "1970-01-01T00:00:01.5Z")
        #expect(parsed[6]["error"] as? String == "It failed: ünïcödé")
        #expect(raw[6]["result"] == nil)
        #expect(raw[7].keys.sorted() == ["invocationId", "type"])
        #expect(parsed[8]["invocation_id"] as? String == "2")
        #expect(raw[9].keys.sorted() == ["type"])
        #expect(parsed[10]["error"] as? String == "Connection closed with an error.")
        #expect(raw[10]["allowReconnect"] as? Bool == true)
        #expect(parsed[11]["sequence_id"] as? Int == 1394)
        #expect(parsed[12]["sequence_id"] as? Int == 7)
    }
}
