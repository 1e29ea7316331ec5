import HubProtocol
import NIOCore

/// Writes one message to many connections of one event loop: the wire bytes are built once per
/// protocol and transport kind and shared. Nothing is flushed here: each connection written is
/// returned once, and the shard flushes it once after every message it was given in the
/// same turn of the event loop, so a burst of messages leaves in one write per connection.
struct HubWriteBatch {
    private struct Entry {
        let protocolName: String
        let encoding: ObjectIdentifier
        let bytes: ByteBuffer?
    }

    let message: SerializedHubMessage
    private var entries: [Entry] = []

    init(message: SerializedHubMessage) {
        self.message = message
    }

    /// Queues the message on `connection` (on its event loop). Returns the session when it is
    /// the first write since its last flush: the caller must flush it later.
    mutating func write(to connection: HubConnection) -> HubConnectionSession? {
        let session = connection.session
        guard let bytes = wireBytes(for: connection) else { return nil }
        session.writeWire(bytes, coalescing: true)
        guard !session.flushQueued else { return nil }
        session.flushQueued = true
        return session
    }

    private mutating func wireBytes(for connection: HubConnection) -> ByteBuffer? {
        let name = connection.hubProtocol.name
        let encoding = connection.session.wireEncoding
        let key = ObjectIdentifier(encoding)
        for entry in entries where entry.encoding == key && entry.protocolName == name {
            return entry.bytes
        }
        var bytes: ByteBuffer?
        do {
            let framed = try message.serialized(for: connection.hubProtocol)
            bytes = encoding.wireBytes(for: framed, format: connection.hubProtocol.transferFormat)
        } catch {
            connection.session.logSerializationFailure(error)
        }
        entries.append(Entry(protocolName: name, encoding: key, bytes: bytes))
        return bytes
    }
}
