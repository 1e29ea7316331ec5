import NIOCore

/// A type that ``MessagePackEncoder`` writes, and ``MessagePackDecoder`` reads, as MessagePack `bin`
/// instead of going through its `Codable` implementation.
///
/// This module cannot see Foundation; the HubProtocol module conforms `Data` to it, so `Data` travels
/// as `bin` the way MessagePack-CSharp writes a `byte[]`. `[UInt8]` gets the same treatment built in.
/// The decoder accepts `bin`, or an array of integers in `0...255` (what some clients write).
public protocol MessagePackBinaryRepresentable {
    /// Makes a value from the bytes of a `bin` value (a slice of the input; copy what you keep).
    init(messagePackBinary bytes: ByteBuffer) throws

    /// Calls `body` with the bytes to write as `bin`.
    func withMessagePackBinary<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result
}
