import MessagePack
import NIOCore

/// The ack of a group command, published on `P:internal:ack:<serverName>`: `[Id]`.
public struct BackplaneAck: Sendable, Hashable {
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

    /// The MessagePack payload.
    public var payload: ByteBuffer {
        var buffer = ByteBuffer()
        write(into: &buffer)
        return buffer
    }

    /// Reads a payload.
    public init(payload: ByteBuffer) throws(HubBackplaneError) {
        do {
            var reader = MessagePackReader(buffer: payload)
            let count = try reader.readArrayHeader()
            guard count >= 1 else {
                throw HubBackplaneError(.invalidMessage, "Invalid ack: no items.")
            }
            self.id = try reader.readInteger(as: Int.self)
        } catch let error as HubBackplaneError {
            throw error
        } catch let error as MessagePackError {
            throw HubBackplaneError.invalid("ack", error)
        } catch {
            throw HubBackplaneError(.invalidMessage, "Invalid ack: \(error)")
        }
    }
}
