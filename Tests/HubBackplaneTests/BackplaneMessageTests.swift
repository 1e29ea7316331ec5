import HubBackplane
import HubProtocol
import MessagePack
import NIOCore
import Testing
import TestSupport

/// Bytes from hex text; spaces and newlines ignored.
func hex(_ text: String) -> ByteBuffer {
    let digits = Array(text.utf8.filter { !$0.isWhitespace })
    var bytes: [UInt8] = []
    for i in stride(from: 0, to: digits.count, by: 2) {
        bytes.append(UInt8(String(decoding: digits[i..<i + 2], as: UTF8.self), radix: 16)!)
    }
    return ByteBuffer(bytes: bytes)
}

extension UInt8 {
    fileprivate var isWhitespace: Bool { self == 0x20 || self == 0x0A }
}

/// The byte examples of ../shared/spec/signalr-protocol.md §g and "Worked byte examples".
@Suite struct BackplaneMessageTests {
    /// Example 1: `Clients.All.SendAsync("Send", "hello")` for a JSON client (49 bytes).
    static let jsonSend = hex(
        """
        7b 22 74 79 70 65 22 3a 31 2c 22 74 61 72 67 65 74 22 3a 22 53 65 6e 64 22 2c
        22 61 72 67 75 6d 65 6e 74 73 22 3a 5b 22 68 65 6c 6c 6f 22 5d 7d 1e
        """)
    /// Example 2: the same for a MessagePack client (18 bytes, VarInt included).
    static let messagePackSend = hex("11 96 01 80 c0 a4 53 65 6e 64 91 a5 68 65 6c 6c 6f 90")

    /// Example 3: `Clients.AllExcept(["connA"]).SendAsync("Send","hello")` on `MyApp.ChatHub:all`.
    static let allExcept = hex(
        """
        92 91 a5 63 6f 6e 6e 41 82 a4 6a 73 6f 6e c4 31
        7b 22 74 79 70 65 22 3a 31 2c 22 74 61 72 67 65 74 22 3a 22 53 65 6e 64 22 2c
        22 61 72 67 75 6d 65 6e 74 73 22 3a 5b 22 68 65 6c 6c 6f 22 5d 7d 1e
        ab 6d 65 73 73 61 67 65 70 61 63 6b c4 12
        11 96 01 80 c0 a4 53 65 6e 64 91 a5 68 65 6c 6c 6f 90
        """)

    static let serverName = "node1_0123456789abcdef0123456789abcdef"

    @Test func allExceptIsExampleThree() throws {
        let message = BackplaneInvocation(
            excludedIds: ["connA"],
            serializations: [("json", Self.jsonSend), ("messagepack", Self.messagePackSend)])
        #expect(message.payload == Self.allExcept)
        #expect(Self.allExcept.readableBytes == 97)

        let read = try BackplaneInvocation(payload: Self.allExcept)
        #expect(read.excludedIds == ["connA"])
        #expect(read.serializations.map(\.protocolName) == ["json", "messagepack"])
        #expect(read.serialization(for: "json") == Self.jsonSend)
        #expect(read.serialization(for: "messagepack") == Self.messagePackSend)
        #expect(read.serialization(for: "blazorpack") == nil)
        #expect(read.invocationId == nil && read.returnChannel == nil)
    }

    @Test func sendAllDiffersOnlyInTheExclusions() throws {
        let message = BackplaneInvocation(
            serializations: [("json", Self.jsonSend), ("messagepack", Self.messagePackSend)])
        var expected = hex("92 90")
        expected.writeImmutableBuffer(Self.allExcept.getSlice(at: 8, length: 89)!)
        #expect(message.payload == expected)
        #expect(message.payload.readableBytes == 91)
        #expect(try BackplaneInvocation(payload: expected).excludedIds == [])
    }

    /// The serializations come from our own hub protocols: Example 3 again, end to end.
    @Test func serializationsFromTheHubProtocols() throws {
        let send = HubMessage.invocation(
            InvocationMessage(target: "Send", arguments: HubArguments([HubValue("hello")])))
        let serialized = SerializedHubMessage(send)
        let json = try serialized.serialized(for: JSONHubProtocol())
        let messagePack = try serialized.serialized(for: MessagePackHubProtocol())
        #expect(json == Self.jsonSend)
        #expect(messagePack == Self.messagePackSend)
        let message = BackplaneInvocation(
            excludedIds: ["connA"], serializations: [("json", json), ("messagepack", messagePack)])
        #expect(message.payload == Self.allExcept)
    }

