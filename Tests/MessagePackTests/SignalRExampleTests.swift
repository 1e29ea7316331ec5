import MessagePack
import NIOCore
import Testing

/// The MessagePack byte examples of the SignalR wire spec (shared/spec/signalr-protocol.md, sections
/// d and g and "Worked byte examples"), their structure, and the bytes they must re-encode to.
struct SignalRExample: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    var value: MessagePackValue

    init(_ name: String, _ hexBytes: String, _ value: MessagePackValue) {
        self.name = name
        self.bytes = hex(hexBytes)
        self.value = value
    }

    var testDescription: String { name }
}

/// Example 1: the JSON frame of `Clients.All.SendAsync("Send", "hello")`, with its 0x1e.
let jsonSendFrame = Array(#"{"type":1,"target":"Send","arguments":["hello"]}"#.utf8) + [0x1e]
/// Example 2 with its VarInt prefix.
let messagePackSendFrame = hex("11 96 01 80 c0 a4 53 65 6e 64 91 a5 68 65 6c 6c 6f 90")
let serverName = "node1_0123456789abcdef0123456789abcdef"

let signalRExamples: [SignalRExample] = [
    SignalRExample(
        "Example 2 invocation", "96 01 80 c0 a4 53 65 6e 64 91 a5 68 65 6c 6c 6f 90",
        [1, [:], nil, "Send", ["hello"], []]),
    SignalRExample(
        "Example 2 blocking invocation", "96 01 80 a1 30 a4 45 63 68 6f 91 a2 68 69 90",
        [1, [:], "0", "Echo", ["hi"], []]),
    SignalRExample(
        "Example 3 :all backplane message",
        "92 91 a5 63 6f 6e 6e 41 82 a4 6a 73 6f 6e c4 31" + compactHex(jsonSendFrame)
            + "ab 6d 65 73 73 61 67 65 70 61 63 6b c4 12" + compactHex(messagePackSendFrame),
        [["connA"], ["json": .binary(jsonSendFrame), "messagepack": .binary(messagePackSendFrame)]]),
    SignalRExample(
        "Example 3 as plain SendAll",
        "92 90 82 a4 6a 73 6f 6e c4 31" + compactHex(jsonSendFrame)
            + "ab 6d 65 73 73 61 67 65 70 61 63 6b c4 12" + compactHex(messagePackSendFrame),
        [[], ["json": .binary(jsonSendFrame), "messagepack": .binary(messagePackSendFrame)]]),
    SignalRExample(
        "group command",
        "95 01 d9 26 6e 6f 64 65 31 5f 30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66 30 31 32"
            + "33 34 35 36 37 38 39 61 62 63 64 65 66 01 a4 72 6f 6f 6d a5 63 6f 6e 6e 41",
        [1, .string(serverName), 1, "room", "connA"]),
    SignalRExample("ack", "91 01", [1]),
    SignalRExample("ping", "91 06", [6]),
    SignalRExample("close, no error", "93 07 c0 c2", [7, nil, false]),
    SignalRExample("completion, void", "94 03 80 a3 78 79 7a 02", [3, [:], "xyz", 2]),
    SignalRExample(
        "completion, error", "95 03 80 a3 78 79 7a 01 a5 45 72 72 6f 72", [3, [:], "xyz", 1, "Error"]),
    SignalRExample(
        "client-result return",
        "92 a4 6a 73 6f 6e c4 3f"
            + compactHex(Array(#"{"type":3,"invocationId":"AAECAwQFBgcICQoLDA0ODw","result":42}"#.utf8) + [0x1e]),
        [
            "json",
            .binary(Array(#"{"type":3,"invocationId":"AAECAwQFBgcICQoLDA0ODw","result":42}"#.utf8) + [0x1e]),
        ]),
]

/// The backplane's invocation message, as the HubBackplane module will model it: written with
/// `Codable` through an unkeyed container, as MessagePack-CSharp writes it.
struct BackplaneInvocation: Codable, Equatable {
    var excludedIds: [String]
    var serializations: [(name: String, bytes: [UInt8])]

    init(excludedIds: [String], serializations: [(name: String, bytes: [UInt8])]) {
        self.excludedIds = excludedIds
        self.serializations = serializations
    }

    private struct ProtocolKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        excludedIds = try container.decode([String].self)
        let map = try container.nestedContainer(keyedBy: ProtocolKey.self)
        serializations = try map.allKeys.map { ($0.stringValue, try map.decode([UInt8].self, forKey: $0)) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(excludedIds)
        var map = container.nestedContainer(keyedBy: ProtocolKey.self)
        for (name, bytes) in serializations {
            try map.encode(bytes, forKey: ProtocolKey(stringValue: name))
        }
    }

    static func == (lhs: BackplaneInvocation, rhs: BackplaneInvocation) -> Bool {
        lhs.excludedIds == rhs.excludedIds
            && lhs.serializations.map(\.name) == rhs.serializations.map(\.name)
            && lhs.serializations.map(\.bytes) == rhs.serializations.map(\.bytes)
    }
}

/// The group command, `[Id, ServerName, Action, GroupName, ConnectionId]`.
struct GroupCommand: Codable, Equatable {
    var id: Int
    var serverName: String
    var action: Action
    var groupName: String
    var connectionId: String

    enum Action: UInt8, Codable {
        case add = 1
        case remove = 2
    }

    init(id: Int, serverName: String, action: Action, groupName: String, connectionId: String) {
        self.id = id
        self.serverName = serverName
        self.action = action
        self.groupName = groupName
        self.connectionId = connectionId
    }

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        id = try container.decode(Int.self)
        serverName = try container.decode(String.self)
        action = try container.decode(Action.self)
        groupName = try container.decode(String.self)
        connectionId = try container.decode(String.self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(id)
        try container.encode(serverName)
        try container.encode(action)
        try container.encode(groupName)
        try container.encode(connectionId)
    }
}

@Suite("SignalR spec examples")
struct SignalRExampleTests {
    @Test("decode to the expected structure and re-encode to the same bytes", arguments: signalRExamples)
    func roundTrip(_ example: SignalRExample) throws {
        #expect(try MessagePackValue(decoding: example.bytes) == example.value)
        #expect(example.value.encoded == example.bytes)
    }

    @Test("Example 3 is 97 bytes and carries Example 2 byte for byte")
    func backplanePayload() throws {
        let example = signalRExamples[2]
        #expect(example.bytes.count == 97)
        var r = reader(example.bytes)
        #expect(try r.readArrayHeader() == 2)
        try r.skipValue()
        #expect(try r.readMapHeader() == 2)
        #expect(try r.readString() == "json")
        #expect(Array(try r.readBinary().readableBytesView) == jsonSendFrame)
        #expect(try r.readString() == "messagepack")
        var frame = try r.readBinary()
        #expect(frame.readInteger(as: UInt8.self) == 17)  // the VarInt length
        #expect(try MessagePackValue(decoding: frame) == signalRExamples[0].value)
    }

    @Test("the backplane invocation and group command round-trip through Codable to the spec's bytes")
    func codableMessages() throws {
        let invocation = BackplaneInvocation(
            excludedIds: ["connA"], serializations: [("json", jsonSendFrame), ("messagepack", messagePackSendFrame)])
        let bytes = try MessagePackEncoder().encode(invocation)
        #expect(bytes == signalRExamples[2].bytes)
        #expect(try MessagePackDecoder().decode(BackplaneInvocation.self, from: bytes) == invocation)

        let command = GroupCommand(
            id: 1, serverName: serverName, action: .add, groupName: "room", connectionId: "connA")
        let commandBytes = try MessagePackEncoder().encode(command)
        #expect(commandBytes == signalRExamples[4].bytes)
        #expect(try MessagePackDecoder().decode(GroupCommand.self, from: commandBytes) == command)
    }

    @Test("the spec's Ack with a non-minimal id (cc 24) still reads as 36")
    func nonMinimalAck() throws {
        var r = reader(hex("92 08 cc 24"))
        #expect(try r.readArrayHeader() == 2)
        #expect(try r.readInt64() == 8)
        #expect(try r.readInt64() == 36)
    }

    @Test("hub arguments stay raw slices until decoded into their types")
    func rawArguments() throws {
        struct Invocation: Decodable {
            var type: Int
            var headers: [String: String]
            var invocationId: String?
            var target: String
            var arguments: [MessagePackRawValue]
            var streamIds: [String]

            init(from decoder: any Decoder) throws {
                var container = try decoder.unkeyedContainer()
                type = try container.decode(Int.self)
                headers = try container.decode([String: String].self)
                invocationId = try container.decodeIfPresent(String.self)
                target = try container.decode(String.self)
                arguments = try container.decode([MessagePackRawValue].self)
                streamIds = try container.decode([String].self)
            }
        }
        // [1, {}, "0", "Echo", ["hi", {"x": 1}], []]
        let bytes = hex("96 01 80 a1 30 a4 45 63 68 6f 92 a2 68 69 81 a1 78 01 90")
        let invocation = try MessagePackDecoder().decode(Invocation.self, from: bytes)
        #expect(invocation.type == 1)
        #expect(invocation.invocationId == "0")
        #expect(invocation.target == "Echo")
        #expect(
            invocation.arguments.map { Array($0.bytes.readableBytesView) } == [hex("a2 68 69"), hex("81 a1 78 01")])
        struct Point: Decodable, Equatable { var x: Int }
        #expect(try invocation.arguments[0].decode(String.self) == "hi")
        #expect(try MessagePackDecoder().decode(Point.self, from: invocation.arguments[1]) == Point(x: 1))
    }
}
