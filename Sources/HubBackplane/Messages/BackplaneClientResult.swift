import MessagePack
import NIOCore

/// A client's answer to a client-result invocation, sent back by the node that owns the
/// connection on `P:internal:return:<requesting server>`: `[ProtocolName, CompletionBytes]`.
///
/// `completion` is the client's Completion message re-serialized in the client connection's
/// protocol, framing included, written as MessagePack `bin`.
public struct BackplaneClientResult: Sendable {
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

    /// The MessagePack payload.
    public var payload: ByteBuffer {
        var buffer = ByteBuffer()
        write(into: &buffer)
        return buffer
    }

    /// Reads a payload; `completion` is a slice of `payload`.
    public init(payload: ByteBuffer) throws(HubBackplaneError) {
        do {
            var reader = MessagePackReader(buffer: payload)
            let count = try reader.readArrayHeader()
            guard count >= 2 else {
                throw HubBackplaneError(.invalidMessage, "Invalid client result: \(count) items, at least 2 expected.")
            }
            self.protocolName = try reader.readString()
            self.completion = try reader.readBinary()
        } catch let error as HubBackplaneError {
            throw error
        } catch let error as MessagePackError {
            throw HubBackplaneError.invalid("client result", error)
        } catch {
            throw HubBackplaneError(.invalidMessage, "Invalid client result: \(error)")
        }
    }
}
