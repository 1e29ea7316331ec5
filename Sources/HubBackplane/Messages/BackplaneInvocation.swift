import MessagePack
import NIOCore

/// A hub message for other nodes' connections, published on `P:all`, `P:group:*`, `P:user:*`
/// and `P:connection:*`: `[ExcludedIds, Serializations]`, or with a client-result request
/// `[ExcludedIds, Serializations, InvocationId, ReturnChannel]`.
///
/// `serializations` maps each hub protocol's name (`json`, `messagepack`) to the complete framed
/// bytes a connection of that protocol is sent, written as MessagePack `bin`; a receiver writes
/// those exact bytes to its local connections with no re-encoding. Readers check the minimum
/// number of items and ignore extra ones, as ASP.NET Core's do.
public struct BackplaneInvocation: BackplaneMessage {
    /// Connection ids that must not receive the message (`P:all` and `P:group:*` only).
    public var excludedIds: [String]
    /// Protocol name → framed message bytes, in the sender's protocol order.
    public var serializations: [(protocolName: String, bytes: ByteBuffer)]
    /// For a client-result request: the invocation id the client answers with.
    public var invocationId: String?
    /// For a client-result request: the requesting node's `P:internal:return:<server>` channel.
    public var returnChannel: String?

    /// A message with `serializations`, excluding `excludedIds`; give `invocationId` and
    /// `returnChannel` together for a client-result request.
    public init(
        excludedIds: [String] = [], serializations: [(protocolName: String, bytes: ByteBuffer)],
        invocationId: String? = nil, returnChannel: String? = nil
    ) {
        precondition((invocationId == nil) == (returnChannel == nil), "invocationId and returnChannel go together")
        self.excludedIds = excludedIds
        self.serializations = serializations
        self.invocationId = invocationId
        self.returnChannel = returnChannel
    }

    /// The framed bytes for `protocolName`, or `nil` when the sender did not include that protocol
    /// (ASP.NET Core then drops the message for that connection and logs it).
    public func serialization(for protocolName: String) -> ByteBuffer? {
        serializations.first { $0.protocolName == protocolName }?.bytes
    }

    /// Appends the MessagePack payload.
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeMessagePack { writer in
            let isClientResult = invocationId != nil
            writer.writeArrayHeader(count: isClientResult ? 4 : 2)
            writer.writeArrayHeader(count: excludedIds.count)
            for id in excludedIds { writer.writeString(id) }
            writer.writeMapHeader(count: serializations.count)
            for (name, bytes) in serializations {
                writer.writeString(name)
                writer.writeBinary(bytes)
            }
            if let invocationId, let returnChannel {
                writer.writeString(invocationId)
                writer.writeString(returnChannel)
            }
        }
    }

    /// Reads a payload; the serializations are slices of `payload`, not copies.
    public init(payload: ByteBuffer) throws(HubBackplaneError) {
        self = try Self.read("invocation", payload, minimumItems: 2) { reader, count in
            let excludedCount = try reader.readArrayHeader()
            var excluded: [String] = []
            excluded.reserveCapacity(excludedCount)
            for _ in 0..<excludedCount { excluded.append(try reader.readString()) }
            let mapCount = try reader.readMapHeader()
            var serializations: [(protocolName: String, bytes: ByteBuffer)] = []
            serializations.reserveCapacity(mapCount)
            for _ in 0..<mapCount {
                let name = try reader.readString()
                serializations.append((name, try reader.readBinary()))
            }
            // The client-result pair is read only past 3 items, as ASP.NET Core does.
            guard count > 3 else { return BackplaneInvocation(excludedIds: excluded, serializations: serializations) }
            return BackplaneInvocation(
                excludedIds: excluded, serializations: serializations, invocationId: try reader.readString(),
                returnChannel: try reader.readString())
        }
    }
}
