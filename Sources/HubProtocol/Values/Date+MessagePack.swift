import Foundation
import MessagePack

/// `Date` travels in MessagePack as the timestamp extension (type −1), as MessagePack-CSharp writes
/// a `DateTime`; in JSON it stays an ISO-8601 string.
///
/// Written dates are rounded to 100 ns, .NET's tick: a `Date` holds a `Double` of seconds, whose
/// digits below that are noise for any date within centuries of 2001. Read dates accept every
/// timestamp form, MessagePack-CSharp's `DateTimeOffset` layout (`[timestamp of the local clock
/// time, offset in minutes]`), read as the instant it names, and an ISO-8601 string (what a date
/// sent by a JSON client becomes when its raw value is forwarded to a MessagePack connection).
extension Date: MessagePackTimestampRepresentable {
    /// Seconds between 1970-01-01 and 2001-01-01, `Date`'s reference date.
    private static let referenceOffset: Int64 = 978_307_200

    /// The date of `timestamp`.
    public init(messagePackTimestamp timestamp: MessagePackTimestamp) {
        // Counted from the reference date, where `Date` keeps its `Double`, to round only once.
        let seconds = Double(timestamp.seconds &- Self.referenceOffset)
        self.init(timeIntervalSinceReferenceDate: seconds + Double(timestamp.nanoseconds) / 1e9)
    }

    /// The date an ISO-8601 string names (as the JSON protocol reads dates); `nil` for other text.
    public init?(messagePackTimestampText text: String) {
        guard let date = ISO8601DateCoding.parse(text) else { return nil }
        self = date
    }

    /// The timestamp of the date, rounded to 100 ns; throws for an infinite or NaN date, or one
    /// beyond `Int64` seconds.
    public var messagePackTimestamp: MessagePackTimestamp {
        get throws(MessagePackError) {
            let interval = timeIntervalSinceReferenceDate
            let whole = interval.rounded(.down)
            guard whole.isFinite, abs(whole) < 9.2e18 else {
                throw MessagePackError(.invalidTimestamp, "\(interval) s from 2001 has no MessagePack timestamp")
            }
            var seconds = Int64(whole) &+ Self.referenceOffset
            var ticks = Int64(((interval - whole) * 1e7).rounded())
            if ticks >= 10_000_000 {
                seconds &+= 1
                ticks -= 10_000_000
            }
            return try MessagePackTimestamp(seconds: seconds, nanoseconds: UInt32(ticks * 100))
        }
    }
}
