import MessagePack
import NIOCore
import Testing

/// The bytes spelled by hex digit pairs; spaces and newlines are ignored.
func hex(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf8.count / 2)
    var high: UInt8? = nil
    for character in text.utf8 {
        let nibble: UInt8
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = character - UInt8(ascii: "A") + 10
        case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"): continue
        default: preconditionFailure("not hex: \(text.prefix(40))")
        }
        if let first = high {
            bytes.append(first << 4 | nibble)
            high = nil
        } else {
            high = nibble
        }
    }
    precondition(high == nil, "odd number of hex digits in \(text.prefix(40))")
    return bytes
}

/// Lowercase hex, bytes separated by spaces.
func hexString(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
}

/// Hex of at most the first 24 bytes, for test names.
func shortHex(_ bytes: [UInt8]) -> String {
    bytes.count <= 24 ? hexString(bytes) : hexString(bytes.prefix(24)) + " … (\(bytes.count) bytes)"
}

/// The bytes a writer produces.
func written(_ body: (inout MessagePackWriter) -> Void) -> [UInt8] {
    var writer = MessagePackWriter()
    body(&writer)
    return Array(writer.buffer.readableBytesView)
}

/// A reader over `bytes`.
func reader(_ bytes: [UInt8], maxDepth: Int = MessagePackReader.defaultMaxDepth) -> MessagePackReader {
    MessagePackReader(buffer: ByteBuffer(bytes: bytes), maxDepth: maxDepth)
}

/// The code of the `MessagePackError` `body` throws, or `nil` if it returns.
func errorCode<T>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T
) -> MessagePackError.Code? {
    do {
        _ = try body()
        return nil
    } catch let error as MessagePackError {
        return error.code
    } catch {
        Issue.record("expected a MessagePackError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The `MessagePackError` under a `DecodingError` or `EncodingError`, if any.
func underlyingCode(_ error: any Error) -> MessagePackError.Code? {
    if let error = error as? MessagePackError { return error.code }
    if let error = error as? DecodingError {
        switch error {
        case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context),
            .valueNotFound(_, let context):
            return (context.underlyingError as? MessagePackError)?.code
        @unknown default:
            return nil
        }
    }
    if let error = error as? EncodingError, case .invalidValue(_, let context) = error {
        return (context.underlyingError as? MessagePackError)?.code
    }
    return nil
}

/// SplitMix64: a small seeded generator, so random tests repeat exactly.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A canonical text form of a value, shared with the Python interop script (`canonical` there):
/// integers as `int:<decimal>`, floats as `float:<hex of the float64 bits>` (float32 widened, since
/// Python has only doubles), strings and binaries as hex, timestamps and extensions by their parts.
func canonical(_ value: MessagePackValue) -> String {
    switch value {
    case .nil: return "nil"
    case .bool(let bool): return bool ? "true" : "false"
    case .int(let int): return "int:\(int)"
    case .uint(let uint): return "int:\(uint)"
    case .float(let float): return "float:" + bitsHex(Double(float).bitPattern)
    case .double(let double): return "float:" + bitsHex(double.bitPattern)
    case .string(let string): return "str:" + compactHex(Array(string.utf8))
    case .binary(let bytes): return "bin:" + compactHex(bytes)
    case .array(let elements): return "[" + elements.map(canonical).joined(separator: ",") + "]"
    case .map(let entries):
        return "{" + entries.map { canonical($0.key) + "=" + canonical($0.value) }.joined(separator: ",") + "}"
    case .extension(let type, let data):
        return "ext:\(type):" + compactHex(data)
    case .timestamp(let timestamp): return "ts:\(timestamp.seconds):\(timestamp.nanoseconds)"
    }
}

private func bitsHex(_ bits: UInt64) -> String {
    let digits = String(bits, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}

/// Lowercase hex with no separators.
func compactHex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(bytes.underestimatedCount * 2)
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: text, as: UTF8.self)
}
