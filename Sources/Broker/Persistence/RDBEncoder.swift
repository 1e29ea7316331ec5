import BrokerStorage
import RESP

/// Writes RDB-encoded values into a byte array as Redis 7.0's `rdb.c` does, byte for byte.
struct RDBEncoder {
    /// What has been written.
    var bytes: [UInt8] = []
    /// Redis's `rdbcompression`: whether strings longer than 20 bytes are LZF-compressed when that
    /// saves at least 4 bytes (the broker has no such option yet, so it is on, Redis's default).
    var compression = true

    init(compression: Bool = true) {
        self.compression = compression
    }

    /// Redis's `rdbSaveType`.
    mutating func writeType(_ type: UInt8) {
        bytes.append(type)
    }

    /// Redis's `rdbSaveLen`: 6 bits, 14 bits, or a marker byte and 32 or 64 bits big-endian.
    mutating func writeLength(_ length: UInt64) {
        if length < 1 << 6 {
            bytes.append(UInt8(length) | RDB.LengthKind.sixBit << 6)
        } else if length < 1 << 14 {
            bytes.append(UInt8(length >> 8) | RDB.LengthKind.fourteenBit << 6)
            bytes.append(UInt8(truncatingIfNeeded: length))
        } else if length <= UInt64(UInt32.max) {
            bytes.append(RDB.LengthKind.thirtyTwoBit)
            appendBigEndian(length, byteCount: 4)
        } else {
            bytes.append(RDB.LengthKind.sixtyFourBit)
            appendBigEndian(length, byteCount: 8)
        }
    }

    /// Redis's `rdbSaveStringObject`: an `int`-encoded string through
    /// `rdbSaveLongLongAsStringObject`, any other through `rdbSaveRawString`. Both give the same
    /// bytes for the same text, so only the cost differs.
    mutating func writeString(_ value: StringValue) {
        if let integer = value.integerValue {
            writeInteger(integer)
        } else {
            value.withUnsafeBytes { writeString($0) }
        }
    }

    /// Redis's `rdbSaveLongLongAsStringObject`: an integer encoding when the value fits 32 bits,
    /// else its decimal text.
    mutating func writeInteger(_ value: Int64) {
        if !writeEncodedInteger(value) {
            let text = Array(String(value).utf8)
            writeLength(UInt64(text.count))
            bytes.append(contentsOf: text)
        }
    }

    /// Redis's `rdbSaveRawString`: a canonical integer of at most 11 bytes that fits 32 bits as an
    /// integer encoding; else, when compression is on and the string is longer than 20 bytes, LZF
    /// if that saves at least 4 bytes; else the length and the bytes.
    mutating func writeString(_ string: UnsafeRawBufferPointer) {
        if string.count <= 11, let value = RedisNumberParsing.parseInt64(string), writeEncodedInteger(value) {
            return
        }
        if compression && string.count > 20 && writeCompressed(string) { return }
        writeLength(UInt64(string.count))
        bytes.append(contentsOf: string)
    }

    /// Redis's `rdbEncodeInteger`: `false`, writing nothing, when `value` does not fit 32 bits.
    private mutating func writeEncodedInteger(_ value: Int64) -> Bool {
        let encoded = RDB.LengthKind.encoded << 6
        if let v = Int8(exactly: value) {
            bytes.append(encoded | RDB.StringEncoding.int8)
            bytes.append(UInt8(bitPattern: v))
        } else if let v = Int16(exactly: value) {
            bytes.append(encoded | RDB.StringEncoding.int16)
            appendLittleEndian(UInt64(UInt16(bitPattern: v)), byteCount: 2)
        } else if let v = Int32(exactly: value) {
            bytes.append(encoded | RDB.StringEncoding.int32)
            appendLittleEndian(UInt64(UInt32(bitPattern: v)), byteCount: 4)
        } else {
            return false
        }
        return true
    }

    /// Redis's `rdbSaveLzfStringObject` and `rdbSaveLzfBlob`: `false`, writing nothing, unless the
    /// compressed form is at least 4 bytes shorter.
    private mutating func writeCompressed(_ string: UnsafeRawBufferPointer) -> Bool {
        guard string.count > 4, let compressed = LZF.compress(string, limit: string.count - 4) else { return false }
        bytes.append(RDB.LengthKind.encoded << 6 | RDB.StringEncoding.lzf)
        writeLength(UInt64(compressed.count))
        writeLength(UInt64(string.count))
        bytes.append(contentsOf: compressed)
        return true
    }

    private mutating func appendBigEndian(_ value: UInt64, byteCount: Int) {
        for i in stride(from: byteCount - 1, through: 0, by: -1) {
            bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))))
        }
    }

    mutating func appendLittleEndian(_ value: UInt64, byteCount: Int) {
        for i in 0..<byteCount { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }
}
