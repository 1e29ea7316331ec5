/// A key's bytes as the keyspace stores them: in place up to 22 bytes, else one heap array.
///
/// 24 bytes either way. Keys such as redis-benchmark's `key:000000123456` (16 bytes) need no
/// allocation of their own.
enum CompactKey: Sendable {
    case inline(InlineBytes)
    case heap([UInt8])

    static let empty = CompactKey.inline(InlineBytes())

    init(_ bytes: UnsafeRawBufferPointer) {
        if bytes.count <= InlineBytes.capacity {
            self = .inline(InlineBytes(bytes))
        } else {
            self = .heap(Array(bytes))
        }
    }

    var count: Int {
        switch self {
        case .inline(let b): b.count
        case .heap(let a): a.count
        }
    }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case .inline(let b): try b.withUnsafeBytes(body)
        case .heap(let a): try a.withUnsafeBytes(body)
        }
    }

    @inline(__always)
    func equals(_ bytes: UnsafeRawBufferPointer) -> Bool {
        switch self {
        case .inline(let b):
            guard b.count == bytes.count else { return false }
            return b.withUnsafeBytes { bytesEqual($0, bytes) }
        case .heap(let a):
            guard a.count == bytes.count else { return false }
            return a.withUnsafeBytes { bytesEqual($0, bytes) }
        }
    }

    var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Heap bytes beyond the 24 in place.
    var heapByteCount: Int {
        switch self {
        case .inline: 0
        case .heap(let a): heapAllocationSize(ofArrayWithCapacity: a.capacity)
        }
    }
}

/// What glibc's malloc hands out for a Swift byte array of `capacity`: a 32-byte array header
/// plus the bytes, plus malloc's 8-byte chunk header, in 16-byte steps of at least 32.
func heapAllocationSize(ofArrayWithCapacity capacity: Int) -> Int {
    max(32, (32 + capacity + 8 + 15) & ~15)
}
