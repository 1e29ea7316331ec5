import HubProtocol
import NIOCore
import Testing

/// One message as a list of JSON members, and what it reads as.
struct MemberVector: Sendable, CustomTestStringConvertible {
    var members: [String]
    var parsed: String
    var testDescription: String { parsed }
}

let memberVectors: [MemberVector] = [
    MemberVector(
        members: [
            #""type":1"#, #""headers":{"a":"1","b":"2"}"#, #""invocationId":"42""#, #""target":"Send""#,
            #""arguments":[1,"two",{"three":[3]},null]"#, #""streamIds":["x","y"]"#,
        ],
        parsed: #"invocation headers=a=1,b=2 id=42 target=Send args=[1,"two",{"three":[3]},null] streams=["x", "y"]"#),
    MemberVector(
        members: [#""type":4"#, #""invocationId":"s""#, #""target":"Stream""#, #""arguments":[]"#],
        parsed: "streamInvocation id=s target=Stream args=[] streams=[]"),
    MemberVector(
        members: [#""type":2"#, #""invocationId":"s""#, #""item":{"k":[true,false]}"#],
        parsed: #"streamItem id=s item={"k":[true,false]}"#),
    MemberVector(
        members: [#""type":3"#, #""invocationId":"c""#, #""result":null"#],
        parsed: "completion id=c result=null"),
    MemberVector(
        members: [#""type":3"#, #""invocationId":"c""#, #""error":"boom""#, #""headers":{}"#],
        parsed: "completion id=c error=boom"),
    MemberVector(
        members: [#""type":5"#, #""invocationId":"c""#],
        parsed: "cancel id=c"),
    MemberVector(
        members: [#""type":7"#, #""error":"bye""#, #""allowReconnect":true"#],
        parsed: "close error=bye allowReconnect=true"),
    MemberVector(members: [#""type":8"#, #""sequenceId":9007199254740993"#], parsed: "ack 9007199254740993"),
    MemberVector(members: [#""type":9"#, #""sequenceId":0"#], parsed: "sequence 0"),
]

@Suite("JSON reading")
struct JSONReadingTests {
    /// Every order of the members (up to 720), and each with unknown members mixed in.
    @Test("members in any order, with unknown members and whitespace", arguments: memberVectors)
    func anyOrder(vector: MemberVector) throws {
        let unknown = [
            #""Type":99"#, #""extra":{"nested":[1,{"deep":"\u0041"}],"n":-1.5e-3}"#, #""arguments2":null"#,
        ]
        var generator = SeededGenerator(seed: 1)
        for permutation in permutations(vector.members) {
            #expect(canonical(try parse("{" + permutation.joined(separator: ",") + "}")) == vector.parsed)
            var mixed = permutation + unknown
            mixed.shuffle(using: &generator)
            // Whitespace around the envelope's own colons and commas; values keep their text.
            let spaced = " \n{ " + mixed.map(spaceAfterName).joined(separator: " ,\r\n ") + " } \n"
            #expect(canonical(try parse(spaced)) == vector.parsed, "\(spaced)")
        }
    }

    private func spaceAfterName(_ member: String) -> String {
        guard let colon = member.range(of: "\":") else { return member }
        return member.replacingCharacters(in: colon, with: "\" :\t")
    }

    private func permutations(_ items: [String]) -> [[String]] {
        guard items.count > 1 else { return [items] }
        var out: [[String]] = []
        for (i, item) in items.enumerated() {
            var rest = items
            rest.remove(at: i)
            for tail in permutations(rest) { out.append([item] + tail) }
        }
        return out
    }

    @Test("names are case-sensitive; escaped names still match")
    func names() throws {
        #expect(canonical(try parse(#"{"t\u0079pe":6}"#)) == "ping")
        #expect(
            canonical(try parse(#"{"type":3,"invocationI\u0064":"x","re\u0073ult":1}"#)) == "completion id=x result=1")
        #expect(throws: HubProtocolError.missingProperty("type")) { try parse(#"{"Type":6}"#) }
        #expect(throws: HubProtocolError.missingProperty("target")) {
            try parse(#"{"type":1,"Target":"x","arguments":[]}"#)
        }
    }

    @Test("the last of duplicate members wins; headers are ignored on types 6–9")
    func duplicates() throws {
        #expect(canonical(try parse(#"{"type":1,"type":6}"#)) == "ping")
        #expect(
            canonical(try parse(#"{"type":2,"invocationId":"a","item":1,"item":2,"invocationId":"b"}"#))
                == "streamItem id=b item=2")
        #expect(try parse(#"{"type":6,"headers":{"a":"b"}}"#)?.headers == [:])
    }

    @Test("unicode and escapes in the strings the reader keeps")
    func strings() throws {
        let message = try parse(
            #"{"type":1,"headers":{"k\u00e9y":"v\u00e4l\n"},"invocationId":"\ud83d\ude00","target":"h\u00e9llo \"w\" \\ \/ \b\f\n\r\t","arguments":["caf\u00e9"],"streamIds":["\u4e2d\u6587"]}"#
        )
        guard case .invocation(let m)? = message else {
            Issue.record("not an invocation")
            return
        }
        #expect(m.headers == ["kéy": "väl\n"])
        #expect(m.invocationId == "😀")
        #expect(m.target == "héllo \"w\" \\ / \u{8}\u{c}\n\r\t")
        #expect(m.streamIds == ["中文"])
        #expect(try m.arguments.decode(String.self, at: 0) == "café")
        // Raw UTF-8 is kept as it came.
        guard case .invocation(let raw)? = try parse(#"{"type":1,"target":"日本","arguments":["ü😀"]}"#) else {
            Issue.record("not an invocation")
            return
        }
        #expect(raw.target == "日本")
        #expect(raw.arguments[0].rawBytes.map(array) == bytes("\"ü😀\""))
    }

    @Test("null invocationId and error count as absent; an empty invocationId is none")
    func lenientNulls() throws {
        #expect(
            canonical(try parse(#"{"type":1,"invocationId":null,"target":"T","arguments":[]}"#))
                == "invocation id=- target=T args=[] streams=[]")
        #expect(
            canonical(try parse(#"{"type":1,"invocationId":"","target":"T","arguments":[]}"#))
                == "invocation id=- target=T args=[] streams=[]")
        #expect(
            canonical(try parse(#"{"type":3,"invocationId":"1","result":42,"error":null}"#))
                == "completion id=1 result=42")
        #expect(canonical(try parse(#"{"type":7,"error":null}"#)) == "close error=- allowReconnect=false")
    }

    @Test("unknown message types are skipped", arguments: [0, -1, 10, 99, 2_147_483_647])
    func unknownTypes(type: Int) throws {
        #expect(try parse("{\"type\":\(type),\"whatever\":[1]}") == nil)
        let input = frame("{\"type\":\(type)}") + frame(#"{"type":6}"#) + frame("{\"type\":\(type)}")
        #expect(feed([input[...]]).messages == ["ping"])
        #expect(feed([input[...]]).leftover == [])
    }

    struct ErrorVector: Sendable, CustomTestStringConvertible {
        var json: String
        var code: HubProtocolError.Code
        var message: String
        var testDescription: String { json }
    }

    static let errorVectors: [ErrorVector] = [
        ErrorVector(
            json: #"{"type":1,"arguments":[]}"#, code: .missingProperty, message: "Missing required property 'target'."),
        ErrorVector(
            json: #"{"type":1,"target":"","arguments":[]}"#, code: .missingProperty,
            message: "Missing required property 'target'."),
        ErrorVector(
            json: #"{"type":1,"target":"T"}"#, code: .missingProperty, message: "Missing required property 'arguments'."
        ),
        ErrorVector(json: #"{"type":1}"#, code: .missingProperty, message: "Missing required property 'target'."),
        ErrorVector(
            json: #"{"type":4,"target":"T","arguments":[]}"#, code: .missingProperty,
            message: "Missing required property 'invocationId'."),
        ErrorVector(
            json: #"{"type":4,"invocationId":"1","arguments":[]}"#, code: .missingProperty,
            message: "Missing required property 'target'."),
        ErrorVector(
            json: #"{"type":4,"invocationId":"1","target":"T"}"#, code: .missingProperty,
            message: "Missing required property 'arguments'."),
        ErrorVector(
            json: #"{"type":2,"item":1}"#, code: .missingProperty, message: "Missing required property 'invocationId'."),
        ErrorVector(
            json: #"{"type":2,"invocationId":"1"}"#, code: .missingProperty,
            message: "Missing required property 'item'."),
        ErrorVector(json: #"{"type":3}"#, code: .missingProperty, message: "Missing required property 'invocationId'."),
        ErrorVector(
            json: #"{"type":3,"invocationId":""}"#, code: .missingProperty,
            message: "Missing required property 'invocationId'."),
        ErrorVector(
            json: #"{"type":3,"invocationId":"1","error":"e","result":null}"#, code: .errorAndResult,
            message: "The 'error' and 'result' properties are mutually exclusive."),
        ErrorVector(json: #"{"type":5}"#, code: .missingProperty, message: "Missing required property 'invocationId'."),
        ErrorVector(json: #"{"type":8}"#, code: .missingProperty, message: "Missing required property 'sequenceId'."),
        ErrorVector(
            json: #"{"type":9,"sequenceId":null}"#, code: .missingProperty,
            message: "Missing required property 'sequenceId'."),
        ErrorVector(json: #"{}"#, code: .missingProperty, message: "Missing required property 'type'."),
        ErrorVector(
            json: #"{"target":"T","arguments":[]}"#, code: .missingProperty,
            message: "Missing required property 'type'."),
        ErrorVector(
            json: #"{"type":"1"}"#, code: .invalidPropertyType, message: "Expected 'type' to be of type Number."),
        ErrorVector(
            json: #"{"type":null}"#, code: .invalidPropertyType, message: "Expected 'type' to be of type Number."),
        ErrorVector(
            json: #"{"type":1.0}"#, code: .invalidPropertyType, message: "Expected 'type' to be of type Number."),
        ErrorVector(
            json: #"{"type":2147483648}"#, code: .invalidPropertyType, message: "Expected 'type' to be of type Number."),
        ErrorVector(
            json: #"{"type":8,"sequenceId":"1"}"#, code: .invalidPropertyType,
            message: "Expected 'sequenceId' to be of type Number."),
        ErrorVector(
            json: #"{"type":1,"target":5,"arguments":[]}"#, code: .invalidPropertyType,
            message: "Expected 'target' to be of type String."),
        ErrorVector(
            json: #"{"type":2,"invocationId":1,"item":1}"#, code: .invalidPropertyType,
            message: "Expected 'invocationId' to be of type String."),
        ErrorVector(
            json: #"{"type":1,"target":"T","arguments":{}}"#, code: .invalidPropertyType,
            message: "Expected 'arguments' to be of type Array."),
        ErrorVector(
            json: #"{"type":1,"target":"T","arguments":[],"streamIds":"s"}"#, code: .invalidPropertyType,
            message: "Expected 'streamIds' to be of type Array."),
        ErrorVector(
            json: #"{"type":1,"target":"T","arguments":[],"streamIds":[null]}"#, code: .invalidPropertyType,
            message: "Null value for 'streamIds' is not valid."),
        ErrorVector(
            json: #"{"type":1,"target":"T","arguments":[],"streamIds":[1]}"#, code: .invalidPropertyType,
            message: "Expected 'streamIds' to be an array of strings."),
        ErrorVector(
            json: #"{"type":1,"headers":[],"target":"T","arguments":[]}"#, code: .invalidPropertyType,
            message: "Expected 'headers' to be of type StartObject."),
        ErrorVector(
            json: #"{"type":1,"headers":{"a":1},"target":"T","arguments":[]}"#, code: .invalidPropertyType,
            message: "Expected header 'a' to be of type String."),
        ErrorVector(
            json: #"{"type":7,"allowReconnect":"yes"}"#, code: .invalidPropertyType,
            message: "Expected 'allowReconnect' to be true or false."),
        ErrorVector(
            json: #"{"type":7,"error":false}"#, code: .invalidPropertyType,
            message: "Expected 'error' to be of type String."),
        ErrorVector(
            json: #"[1]"#, code: .unexpectedToken,
            message: "Unexpected JSON Token Type 'Array'. Expected a JSON Object."),
        ErrorVector(
            json: #""x""#, code: .unexpectedToken,
            message: "Unexpected JSON Token Type 'String'. Expected a JSON Object."),
        ErrorVector(
            json: #"6"#, code: .unexpectedToken, message: "Unexpected JSON Token Type 'Number'. Expected a JSON Object."
        ),
        ErrorVector(
            json: #"null"#, code: .unexpectedToken,
            message: "Unexpected JSON Token Type 'Null'. Expected a JSON Object."),
        ErrorVector(json: "", code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: "   ", code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{"type":6"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{"type":6,}"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{"type":6}}"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{"type":6} x"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{'type':6}"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{"type":06}"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{"type":6,"x":01}"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{"type":6,"x":1.}"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{"type":6,"x":.5}"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{"type":6,"x":1e}"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{"type":6,"x":+1}"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{"type":6,"x":NaN}"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{"type":6,"x":tru}"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{"type":6,"x":"\x"}"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{"type":6,"x":"\u12"}"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{"type":6,"x":"\ud83d"}"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{"type":6,"x":"\ude00"}"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{"type":6,"x":"\ud83d\u0041"}"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: "{\"type\":6,\"x\":\"a\tb\"}", code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{"type":6,"x":[1,2}"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{"type":6,"x":{"a" 1}}"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{"type":6,"x":{1:2}}"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{"type":6 "x":1}"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(json: #"{type:6}"#, code: .invalidJSON, message: "Error reading JSON."),
        ErrorVector(
            json: #"{"type":6,"x":"# + String(repeating: "[", count: 64) + String(repeating: "]", count: 64) + "}",
            code: .invalidJSON, message: "Error reading JSON."),
    ]

    @Test("each reader error has its code and text", arguments: errorVectors)
    func errors(vector: ErrorVector) {
        #expect {
            _ = try parse(vector.json)
        } throws: { error in
            guard let error = error as? HubProtocolError else { return false }
            return error.code == vector.code && error.message == vector.message
        }
    }

    @Test(
        "invalid UTF-8 inside strings is refused",
        arguments: [
            [0xC0, 0x80], [0xC3], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF8], [0x80],
            [0xFF],
            [0xE2, 0x82], [0xF0, 0x9F, 0x98],
        ] as [[UInt8]])
    func invalidUTF8(sequence: [UInt8]) {
        let input = bytes(#"{"type":1,"target":""#) + sequence + bytes(#"","arguments":[]}"#)
        #expect {
            _ = try json.parseMessage(ByteBuffer(bytes: input))
        } throws: { ($0 as? HubProtocolError)?.code == .invalidJSON }
        let inArgument = bytes(#"{"type":1,"target":"T","arguments":[""#) + sequence + bytes(#""]}"#)
        #expect(throws: HubProtocolError.self) { try json.parseMessage(ByteBuffer(bytes: inArgument)) }
    }

    @Test("nesting: 64 levels pass (the message object counts), 65 fail")
    func depth() throws {
        // The message object is level 1, the arguments array level 2, so 62 more levels fit.
        let fits =
            #"{"type":1,"target":"T","arguments":["# + String(repeating: "[", count: 62)
            + String(repeating: "]", count: 62) + "]}"
        let parsed = try parse(fits)
        #expect(parsed != nil)
        let tooDeep =
            #"{"type":1,"target":"T","arguments":["# + String(repeating: "[", count: 63)
            + String(repeating: "]", count: 63) + "]}"
        #expect(throws: HubProtocolError.self) { try parse(tooDeep) }
        #expect(try JSONHubProtocol(maximumDepth: 200).parseMessage(ByteBuffer(string: tooDeep)) != nil)
    }

    // MARK: Streams

    static let streamInput: [UInt8] = [
        #"{"type":1,"headers":{"h":"v"},"invocationId":"1","target":"Send","arguments":["a\u001eb",{"x":[1,2]}],"streamIds":["s"]}"#,
        #"{"type":2,"invocationId":"s","item":null}"#,
        #"{"type":42,"future":true}"#,
        #"{"type":3,"invocationId":"s"}"#,
        #"{"type":3,"invocationId":"1","result":"ok"}"#,
        #"{"type":3,"invocationId":"2","error":"bad"}"#,
        #"{"type":4,"invocationId":"3","target":"Count","arguments":[3]}"#,
        #"{"type":5,"invocationId":"3"}"#,
        #"{"type":6}"#,
        #"{"type":7,"error":"x","allowReconnect":true}"#,
        #"{"type":8,"sequenceId":5}"#,
        #"{"type":9,"sequenceId":6}"#,
    ].flatMap(frame)

    static let streamMessages = [
        #"invocation headers=h=v id=1 target=Send args=["a\u001eb",{"x":[1,2]}] streams=["s"]"#,
        "streamItem id=s item=null",
        "completion id=s void",
        #"completion id=1 result="ok""#,
        "completion id=2 error=bad",
        "streamInvocation id=3 target=Count args=[3] streams=[]",
        "cancel id=3",
        "ping",
        "close error=x allowReconnect=true",
        "ack 5",
        "sequence 6",
    ]

    @Test("every split of a multi-message input yields the same messages")
    func everySplitMessages() {
        for (label, outcome) in everySplit(Self.streamInput) {
            #expect(outcome.messages == Self.streamMessages, "\(label)")
            #expect(outcome.error == nil && outcome.leftover.isEmpty, "\(label): \(outcome)")
        }
    }

    @Test("maximum size through the message decoder: the largest frame at limit-1, limit, limit+1")
    func messageDecoderLimit() {
        let largest = frame(
            #"{"type":1,"headers":{"h":"v"},"invocationId":"1","target":"Send","arguments":["a\u001eb",{"x":[1,2]}],"streamIds":["s"]}"#
        ).count
        for limit in [largest - 1, largest, largest + 1] {
            for (label, outcome) in everySplit(Self.streamInput, maximumMessageSize: limit) {
                if limit >= largest {
                    #expect(outcome.messages == Self.streamMessages, "limit \(limit), \(label)")
                    #expect(outcome.error == nil, "limit \(limit), \(label)")
                } else {
                    #expect(outcome.messages.isEmpty, "limit \(limit), \(label)")
                    #expect(outcome.error == HubProtocolError.messageTooBig(limit: limit), "limit \(limit), \(label)")
                }
            }
        }
    }

    @Test("a bad message in a stream stops it with that message's error")
    func badMessageInStream() {
        let input = frame(#"{"type":6}"#) + frame(#"{"type":2,"invocationId":"1"}"#) + frame(#"{"type":6}"#)
        let outcome = feed([input[...]])
        #expect(outcome.messages == ["ping"])
        #expect(outcome.error == HubProtocolError.missingProperty("item"))
    }
}
