/// The type of the next value, as ``MessagePackReader/peekType()`` reports it.
public enum MessagePackType: Sendable, Hashable, CaseIterable {
    /// `nil` (`c0`).
    case `nil`
    /// `false` / `true` (`c2` / `c3`).
    case bool
    /// Any integer form: positive or negative fixint, `uint8…uint64`, `int8…int64`.
    case integer
    /// `float32` (`ca`).
    case float
    /// `float64` (`cb`).
    case double
    /// A UTF-8 string: fixstr, `str8/16/32`.
    case string
    /// A byte string: `bin8/16/32`.
    case binary
    /// An array: fixarray, `array16/32`.
    case array
    /// A map: fixmap, `map16/32`.
    case map
    /// An extension other than a timestamp: `fixext1…16`, `ext8/16/32`.
    case `extension`
    /// The timestamp extension (type −1).
    case timestamp
}
