/// Constants of Redis 7.0's RDB format (`rdb.h`), shared by `DUMP`/`RESTORE` payloads and RDB files.
enum RDB {
    /// The RDB version Redis 7.0 writes (`RDB_VERSION`); payloads from a newer version are refused.
    static let version: UInt16 = 10

    /// Object type bytes (`RDB_TYPE_*`).
    enum ObjectType {
        static let string: UInt8 = 0
        // 1–7 and 9–19 are the other types and encodings Redis 7.0 loads: lists, sets, sorted sets,
        // hashes, modules and streams.

        /// Redis's `rdbIsObjectType` for version 10: a type byte Redis 7.0 can load.
        static func isKnown(_ type: UInt8) -> Bool { type <= 7 || (9...19).contains(type) }
    }

    /// The two top bits of a length's first byte (`RDB_6BITLEN` … `RDB_ENCVAL`).
    enum LengthKind {
        static let sixBit: UInt8 = 0
        static let fourteenBit: UInt8 = 1
        /// A special encoding follows in the low six bits (`RDB_ENCVAL`).
        static let encoded: UInt8 = 3
        /// A whole first byte announcing a 32-bit big-endian length (`RDB_32BITLEN`).
        static let thirtyTwoBit: UInt8 = 0x80
        /// A whole first byte announcing a 64-bit big-endian length (`RDB_64BITLEN`).
        static let sixtyFourBit: UInt8 = 0x81
    }

    /// String encodings after an `encoded` length byte (`RDB_ENC_*`).
    enum StringEncoding {
        static let int8: UInt8 = 0
        static let int16: UInt8 = 1
        static let int32: UInt8 = 2
        static let lzf: UInt8 = 3
    }
}
