import NIOCore

/// A validating RFC 8259 scanner over a complete JSON text, reading through a raw pointer.
///
/// It checks strings (escapes, surrogate pairs, UTF-8), numbers, literals and nesting depth, and
/// hands back positions: the hub protocol reader slices values out of the input by those positions
/// and turns only the few strings it needs into `String`s. Offsets are relative to `bytes`.
struct JSONScanner {
    /// ASP.NET Core's JSON reader depth limit (`MaxDepth = 64`).
    static let defaultMaximumDepth = 64

    /// A scanned string: the content between the quotes, and whether it holds escapes.
    struct StringToken {
        var start: Int
        var end: Int
        var hasEscapes: Bool
    }

    /// A scanned number: its text range, and whether it is an integer (no fraction or exponent).
    struct NumberToken {
        var start: Int
        var end: Int
        var isInteger: Bool
    }

    let bytes: UnsafeRawBufferPointer
    var index = 0
    let maximumDepth: Int

    init(_ bytes: UnsafeRawBufferPointer, maximumDepth: Int = JSONScanner.defaultMaximumDepth) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    // MARK: Errors

    func unexpected() -> HubProtocolError {
        guard index < bytes.count else { return .invalidJSON("unexpected end of JSON at offset \(index)") }
        let byte = bytes[index]
        let shown = byte >= 0x20 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(hex(byte))"
        return .invalidJSON("unexpected \(shown) at offset \(index)")
    }

