import NIOCore
import Synchronization

/// A hub message with its framed bytes cached per protocol, for fan-out: one message sent to many
/// connections is serialized once per protocol, and the same bytes go to every connection.
///
/// ``serialized(for:)`` computes a protocol's bytes on first use, exactly once, under a lock, so
/// event loops fanning out concurrently share one serialization. A message that arrived already
/// serialized (the Redis backplane carries `json` and `messagepack` bytes) is built with
/// ``init(message:serializations:)`` and never re-encoded for those protocols.
public final class SerializedHubMessage: Sendable {
    /// The message; `nil` when only ready-made serializations are known.
    public let message: HubMessage?
    /// Framed bytes per protocol name, in the order they were added (usually one or two).
    private let cache: Mutex<[(name: String, bytes: ByteBuffer)]>

    /// A message to serialize on demand.
    public init(_ message: HubMessage) {
        self.message = message
        self.cache = Mutex([])
    }

    /// A message with ready-made framed bytes per protocol name (for example from the backplane),
    /// in order (the first entry for a name wins); `message`, when given, serves any other protocol.
    public init(message: HubMessage? = nil, serializations: [(name: String, bytes: ByteBuffer)]) {
        self.message = message
        self.cache = Mutex(serializations)
    }

    /// The framed bytes of the message in `hubProtocol`, computed on the first call for that
    /// protocol name and cached.
    ///
    /// Throws when writing fails, or (``HubProtocolError/Code-swift.enum/serializationUnavailable``)
    /// when there is neither a cached serialization for the protocol nor a message to write.
    public func serialized(for hubProtocol: any HubProtocol) throws(HubProtocolError) -> ByteBuffer {
        let name = hubProtocol.name
        let result = cache.withLock { entries -> Result<ByteBuffer, HubProtocolError> in
            for entry in entries where entry.name == name { return .success(entry.bytes) }
            guard let message else {
                return .failure(
                    HubProtocolError(
                        .serializationUnavailable,
                        "This message was received from another server that did not have the requested protocol available.",
                        context: "protocol '\(name)'"))
            }
            do throws(HubProtocolError) {
                let bytes = try hubProtocol.serialize(message)
                entries.append((name: name, bytes: bytes))
                return .success(bytes)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// The cached bytes for the protocol `name`, if computed or given already.
    public func cachedSerialization(forProtocolNamed name: String) -> ByteBuffer? {
        cache.withLock { entries in entries.first { $0.name == name }?.bytes }
    }
}
