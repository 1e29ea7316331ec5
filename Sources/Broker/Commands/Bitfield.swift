import RESP

/// A `BITFIELD` integer type — signed `i1`…`i64` or unsigned `u1`…`u63` — and Redis's arithmetic
/// on it (`bitops.c`): reading and writing at any bit offset, and overflow handling.
///
/// Values travel as `Int64`; an unsigned value is its bit pattern, which fits since `u64` is refused.
struct Bitfield: Equatable {
    /// What `OVERFLOW` chose for the operations that follow it.
    enum Overflow {
        /// Keep the low bits (two's complement for signed types); the default.
        case wrap
        /// Clamp to the type's smallest or largest value.
        case saturate
        /// Refuse the operation: nothing is written and the reply is null.
        case fail
    }

    var isSigned: Bool
    /// Width in bits: 1…64 signed, 1…63 unsigned.
    var width: Int

    init(isSigned: Bool, width: Int) {
        precondition(width >= 1 && width <= (isSigned ? 64 : 63), "bitfield width out of range")
        self.isSigned = isSigned
        self.width = width
    }

    /// Parses a type as Redis's `getBitfieldTypeFromArgument` does: `i` or `u` (lowercase only),
    /// then a width that Redis reads as a C string — the digits stop at the first NUL.
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard let first = bytes.first, first == UInt8(ascii: "i") || first == UInt8(ascii: "u") else { return nil }
        let signed = first == UInt8(ascii: "i")
        guard let width = RedisNumberParsing.parseInt64(bytes.dropFirst().prefix { $0 != 0 }),
            width >= 1 && width <= (signed ? 64 : 63)
        else { return nil }
        self.init(isSigned: signed, width: Int(width))
    }

    /// The value at bit `offset` of `bytes`; bits past the end read as 0.
    func value(in bytes: UnsafeRawBufferPointer, at offset: Int) -> Int64 {
        var value: UInt64 = 0
        for i in 0..<width {
            value = value << 1 | (Bitmap.bit(at: offset + i, in: bytes) ? 1 : 0)
        }
        // Sign-extend a negative signed value.
        if isSigned && width < 64 && value & (1 << (width - 1)) != 0 {
            value |= UInt64.max << width
        }
        return Int64(bitPattern: value)
    }

    /// Writes the low `width` bits of `value` at bit `offset`; `bytes` must hold them.
    func store(_ value: Int64, in bytes: inout [UInt8], at offset: Int) {
        let pattern = UInt64(bitPattern: value)
        for i in 0..<width {
            Bitmap.setBit(at: offset + i, to: (pattern >> (width - 1 - i)) & 1 != 0, in: &bytes)
        }
    }

    /// The value to store for `value + increment` under `overflow` (a `SET` adds 0 to its value),
    /// or `nil` when it overflows and `overflow` is `fail`.
    ///
    /// Redis's `checkSignedBitfieldOverflow` and `checkUnsignedBitfieldOverflow`, including their
    /// wrapping intermediate arithmetic: setting an `i8` to a value below about −2⁶³+127 counts as
    /// overflowing upwards, so `SAT` stores 127 there, as Redis does.
    func adding(_ increment: Int64, to value: Int64, overflow: Overflow) -> Int64? {
        isSigned
            ? addingSigned(increment, to: value, overflow: overflow)
            : addingUnsigned(increment, to: UInt64(bitPattern: value), overflow: overflow)
    }

    private func addingSigned(_ increment: Int64, to value: Int64, overflow: Overflow) -> Int64? {
        let max: Int64 = width == 64 ? .max : (1 << (width - 1)) - 1
        let min = -max - 1
        let maxIncrement = Int64(bitPattern: UInt64(bitPattern: max) &- UInt64(bitPattern: value))
        let minIncrement = min &- value
        let upwards: Bool
        if value > max || (width != 64 && increment > maxIncrement)
            || (value >= 0 && increment > 0 && increment > maxIncrement)
        {
            upwards = true
        } else if value < min || (width != 64 && increment < minIncrement)
            || (value < 0 && increment < 0 && increment < minIncrement)
        {
            upwards = false
        } else {
            return value &+ increment
        }
        switch overflow {
        case .fail:
            return nil
        case .saturate:
            return upwards ? max : min
        case .wrap:
            var sum = UInt64(bitPattern: value) &+ UInt64(bitPattern: increment)
            if width < 64 {
                let high = UInt64.max << width
                sum = sum & (1 << (width - 1)) != 0 ? sum | high : sum & ~high
            }
            return Int64(bitPattern: sum)
        }
    }

    private func addingUnsigned(_ increment: Int64, to value: UInt64, overflow: Overflow) -> Int64? {
        let max: UInt64 = (1 << width) - 1
        let maxIncrement = Int64(bitPattern: max &- value)
        let minIncrement = Int64(bitPattern: 0 &- value)
        let upwards: Bool
        if value > max || (increment > 0 && increment > maxIncrement) {
            upwards = true
        } else if increment < 0 && increment < minIncrement {
            upwards = false
        } else {
            return Int64(bitPattern: value &+ UInt64(bitPattern: increment))
        }
        switch overflow {
        case .fail:
            return nil
        case .saturate:
            return upwards ? Int64(bitPattern: max) : 0
        case .wrap:
            return Int64(bitPattern: (value &+ UInt64(bitPattern: increment)) & max)
        }
    }
}
