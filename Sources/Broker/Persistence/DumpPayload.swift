import BrokerStorage

/// The serialized form `DUMP` replies with and `RESTORE` reads (Redis 7.0's `createDumpPayload` and
/// `verifyDumpPayload` in `cluster.c`): the object's RDB type byte and RDB encoding, then the RDB
/// version (2 bytes, little-endian) and the CRC-64 of everything before it (8 bytes, little-endian).
enum DumpPayload {
    /// The footer's size: 2 bytes of version and 8 of checksum.
    static let footerCount = 10

    /// Redis's `createDumpPayload`: `value` in the bytes redis-server 7.0 gives it. `compression` is
    /// Redis's `rdbcompression` (on by default).
    static func encode(_ value: KeyspaceValue, compression: Bool = true) -> [UInt8] {
        var encoder = RDBEncoder(compression: compression)
        switch value {
        case .string(let string):
            encoder.writeType(RDB.ObjectType.string)
            encoder.writeString(string)
        }
        encoder.appendLittleEndian(UInt64(RDB.version), byteCount: 2)
        let crc = CRC64.checksum(encoder.bytes)
        encoder.appendLittleEndian(crc, byteCount: 8)
        return encoder.bytes
    }

    /// Redis's `verifyDumpPayload`: at least the footer, a version no newer than ours, and a
    /// matching checksum.
    static func verify(_ payload: UnsafeRawBufferPointer) -> Bool {
        guard payload.count >= footerCount else { return false }
        let footer = payload.count - footerCount
        let version = UInt16(payload[footer]) | UInt16(payload[footer + 1]) << 8
        guard version <= RDB.version else { return false }
        var stored: UInt64 = 0
        for i in 0..<8 { stored |= UInt64(payload[footer + 2 + i]) << (8 * UInt64(i)) }
        return CRC64.checksum(UnsafeRawBufferPointer(rebasing: payload[..<(footer + 2)])) == stored
    }

    /// Redis's `RESTORE` reading: ``verify(_:)``, then one object read from the start of the whole
    /// payload, footer included.
    ///
    /// As in Redis, the object is not required to end where the footer starts: bytes between them
    /// are ignored, and an object that runs on reads the footer's bytes as its own (a string of
    /// length 10 made of the footer loads).
    static func decode(_ payload: UnsafeRawBufferPointer) -> Result<KeyspaceValue, RDBError> {
        guard verify(payload) else { return .failure(RDBError(code: .badFooter, offset: 0)) }
        var decoder = RDBDecoder(payload)
        do {
            let type = try decoder.readObjectType()
            guard type == RDB.ObjectType.string else {
                return .failure(RDBError(code: .unsupportedType, offset: 0))
            }
            return .success(.string(try decoder.readString()))
        } catch {
            return .failure(error)
        }
    }
}
