import HubProtocol
import NIOCore

/// Writes one message to many connections of one event loop: the wire bytes are built once per
/// protocol and transport kind and shared, and every connection written is flushed once.
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

    /// Queues the message on `connection` (on its event loop).
    mutating func write(to connection: HubConnection) {
        let session = connection.session
        guard let bytes = wireBytes(for: connection) else { return }
        // Each socket needs its own flush; doing it right away spares a list of the written ones.
        session.writeWire(bytes)
        session.flush()
    }

    /// Ends the batch (every connection written has been flushed already).
    func flush() {}

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
