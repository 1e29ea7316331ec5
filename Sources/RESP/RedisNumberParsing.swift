/// Number parsing with exactly the rules Redis applies to protocol lengths and command arguments.
public enum RedisNumberParsing {
    /// Parses a signed 64-bit decimal the way Redis's `string2ll` does.
    ///
    /// No sign other than a leading `-`, no leading zeros, no spaces, no empty string, no `-0`;
    /// out of range is a failure. Returns `nil` when Redis would refuse the text.
    @inlinable
    public static func parseInt64<Bytes: Collection>(_ bytes: Bytes) -> Int64? where Bytes.Element == UInt8 {
        var iterator = bytes.makeIterator()
        guard var c = iterator.next() else { return nil }
        var negative = false
        if c == UInt8(ascii: "0") {
            return iterator.next() == nil ? 0 : nil
        }
        if c == UInt8(ascii: "-") {
            negative = true
            guard let next = iterator.next() else { return nil }
            c = next
        }
        guard c >= UInt8(ascii: "1") && c <= UInt8(ascii: "9") else { return nil }
        var value = UInt64(c &- UInt8(ascii: "0"))
        while let d = iterator.next() {
            guard d >= UInt8(ascii: "0") && d <= UInt8(ascii: "9") else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(d &- UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = s
        }
        if negative {
            if value > UInt64(Int64.max) + 1 { return nil }
            return value == UInt64(Int64.max) + 1 ? Int64.min : -Int64(value)
        }
        return value > UInt64(Int64.max) ? nil : Int64(value)
    }

}