    @Test func clientResultRequestHasFourItemsAndOldReadersSkipThem() throws {
        let message = BackplaneInvocation(
            serializations: [("json", Self.jsonSend)], invocationId: "AAECAwQFBgcICQoLDA0ODw",
            returnChannel: "MyApp.ChatHub:internal:return:\(Self.serverName)")
        let payload = message.payload
        #expect(payload.getInteger(at: 0, as: UInt8.self) == 0x94)
        let read = try BackplaneInvocation(payload: payload)
        #expect(read.invocationId == "AAECAwQFBgcICQoLDA0ODw")
        #expect(read.returnChannel == "MyApp.ChatHub:internal:return:\(Self.serverName)")
        #expect(read.serialization(for: "json") == Self.jsonSend)
    }

    @Test func extraItemsAreIgnoredAndTooFewRefused() throws {
        // A future sender's 5-item invocation and 6-item group command still read.
        var five = ByteBuffer()
        five.writeMessagePack { w in
            w.writeArrayHeader(count: 5)
            w.writeArrayHeader(count: 0)
            w.writeMapHeader(count: 0)
            w.writeString("id")
            w.writeString("channel")
            w.writeBool(true)
        }
        #expect(try BackplaneInvocation(payload: five).invocationId == "id")
        // Three items: the third is not read (ASP.NET reads the pair only past 3).
        var three = ByteBuffer()
        three.writeMessagePack { w in
            w.writeArrayHeader(count: 3)
            w.writeArrayHeader(count: 0)
            w.writeMapHeader(count: 0)
            w.writeString("ignored")
        }
        #expect(try BackplaneInvocation(payload: three).invocationId == nil)
        #expect(throws: HubBackplaneError.self) { try BackplaneInvocation(payload: hex("91 90")) }
        #expect(throws: HubBackplaneError.self) { try BackplaneGroupCommand(payload: hex("94 01 a1 61 01 a1 62")) }
        #expect(throws: HubBackplaneError.self) { try BackplaneAck(payload: hex("90")) }
        #expect(throws: HubBackplaneError.self) { try BackplaneClientResult(payload: hex("91 a4 6a 73 6f 6e")) }
    }

    @Test func groupCommandAndAck() throws {
        let expected = hex(
            """
            95 01 d9 26 6e 6f 64 65 31 5f 30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66 30 31 32
            33 34 35 36 37 38 39 61 62 63 64 65 66 01 a4 72 6f 6f 6d a5 63 6f 6e 6e 41
            """)
        let command = BackplaneGroupCommand(
            id: 1, serverName: Self.serverName, action: .add, groupName: "room", connectionId: "connA")
        #expect(command.payload == expected)
        #expect(try BackplaneGroupCommand(payload: expected) == command)
        var remove = command
        remove.action = .remove
        remove.id = 300
        #expect(try BackplaneGroupCommand(payload: remove.payload) == remove)

        #expect(BackplaneAck(id: 1).payload == hex("91 01"))
        #expect(try BackplaneAck(payload: hex("91 01")) == BackplaneAck(id: 1))
        // Any integer width is accepted (MessagePack-CSharp may write a wider one).
        #expect(try BackplaneAck(payload: hex("91 cd 01 2c")) == BackplaneAck(id: 300))
    }

