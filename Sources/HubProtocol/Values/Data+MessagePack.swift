import Foundation
import MessagePack
import NIOCore

/// `Data` travels in MessagePack as `bin`, as MessagePack-CSharp writes a `byte[]`; in JSON it stays
/// what `JSONEncoder` writes, a base64 string, as .NET writes a `byte[]` in JSON.
extension Data: MessagePackBinaryRepresentable {
    /// A copy of the bytes of a `bin` value.
    public init(messagePackBinary bytes: ByteBuffer) {
        self.init(bytes.readableBytesView)
    }

    /// Calls `body` with the bytes.
    public func withMessagePackBinary<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try withUnsafeBytes(body)
    }
}
