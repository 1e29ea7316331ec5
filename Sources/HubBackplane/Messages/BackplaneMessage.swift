import MessagePack
import NIOCore

/// A message of ASP.NET Core's Redis backplane: a MessagePack array written into a payload and read
/// back from one.
public protocol BackplaneMessage: Sendable {
    /// Appends the MessagePack payload.
    func write(into buffer: inout ByteBuffer)
    /// Reads a payload; byte strings inside are slices of `payload`, not copies.
    init(payload: ByteBuffer) throws(HubBackplaneError)
}

extension BackplaneMessage {
    /// The MessagePack payload.
    public var payload: ByteBuffer {
        var buffer = ByteBuffer()
        write(into: &buffer)
        return buffer
    }

    /// Runs `body` on a reader over `payload`, first checking the array holds at least
    /// `minimumItems` (readers ignore extra items, as ASP.NET Core's do); any failure becomes a
    /// ``HubBackplaneError`` naming `what`.
    static func read<T>(
        _ what: String, _ payload: ByteBuffer, minimumItems: Int,
        _ body: (inout MessagePackReader, Int) throws -> T
    ) throws(HubBackplaneError) -> T {
        do {
            var reader = MessagePackReader(buffer: payload)
            let count = try reader.readArrayHeader()
            guard count >= minimumItems else {
                throw HubBackplaneError(
                    .invalidMessage, "Invalid \(what): \(count) items, at least \(minimumItems) expected.")
            }
            return try body(&reader, count)
        } catch let error as HubBackplaneError {
            throw error
        } catch let error as MessagePackError {
            throw HubBackplaneError.invalid(what, error)
        } catch {
            throw HubBackplaneError(.invalidMessage, "Invalid \(what): \(error)")
        }
    }
}
