/// Up to 22 bytes stored in place, plus one byte of length (and a spare flag bit).
///
/// 23 bytes in all, so an enum that adds a `[UInt8]` case next to it still fits in 24 bytes
/// (the tag takes the 24th byte): short keys and values cost no heap object.
@usableFromInline
struct InlineBytes: Sendable {
    /// How many bytes fit.
    static let capacity = 22

    // A tuple, so the bytes are contiguous and in declaration order.
    @usableFromInline var storage: (UInt64, UInt64, UInt32, UInt16) = (0, 0, 0, 0)
    /// Bits 0–4 the count, bit 7 a flag for the owner (`StringValue` marks a raw-encoded string).
    @usableFromInline var header: UInt8 = 0

    init() {}

    /// Copies `bytes`, which must hold at most `capacity` bytes.
    init(_ bytes: UnsafeRawBufferPointer, flag: Bool = false) {
        precondition(bytes.count <= Self.capacity)
        header = UInt8(bytes.count) | (flag ? 0x80 : 0)
        if bytes.count > 0 {
            withUnsafeMutableBytes(of: &storage) {
                $0.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            }
        }
    }

    @inlinable var count: Int { Int(header & 0x1f) }

    var flag: Bool { header & 0x80 != 0 }

    @inlinable
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let n = count
        return try Swift.withUnsafeBytes(of: storage) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }
}

/// Bytes compared byte for byte, never as text.
@inline(__always)
func bytesEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    if a.count == 0 { return true }
    return memcmpBytes(a.baseAddress!, b.baseAddress!, a.count)
}

@inline(__always)
private func memcmpBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
    var i = 0
    while i + 8 <= n {
        if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
            return false
        }
        i += 8
    }
    while i < n {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i += 1
    }
    return true
}
