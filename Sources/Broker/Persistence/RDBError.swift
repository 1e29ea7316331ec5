/// Why RDB data (a `RESTORE` payload, later an RDB file) could not be read.
///
/// `RESTORE` answers `DUMP payload version or checksum are wrong` for ``Code/badFooter`` and
/// `Bad data format` for every other code, as Redis does.
struct RDBError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong; stable across releases.
    enum Code: String, Sendable, Equatable {
        /// Shorter than its footer, from a newer RDB version, or a checksum mismatch.
        case badFooter = "bad-footer"
        /// The data ends before what it announces.
        case truncated
        /// A length's first byte is none of Redis's length encodings.
        case unknownLengthEncoding = "unknown-length-encoding"
        /// A special string encoding other than the integer and LZF ones.
        case unknownStringEncoding = "unknown-string-encoding"
        /// LZF data that does not expand to the announced length.
        case invalidLZF = "invalid-lzf"
        /// A type byte Redis 7.0 does not know.
        case unknownType = "unknown-type"
        /// A type Redis knows but this broker does not store yet (everything but strings).
        case unsupportedType = "unsupported-type"
    }

    /// What went wrong.
    var code: Code
    /// The byte offset in the input where it was noticed.
    var offset: Int

    var description: String { "RDB \(code.rawValue) at offset \(offset)" }
}
