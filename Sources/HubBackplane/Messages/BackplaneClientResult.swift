import MessagePack
import NIOCore

/// A client's answer to a client-result invocation, sent back by the node that owns the
/// connection on `P:internal:return:<requesting server>`: `[ProtocolName, CompletionBytes]`.
///
/// `completion` is the client's Completion message re-serialized in the client connection's
/// protocol, framing included, written as MessagePack `bin`.
public struct BackplaneClientResult: BackplaneMessage {
    /// The hub protocol `completion` is written in (`json`, `messagepack`).
    public var protocolName: String
    /// The framed Completion message.
    public var completion: ByteBuffer

    public init(protocolName: String, completion: ByteBuffer) {
        self.protocolName = protocolName
        self.completion = completion
    }

    /// Appends the MessagePack payload.
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeMessagePack { writer in
            writer.writeArrayHeader(count: 2)
            writer.writeString(protocolName)
            writer.writeBinary(completion)
        }
    }

    /// Reads a payload; `completion` is a slice of `payload`.
    public init(payload: ByteBuffer) throws(HubBackplaneError) {
        (protocolName, completion) = try Self.read("client result", payload, minimumItems: 2) { reader, _ in
            (try reader.readString(), try reader.readBinary())
        }
    }
}