    private func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }

    // MARK: Structure

    @inline(__always)
    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index &+= 1
            default: return
            }
        }
    }

    /// The next non-whitespace byte, without consuming it; `nil` at the end.
    @inline(__always)
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : nil
    }

    /// Consumes `byte` (after whitespace) or throws.
    @inline(__always)
    mutating func expect(_ byte: UInt8) throws(HubProtocolError) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { throw unexpected() }
        index &+= 1
    }

    /// After a member or element: consumes `,` and returns `true`, or consumes `close` and returns
    /// `false`.
    @inline(__always)
    mutating func nextMember(close: UInt8) throws(HubProtocolError) -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw unexpected() }
        let byte = bytes[index]
        if byte == UInt8(ascii: ",") {
            index &+= 1
            return true
        }
        if byte == close {
            index &+= 1
            return false
        }
        throw unexpected()
    }

    /// Requires that only whitespace is left.
    mutating func expectEnd() throws(HubProtocolError) {
        skipWhitespace()
        guard index == bytes.count else { throw unexpected() }
    }

    // MARK: Values

    /// Validates one value of any kind starting at the next non-whitespace byte and returns its
    /// range (without surrounding whitespace). `depth` is the nesting depth of the value's container.
    mutating func skipValue(depth: Int) throws(HubProtocolError) -> Range<Int> {
        skipWhitespace()
        let start = index
        guard index < bytes.count else { throw unexpected() }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            _ = try scanString()
        case UInt8(ascii: "{"):
            try checkDepth(depth + 1)
            index &+= 1
            if peek() == UInt8(ascii: "}") {
                index &+= 1
            } else {
                repeat {
                    skipWhitespace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw unexpected() }
                    _ = try scanString()
                    try expect(UInt8(ascii: ":"))
                    _ = try skipValue(depth: depth + 1)
                } while try nextMember(close: UInt8(ascii: "}"))
            }
        case UInt8(ascii: "["):
            try checkDepth(depth + 1)
            index &+= 1
            if peek() == UInt8(ascii: "]") {
                index &+= 1
            } else {
                repeat {
                    _ = try skipValue(depth: depth + 1)
                } while try nextMember(close: UInt8(ascii: "]"))
            }
        case UInt8(ascii: "t"):
            try literal("true")
        case UInt8(ascii: "f"):
            try literal("false")
        case UInt8(ascii: "n"):
            try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            _ = try scanNumber()
        default:
            throw unexpected()
        }
        return start..<index
    }

    @inline(__always)
    func checkDepth(_ depth: Int) throws(HubProtocolError) {
        if depth > maximumDepth {
            throw .invalidJSON("nesting deeper than \(maximumDepth) at offset \(index)")
        }
    }

    /// Whether the next value is the literal `null`; consumes it if so.
    mutating func consumeNull() throws(HubProtocolError) -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    mutating func literal(_ word: StaticString) throws(HubProtocolError) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else {
            index = bytes.count
            throw unexpected()
        }
        let base = word.utf8Start
        for i in 0..<count where bytes[index + i] != base[i] {
            index += i
            throw unexpected()
        }
        index &+= count
    }

    /// Scans a number at the current position (RFC 8259 grammar).
    mutating func scanNumber() throws(HubProtocolError) -> NumberToken {
        let start = index
        var isInteger = true
        if index < bytes.count && bytes[index] == UInt8(ascii: "-") { index &+= 1 }
        guard index < bytes.count else { throw unexpected() }
        if bytes[index] == UInt8(ascii: "0") {
            index &+= 1
        } else if isDigit(bytes[index]) {
            skipDigits()
        } else {
            throw unexpected()
        }
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index &+= 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw unexpected() }
            skipDigits()
        }
        if index < bytes.count && (bytes[index] | 0x20) == UInt8(ascii: "e") {
            isInteger = false
            index &+= 1
            if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                index &+= 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else { throw unexpected() }
            skipDigits()
        }
        return NumberToken(start: start, end: index, isInteger: isInteger)
    }

    @inline(__always)
    func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    @inline(__always)
    mutating func skipDigits() {
        while index < bytes.count && isDigit(bytes[index]) { index &+= 1 }
    }

    /// The value of an integer number token, if it fits in `Int64`.
    func integerValue(_ token: NumberToken) -> Int64? {
        guard token.isInteger else { return nil }
        var i = token.start
        let negative = bytes[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        var magnitude: UInt64 = 0
        while i < token.end {
            let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(bytes[i] &- UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            magnitude = s
            i += 1
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    // MARK: Strings

    /// Scans a string at the current position (which must be `"`), validating escapes, surrogate
    /// pairs and UTF-8.
    mutating func scanString() throws(HubProtocolError) -> StringToken {
        index &+= 1  // opening quote
        let start = index
        var hasEscapes = false
        let count = bytes.count
        while true {
            // Fast path: plain ASCII.
            while index < count {
                let byte = bytes[index]
                if byte < 0x20 || byte >= 0x80 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { break }
                index &+= 1
            }
            guard index < count else { throw unexpected() }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let end = index
                index &+= 1
                return StringToken(start: start, end: end, hasEscapes: hasEscapes)
            }
            if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                try scanEscape()
            } else if byte < 0x20 {
                throw .invalidJSON("control character 0x\(hex(byte)) in a string at offset \(index)")
            } else {
                try scanUTF8Sequence()
            }
        }
    }

    private mutating func scanEscape() throws(HubProtocolError) {
        let escapeStart = index
        index &+= 1
        guard index < bytes.count else { throw unexpected() }
        switch bytes[index] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            index &+= 1
        case UInt8(ascii: "u"):
            index &+= 1
            let unit = try hex4()
            if unit & 0xFC00 == 0xD800 {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                else {
                    throw .invalidJSON("unpaired high surrogate at offset \(escapeStart)")
                }
                index &+= 2
                let low = try hex4()
                guard low & 0xFC00 == 0xDC00 else {
                    throw .invalidJSON("unpaired high surrogate at offset \(escapeStart)")
                }
            } else if unit & 0xFC00 == 0xDC00 {
                throw .invalidJSON("unpaired low surrogate at offset \(escapeStart)")
            }
        default:
            throw .invalidJSON("invalid escape at offset \(escapeStart)")
        }
    }

    private mutating func hex4() throws(HubProtocolError) -> UInt16 {
        guard bytes.count - index >= 4 else {
            index = bytes.count
            throw unexpected()
        }
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let digit = hexValue(bytes[index]) else { throw unexpected() }
            value = value << 4 | UInt16(digit)
            index &+= 1
        }
        return value
    }

    @inline(__always)
    private func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Validates one multi-byte UTF-8 sequence (Unicode table 3-7: no overlongs, no surrogates,
    /// nothing above U+10FFFF).
    private mutating func scanUTF8Sequence() throws(HubProtocolError) {
        let lead = bytes[index]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            high = 0x9F
        case 0xF0:
            length = 4
            low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            high = 0x8F
        default: throw .invalidJSON("invalid UTF-8 at offset \(index)")
        }
        guard bytes.count - index >= length else { throw .invalidJSON("invalid UTF-8 at offset \(index)") }
        let second = bytes[index + 1]
        guard second >= low && second <= high else { throw .invalidJSON("invalid UTF-8 at offset \(index)") }
        for i in 2..<length where bytes[index + i] & 0xC0 != 0x80 {
            throw .invalidJSON("invalid UTF-8 at offset \(index)")
        }
        index &+= length
    }

    /// The text of a validated string token.
    func string(_ token: StringToken) -> String {
        let raw = UnsafeRawBufferPointer(rebasing: bytes[token.start..<token.end])
        guard token.hasEscapes else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        Self.unescape(raw, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether a validated string token's text equals `name` (an ASCII name without escapes).
    @inline(__always)
    func string(_ token: StringToken, equals name: StaticString) -> Bool {
        let count = name.utf8CodeUnitCount
        if token.hasEscapes { return string(token) == name.description }
        guard token.end - token.start == count else { return false }
        let base = name.utf8Start
        for i in 0..<count where bytes[token.start + i] != base[i] { return false }
        return true
    }

    /// Appends the UTF-8 of validated string content `raw` with its escapes resolved.
    static func unescape(_ raw: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        var i = 0
        while i < raw.count {
            let byte = raw[i]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                i += 1
                continue
            }
            let kind = raw[i + 1]
            i += 2
            switch kind {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = UInt32(readHex4(raw, i))
                i += 4
                if scalar & 0xFC00 == 0xD800 {
                    let low = UInt32(readHex4(raw, i + 2))
                    i += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                appendUTF8(scalar, to: &out)
            default: out.append(kind)  // " \ /
            }
        }
    }

    private static func readHex4(_ raw: UnsafeRawBufferPointer, _ at: Int) -> UInt16 {
        var value: UInt16 = 0
        for k in 0..<4 {
            let c = raw[at + k]
            let digit: UInt8 =
                c <= UInt8(ascii: "9") ? c - UInt8(ascii: "0") : (c | 0x20) - UInt8(ascii: "a") + 10
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    private static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}

extension JSONScanner {
    /// Validates that `buffer` holds exactly one JSON value (whitespace around it allowed) and
    /// returns the slice of the value itself.
    static func validateValue(
        _ buffer: ByteBuffer, maximumDepth: Int = defaultMaximumDepth
    ) throws(HubProtocolError)
        -> ByteBuffer
    {
        let result = buffer.withUnsafeReadableBytes { bytes -> Result<Range<Int>, HubProtocolError> in
            var scanner = JSONScanner(bytes, maximumDepth: maximumDepth)
            do throws(HubProtocolError) {
                let range = try scanner.skipValue(depth: 0)
                try scanner.expectEnd()
                return .success(range)
            } catch {
                return .failure(error)
            }
        }
        let range = try result.get()
        return buffer.getSlice(at: buffer.readerIndex + range.lowerBound, length: range.count)!
    }

    /// Whether a validated value slice is the literal `null`.
    static func isNullLiteral(_ buffer: ByteBuffer) -> Bool {
        buffer.readableBytes == 4
            && buffer.withUnsafeReadableBytes { $0.elementsEqual("null".utf8) }
    }
}