    @Test(arguments: [0, 3, 255])
    func groupActionsOtherThanAddAndRemoveAreRefused(_ action: Int) throws {
        var payload = ByteBuffer()
        payload.writeMessagePack { w in
            w.writeArrayHeader(count: 5)
            w.writeInteger(1)
            w.writeString(Self.serverName)
            w.writeInteger(action)
            w.writeString("room")
            w.writeString("connA")
        }
        #expect {
            try BackplaneGroupCommand(payload: payload)
        } throws: { ($0 as? HubBackplaneError)?.code == .invalidGroupAction }
    }

    @Test func clientResultReturnMessage() throws {
        var json = ByteBuffer(string: #"{"type":3,"invocationId":"AAECAwQFBgcICQoLDA0ODw","result":42}"#)
        json.writeInteger(UInt8(0x1E))
        var expected = hex("92 a4 6a 73 6f 6e c4 3f")
        expected.writeImmutableBuffer(json)
        #expect(expected.readableBytes == 71)
        let message = BackplaneClientResult(protocolName: "json", completion: json)
        #expect(message.payload == expected)
        let read = try BackplaneClientResult(payload: expected)
        #expect(read.protocolName == "json")
        #expect(read.completion == json)
    }

    /// Every proper prefix of every example is refused with an error, never a trap; so is noise.
    @Test func truncatedAndRandomPayloadsNeverTrap() throws {
        // Each payload with the decoder of its own type: every proper prefix is an error. (Read as
        // another type a prefix may be valid — readers ignore what follows the items they need.)
        let examples: [(ByteBuffer, (ByteBuffer) throws -> Void)] = [
            (Self.allExcept, { _ = try BackplaneInvocation(payload: $0) }),
            (
                BackplaneGroupCommand(
                    id: 1, serverName: Self.serverName, action: .add, groupName: "room", connectionId: "connA"
                ).payload, { _ = try BackplaneGroupCommand(payload: $0) }
            ),
            (BackplaneAck(id: 70000).payload, { _ = try BackplaneAck(payload: $0) }),
            (
                BackplaneClientResult(protocolName: "json", completion: Self.jsonSend).payload,
                { _ = try BackplaneClientResult(payload: $0) }
            ),
        ]
        for (example, decode) in examples {
            for length in 0..<example.readableBytes {
                let prefix = example.getSlice(at: example.readerIndex, length: length)!
                #expect(throws: HubBackplaneError.self, "\(length) bytes") { try decode(prefix) }
                _ = try? BackplaneInvocation(payload: prefix)
                _ = try? BackplaneGroupCommand(payload: prefix)
                _ = try? BackplaneAck(payload: prefix)
                _ = try? BackplaneClientResult(payload: prefix)
            }
        }
        var random = SeededRandomNumberGenerator(seed: 0x5EED)
        for _ in 0..<20_000 {
            var bytes = (0..<Int.random(in: 0...40, using: &random)).map { _ in
                UInt8.random(in: 0...255, using: &random)
            }
            if !bytes.isEmpty, Bool.random(using: &random) { bytes[0] = 0x92 + UInt8.random(in: 0...3, using: &random) }
            let payload = ByteBuffer(bytes: bytes)
            _ = try? BackplaneInvocation(payload: payload)
            _ = try? BackplaneGroupCommand(payload: payload)
            _ = try? BackplaneAck(payload: payload)
            _ = try? BackplaneClientResult(payload: payload)
        }
    }
}

/// Channel names and server names (§g "Channel names").
@Suite struct BackplaneNamingTests {
    @Test func channelNames() {
        let channels = BackplaneChannels(hubName: "MyApp.ChatHub")
        #expect(channels.all == "MyApp.ChatHub:all")
        #expect(channels.internalGroups == "MyApp.ChatHub:internal:groups")
        #expect(channels.ack(server: "s_1") == "MyApp.ChatHub:internal:ack:s_1")
        #expect(channels.returnResults(server: "s_1") == "MyApp.ChatHub:internal:return:s_1")
        #expect(channels.connection("abc") == "MyApp.ChatHub:connection:abc")
        #expect(channels.group("room") == "MyApp.ChatHub:group:room")
        #expect(channels.user("alice") == "MyApp.ChatHub:user:alice")
    }

    @Test func thePrefixIsPrependedWithNoSeparator() {
        let channels = BackplaneChannels(hubName: "MyApp.ChatHub", prefix: "prod")
        #expect(channels.all == "prodMyApp.ChatHub:all")
        #expect(channels.group("room") == "prodMyApp.ChatHub:group:room")
    }

    @Test func serverNamesAreHostUnderscoreAnd32HexDigits() {
        var names = Set<String>()
        for _ in 0..<100 {
            let name = BackplaneServerName.make(host: "web-node")
            #expect(name.hasPrefix("web-node_"))
            let suffix = name.dropFirst("web-node_".count)
            #expect(suffix.count == 32)
            #expect(suffix.allSatisfy { "0123456789abcdef".contains($0) })
            names.insert(name)
        }
        #expect(names.count == 100)
        // At least 34 bytes, so MessagePack writes it as str8 (d9), as the spec's group command shows.
        let command = BackplaneGroupCommand(
            id: 1, serverName: BackplaneServerName.make(host: "a"), action: .add, groupName: "g", connectionId: "c")
        #expect(command.payload.getInteger(at: 2, as: UInt8.self) == 0xd9)
    }
}
