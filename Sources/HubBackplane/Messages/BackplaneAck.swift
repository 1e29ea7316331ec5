import MessagePack
import NIOCore

/// The ack of a group command, published on `P:internal:ack:<serverName>`: `[Id]`.
public struct BackplaneAck: BackplaneMessage, Hashable {
    /// The id of the acknowledged ``BackplaneGroupCommand``.
    public var id: Int

    public init(id: Int) {
        self.id = id
    }

    /// Appends the MessagePack payload.
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeMessagePack { writer in
            writer.writeArrayHeader(count: 1)
            writer.writeInteger(id)
        }
    }

    /// Reads a payload.
    public init(payload: ByteBuffer) throws(HubBackplaneError) {
        self.id = try Self.read("ack", payload, minimumItems: 1) { reader, _ in try reader.readInteger(as: Int.self) }
    }
}
