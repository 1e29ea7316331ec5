import BrokerStorage

/// Reads RDB-encoded values from bytes as Redis 7.0's `rdb.c` loads them, with every read
/// bounds-checked: arbitrary input gives an ``RDBError``, never a trap or an allocation larger than
/// the input can describe.
struct RDBDecoder {
    /// The input; valid while the decoder is used.
    let bytes: UnsafeRawBufferPointer
    /// Where the next read starts.
    private(set) var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// How many bytes are left.
    var remaining: Int { bytes.count - offset }

    private func failure(_ code: RDBError.Code) -> RDBError { RDBError(code: code, offset: offset) }

    /// Redis's `rdbLoadType`: one byte.
    mutating func readByte() throws(RDBError) -> UInt8 {
        guard offset < bytes.count else { throw failure(.truncated) }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// The next `count` bytes, consumed (Redis's `rioRead`, which fails when they are not all there).
    mutating func readBytes(_ count: Int) throws(RDBError) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else { throw failure(.truncated) }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    /// Redis's `rdbLoadObjectType`: a type byte Redis 7.0 knows.
    mutating func readObjectType() throws(RDBError) -> UInt8 {
        let type = try readByte()
        guard RDB.ObjectType.isKnown(type) else { throw RDBError(code: .unknownType, offset: offset - 1) }
        return type
    }

    /// Redis's `rdbLoadLenByRef`: a length, or with `isEncoded` a special string encoding number.
    mutating func readLength() throws(RDBError) -> (value: UInt64, isEncoded: Bool) {
        let first = try readByte()
        switch first >> 6 {
        case RDB.LengthKind.encoded:
            return (UInt64(first & 0x3F), true)
        case RDB.LengthKind.sixBit:
            return (UInt64(first & 0x3F), false)
        case RDB.LengthKind.fourteenBit:
            let second = try readByte()
            return (UInt64(first & 0x3F) << 8 | UInt64(second), false)
        default:
            switch first {
            case RDB.LengthKind.thirtyTwoBit: return (try readBigEndian(4), false)
            case RDB.LengthKind.sixtyFourBit: return (try readBigEndian(8), false)
            default: throw RDBError(code: .unknownLengthEncoding, offset: offset - 1)
            }
        }
    }

    /// Redis's `rdbLoadEncodedStringObject` followed by `tryObjectEncoding`: a string in any of the
    /// RDB string forms (plain, 8/16/32-bit integer, LZF), with the encoding Redis would give it.
    mutating func readString() throws(RDBError) -> StringValue {
        let (length, isEncoded) = try readLength()
        guard isEncoded else {
            return StringValue(try readBytes(try count(length)))
        }
        switch UInt8(length) {
        case RDB.StringEncoding.int8:
            return StringValue(integer: Int64(Int8(bitPattern: try readByte())))
        case RDB.StringEncoding.int16:
            return StringValue(integer: Int64(Int16(bitPattern: UInt16(try readLittleEndian(2)))))
        case RDB.StringEncoding.int32:
            return StringValue(integer: Int64(Int32(bitPattern: UInt32(try readLittleEndian(4)))))
        case RDB.StringEncoding.lzf:
            return StringValue(try readCompressedString())
        default:
            throw RDBError(code: .unknownStringEncoding, offset: offset - 1)
        }
    }

    /// Redis's `rdbLoadLzfStringObject`: compressed length, original length, compressed bytes.
    private mutating func readCompressedString() throws(RDBError) -> [UInt8] {
        let compressedLength = try readLength().value
        let length = try readLength().value
        let compressed = try readBytes(try count(compressedLength))
        // More than the compressed bytes can expand to is corrupt whatever they hold; checked before
        // allocating, as Redis's allocation of a huge length fails.
        guard length <= UInt64(compressed.count) * UInt64(LZF.maximumExpansion),
            let bytes = LZF.decompress(compressed, count: Int(length))
        else { throw failure(.invalidLZF) }
        return bytes
    }

    /// A length as a byte count; one larger than the input can hold is truncated data.
    private func count(_ length: UInt64) throws(RDBError) -> Int {
        guard length <= UInt64(remaining) else { throw failure(.truncated) }
        return Int(length)
    }

    private mutating func readBigEndian(_ byteCount: Int) throws(RDBError) -> UInt64 {
        var value: UInt64 = 0
        for byte in try readBytes(byteCount) { value = value << 8 | UInt64(byte) }
        return value
    }

    private mutating func readLittleEndian(_ byteCount: Int) throws(RDBError) -> UInt64 {
        var value: UInt64 = 0
        for (i, byte) in try readBytes(byteCount).enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        return value
    }
}
