/// A point in time as MessagePack's timestamp extension (type −1) holds it: seconds since
/// 1970-01-01T00:00:00Z and a nanosecond part.
///
/// The writer picks the smallest of the extension's three forms, as msgpack-python and
/// MessagePack-CSharp do: 32-bit (`d6 ff`, whole seconds in `0..<2³²`), 64-bit (`d7 ff`, 30 bits of
/// nanoseconds and 34 of seconds, `0..<2³⁴` seconds) or 96-bit (`c7 0c ff`, any `Int64` seconds).
/// Foundation's `Date` is bridged by the HubProtocol module through ``MessagePackTimestampRepresentable``.
public struct MessagePackTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Seconds since the Unix epoch; negative before 1970.
    public let seconds: Int64
    /// Nanoseconds added to `seconds`, always in `0..<1_000_000_000` (also for negative seconds).
    public let nanoseconds: UInt32

    /// Makes a timestamp; throws ``MessagePackError/Code/invalidTimestamp`` if `nanoseconds` is
    /// 1 000 000 000 or more.
    public init(seconds: Int64, nanoseconds: UInt32 = 0) throws(MessagePackError) {
        guard nanoseconds < 1_000_000_000 else {
            throw MessagePackError(.invalidTimestamp, "timestamp nanoseconds \(nanoseconds) ≥ 1 000 000 000")
        }
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// Makes a timestamp whose parts are already known to be valid.
    init(validSeconds seconds: Int64, nanoseconds: UInt32) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// The length of the extension data the writer uses for this timestamp: 4, 8 or 12.
    public var encodedDataLength: Int {
        if seconds >> 34 == 0 {
            return nanoseconds == 0 && seconds >> 32 == 0 ? 4 : 8
        }
        return 12
    }

    /// Earlier timestamps sort first.
    public static func < (lhs: MessagePackTimestamp, rhs: MessagePackTimestamp) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    /// The seconds and nanoseconds.
    public var description: String { "MessagePackTimestamp(seconds: \(seconds), nanoseconds: \(nanoseconds))" }
}

extension MessagePackTimestamp: MessagePackTimestampRepresentable {
    /// Returns `timestamp` itself.
    public init(messagePackTimestamp timestamp: MessagePackTimestamp) {
        self = timestamp
    }

    /// `self`.
    public var messagePackTimestamp: MessagePackTimestamp { self }
}

extension MessagePackTimestamp: Codable {
    private enum CodingKeys: String, CodingKey {
        case seconds
        case nanoseconds
    }

    /// Decodes the timestamp extension with ``MessagePackDecoder``; other decoders read a keyed
    /// `{seconds, nanoseconds}` container.
    public init(from decoder: any Decoder) throws {
        if let decoder = decoder as? ValueDecoder {
            self = try decoder.decode(MessagePackTimestamp.self)
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let seconds = try container.decode(Int64.self, forKey: .seconds)
        let nanoseconds = try container.decode(UInt32.self, forKey: .nanoseconds)
        do {
            try self.init(seconds: seconds, nanoseconds: nanoseconds)
        } catch {
            throw DecodingError.dataCorruptedError(
                forKey: .nanoseconds, in: container, debugDescription: error.message)
        }
    }

    /// Encodes the timestamp extension with ``MessagePackEncoder``; other encoders get a keyed
    /// `{seconds, nanoseconds}` container.
    public func encode(to encoder: any Encoder) throws {
        if let encoder = encoder as? ValueEncoder {
            try encoder.encodeRaw { $0.writeTimestamp(self) }
            return
        }
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(nanoseconds, forKey: .nanoseconds)
    }
}
