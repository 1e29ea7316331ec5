import Foundation
import NIOCore

/// ISO-8601 date text for JSON payloads, without `DateFormatter` (slow, and not `Sendable`).
///
/// Writes UTC with `Z`, with fractional seconds (microseconds, trailing zeros dropped) only when
/// the date has them, like .NET's round-trip format. Reads `yyyy-MM-dd`, optionally followed by
/// `THH:mm`, `:ss`, a fraction of any length, and `Z` or an offset (`±HH:mm`, `±HHmm`, `±HH`); a
/// time without a zone is taken as UTC.
enum ISO8601DateCoding {
    static func format(_ date: Date) -> String {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        guard micros.isFinite, abs(micros) < 9e18 else { return "\(date)" }
        let total = Int64(micros)
        let seconds = floorDiv(total, 1_000_000)
        let fraction = total - seconds * 1_000_000
        let days = floorDiv(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        var text = ""
        text.reserveCapacity(32)
        append(year, width: 4, to: &text)
        text.append("-")
        append(month, width: 2, to: &text)
        text.append("-")
        append(day, width: 2, to: &text)
        text.append("T")
        append(secondOfDay / 3600, width: 2, to: &text)
        text.append(":")
        append(secondOfDay / 60 % 60, width: 2, to: &text)
        text.append(":")
        append(secondOfDay % 60, width: 2, to: &text)
        if fraction != 0 {
            var digits = fraction
            var width = 6
            while digits % 10 == 0 {
                digits /= 10
                width -= 1
            }
            text.append(".")
            append(digits, width: width, to: &text)
        }
        text.append("Z")
        return text
    }

    /// Appends the ISO-8601 UTC text of a point `seconds` and `nanoseconds` after 1970, in quotes
    /// (a JSON string), with the fraction written to the nanosecond, trailing zeros dropped; returns
    /// `false`, writing nothing, outside the years 0000–9999.
    static func writeQuoted(seconds: Int64, nanoseconds: UInt32, into buffer: inout ByteBuffer) -> Bool {
        // 0000-01-01T00:00:00Z ... 9999-12-31T23:59:59Z; checked first, so nothing below overflows.
        guard seconds >= -62_167_219_200 && seconds <= 253_402_300_799 && nanoseconds < 1_000_000_000 else {
            return false
        }
        let days = floorDiv(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        buffer.writeInteger(UInt8(ascii: "\""))
        writeDigits(year, width: 4, into: &buffer)
        buffer.writeInteger(UInt8(ascii: "-"))
        writeDigits(month, width: 2, into: &buffer)
        buffer.writeInteger(UInt8(ascii: "-"))
        writeDigits(day, width: 2, into: &buffer)
        buffer.writeInteger(UInt8(ascii: "T"))
        writeDigits(secondOfDay / 3600, width: 2, into: &buffer)
        buffer.writeInteger(UInt8(ascii: ":"))
        writeDigits(secondOfDay / 60 % 60, width: 2, into: &buffer)
        buffer.writeInteger(UInt8(ascii: ":"))
        writeDigits(secondOfDay % 60, width: 2, into: &buffer)
        if nanoseconds != 0 {
            var digits = Int64(nanoseconds)
            var width = 9
            while digits % 10 == 0 {
                digits /= 10
                width -= 1
            }
            buffer.writeInteger(UInt8(ascii: "."))
            writeDigits(digits, width: width, into: &buffer)
        }
        buffer.writeStaticString("Z\"")
        return true
    }

    /// Appends `value` (≥ 0, at most `width` digits) with leading zeros to `width` digits.
    private static func writeDigits(_ value: Int64, width: Int, into buffer: inout ByteBuffer) {
        var divisor: Int64 = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            buffer.writeInteger(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse($0) }
    }

    static func parse(_ s: UnsafeBufferPointer<UInt8>) -> Date? {
        var i = 0
        func number(_ width: Int) -> Int64? {
            guard s.count - i >= width else { return nil }
            var value: Int64 = 0
            for _ in 0..<width {
                let digit = s[i] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int64(digit)
                i += 1
            }
            return value
        }
        func consume(_ byte: UInt8) -> Bool {
            guard i < s.count, s[i] == byte else { return false }
            i += 1
            return true
        }
        guard let year = number(4), consume(UInt8(ascii: "-")), let month = number(2), consume(UInt8(ascii: "-")),
            let day = number(2), (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        var seconds = days(fromYear: year, month: month, day: day) * 86_400
        var fraction = 0.0
        if i < s.count {
            guard s[i] == UInt8(ascii: "T") || s[i] == UInt8(ascii: "t") || s[i] == UInt8(ascii: " ") else {
                return nil
            }
            i += 1
            guard let hour = number(2), hour < 24, consume(UInt8(ascii: ":")), let minute = number(2), minute < 60
            else { return nil }
            var second: Int64 = 0
            if consume(UInt8(ascii: ":")) {
                guard let value = number(2), value < 60 else { return nil }
                second = value
                if consume(UInt8(ascii: ".")) {
                    // Digits past the ninth (below a nanosecond) are checked but not used.
                    var digits: Int64 = 0
                    var scale = 1.0
                    let fractionStart = i
                    while i < s.count, s[i] &- UInt8(ascii: "0") < 10 {
                        if i - fractionStart < 9 {
                            digits = digits * 10 + Int64(s[i] - UInt8(ascii: "0"))
                            scale *= 10
                        }
                        i += 1
                    }
                    guard i > fractionStart else { return nil }
                    fraction = Double(digits) / scale
                }
            }
            seconds += hour * 3600 + minute * 60 + second
            if i < s.count {
                if s[i] == UInt8(ascii: "Z") || s[i] == UInt8(ascii: "z") {
                    i += 1
                } else if s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
                    let sign: Int64 = s[i] == UInt8(ascii: "+") ? 1 : -1
                    i += 1
                    guard let offsetHours = number(2), offsetHours < 24 else { return nil }
                    var offsetMinutes: Int64 = 0
                    if i < s.count {
                        _ = consume(UInt8(ascii: ":"))
                        guard let value = number(2), value < 60 else { return nil }
                        offsetMinutes = value
                    }
                    seconds -= sign * (offsetHours * 3600 + offsetMinutes * 60)
                } else {
                    return nil
                }
            }
        }
        guard i == s.count else { return nil }
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    private static func isLeap(_ year: Int64) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    private static func days(fromYear year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func append(_ value: Int64, width: Int, to text: inout String) {
        let digits = String(value)
        if digits.count < width { text.append(String(repeating: "0", count: width - digits.count)) }
        text.append(digits)
    }
}
