import HubProtocol
import NIOCore
import Synchronization
import Testing

/// A JSON protocol that counts how often it writes, to show serializations are cached.
final class CountingProtocol: HubProtocol {
    let writes = Atomic<Int>(0)
    var name: String { "json" }
    var version: Int { 1 }
    var transferFormat: HubTransferFormat { .text }
    var framing: HubFraming { .recordSeparator }

    func parseMessage(_ payload: ByteBuffer) throws(HubProtocolError) -> HubMessage? {
        try JSONHubProtocol().parseMessage(payload)
    }

    func writeMessage(_ message: HubMessage, into buffer: inout ByteBuffer) throws(HubProtocolError) {
        writes.add(1, ordering: .relaxed)
        try JSONHubProtocol().writeMessage(message, into: &buffer)
    }
}

@Suite("SerializedHubMessage")
struct SerializedHubMessageTests {
    let message = HubMessage.invocation(InvocationMessage(target: "Send", arguments: [HubValue("hello")]))

    @Test("serialized once per protocol, even from many tasks at once")
    func cachesOncePerProtocol() async throws {
        let counting = CountingProtocol()
        let serialized = SerializedHubMessage(message)
        #expect(serialized.cachedSerialization(forProtocolNamed: "json") == nil)
        let results = await withTaskGroup(of: [UInt8]?.self) { group in
            for _ in 0..<64 {
                group.addTask { (try? serialized.serialized(for: counting)).map(array) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(counting.writes.load(ordering: .relaxed) == 1)
        #expect(Set(results.map { $0 ?? [] }) == [specFrameVectors[0].wire])
        #expect(serialized.cachedSerialization(forProtocolNamed: "json").map(array) == specFrameVectors[0].wire)
        // Another protocol name gets its own entry.
        let binary = try serialized.serialized(for: messagePack)
        #expect(array(binary) == hex("11 96 01 80 c0 a4 53 65 6e 64 91 a5 68 65 6c 6c 6f 90"))
        #expect(serialized.cachedSerialization(forProtocolNamed: "messagepack") == binary)
        #expect(serialized.cachedSerialization(forProtocolNamed: "json").map(array) == specFrameVectors[0].wire)
    }

    @Test("ready-made serializations are used as they are")
    func readyMade() throws {
        let jsonBytes = ByteBuffer(bytes: specFrameVectors[0].wire)
        let packBytes = ByteBuffer(bytes: hex("11 96 01 80 c0 a4 53 65 6e 64 91 a5 68 65 6c 6c 6f 90"))
        let counting = CountingProtocol()
        let serialized = SerializedHubMessage(serializations: [("json", jsonBytes), ("messagepack", packBytes)])
        #expect(serialized.message == nil)
        #expect(try serialized.serialized(for: counting) == jsonBytes)
        #expect(try serialized.serialized(for: messagePack) == packBytes)
        #expect(counting.writes.load(ordering: .relaxed) == 0)
    }

    @Test("a protocol without bytes or a message to write throws .NET's text")
    func unavailable() throws {
        let serialized = SerializedHubMessage(serializations: [("messagepack", ByteBuffer(bytes: [1]))])
        #expect {
            _ = try serialized.serialized(for: json)
        } throws: { error in
            let error = error as? HubProtocolError
            return error?.code == .serializationUnavailable
                && error?.message
                    == "This message was received from another server that did not have the requested protocol available."
        }
        // With a message, missing protocols are written from it.
        let withMessage = SerializedHubMessage(
            message: message, serializations: [("messagepack", ByteBuffer(bytes: [1]))])
        #expect(try array(withMessage.serialized(for: json)) == specFrameVectors[0].wire)
    }

    @Test("a write error is reported and nothing is cached")
    func writeError() throws {
        let serialized = SerializedHubMessage(
            .streamItem(StreamItemMessage(invocationId: "1", item: HubValue(Double.infinity))))
        #expect(throws: HubProtocolError.self) { try serialized.serialized(for: json) }
        #expect(serialized.cachedSerialization(forProtocolNamed: "json") == nil)
    }
}
