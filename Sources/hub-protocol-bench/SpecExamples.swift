import HubBackplane
import HubProtocol
import NIOCore

/// The worked byte examples of ../shared/spec/signalr-protocol.md, checked before anything is
/// measured, so the benchmark times codecs that write what ASP.NET Core writes.
enum SpecExamples {
    /// Example 1: `Clients.All.SendAsync("Send", "hello")` to a JSON client (49 bytes).
    static let json: [UInt8] = Array(#"{"type":1,"target":"Send","arguments":["hello"]}"#.utf8) + [0x1E]

    /// Example 2: the same send to a MessagePack client (18 bytes, VarInt prefix included).
    static let messagePack: [UInt8] = [
        0x11, 0x96, 0x01, 0x80, 0xC0, 0xA4, 0x53, 0x65, 0x6E, 0x64, 0x91, 0xA5, 0x68, 0x65, 0x6C, 0x6C, 0x6F, 0x90,
    ]

    /// Example 3: `Clients.AllExcept(["connA"]).SendAsync("Send", "hello")` on `P:all` from a node
    /// with `json` then `messagepack` (97 bytes).
    static let backplane: [UInt8] =
        [0x92, 0x91, 0xA5] + Array("connA".utf8)
        + [0x82, 0xA4] + Array("json".utf8) + [0xC4, 0x31] + json
        + [0xAB] + Array("messagepack".utf8) + [0xC4, 0x12] + messagePack

    /// Checks every protocol whose name has an example (both ways), and the backplane payload when
    /// the protocols are exactly `json` then `messagepack`; throws on the first difference.
    static func check(_ protocols: [any HubProtocol]) throws {
        let send = HubMessage.invocation(InvocationMessage(target: "Send", arguments: [HubValue("hello")]))
        let examples = ["json": json, "messagepack": messagePack]
        for hubProtocol in protocols {
            guard let expected = examples[hubProtocol.name] else { continue }
            let written = Array(try hubProtocol.serialize(send).readableBytesView)
            guard written == expected else {
                throw BenchmarkError(
                    "\(hubProtocol.name) writes \(hex(written)), the spec's example is \(hex(expected))")
            }
            var decoder = HubMessageDecoder(hubProtocol: hubProtocol)
            var input = ByteBuffer(bytes: expected)
            guard case .invocation(let invocation)? = try decoder.next(&input), invocation.target == "Send",
                invocation.invocationId == nil, try invocation.arguments.decode(String.self, at: 0) == "hello"
            else {
                throw BenchmarkError("\(hubProtocol.name) does not read the spec's example as Send(\"hello\")")
            }
        }
        guard protocols.map(\.name) == ["json", "messagepack"] else { return }
        let serialized = SerializedHubMessage(send)
        var serializations: [(protocolName: String, bytes: ByteBuffer)] = []
        for hubProtocol in protocols {
            serializations.append((hubProtocol.name, try serialized.serialized(for: hubProtocol)))
        }
        let payload = BackplaneInvocation(excludedIds: ["connA"], serializations: serializations).payload
        guard backplane.count == 97, Array(payload.readableBytesView) == backplane else {
            throw BenchmarkError(
                "the backplane payload is \(hex(Array(payload.readableBytesView))), the spec's is \(hex(backplane))")
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { byte in
            let digits = String(byte, radix: 16)
            return byte < 0x10 ? "0" + digits : digits
        }.joined(separator: " ")
    }
}
