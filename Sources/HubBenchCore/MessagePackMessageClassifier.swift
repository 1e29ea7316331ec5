/// Classifies one MessagePack hub message body (without its VarInt prefix) by walking only the
/// leading array items it needs (signalr-protocol.md §d): type, headers, invocation id, target or
/// result kind. Arguments are never decoded; the `hb:` marker is found by a byte search.
enum MessagePackMessageClassifier {
    static func classify(_ message: UnsafeRawBufferPointer) -> HubMessageKind {
        var cursor = MessagePackCursor(bytes: message)
        guard let count = cursor.arrayCount(), count >= 1, let type = cursor.integer(), (0...127).contains(type)
        else { return .malformed }
        switch type {
        case 1:
            // [1, Headers, InvocationId, Target, [Arguments…], StreamIds?]
            guard count >= 5, cursor.skipHeaders(), cursor.skipNilOrString(), let target = cursor.stringRange()
            else { return .malformed }
            let isReceiveMessage =
                target.count == 14 && ByteSearch.hasPrefix("ReceiveMessage", in: message, at: target.lowerBound)
            guard isReceiveMessage else { return .other(type: 1) }
            return .receiveMessage(ByteSearch.marker(in: message, from: cursor.index))
        case 3:
            // [3, Headers, InvocationId, ResultKind, Result?]; ResultKind 1 = error.
            guard count >= 4, cursor.skipHeaders(), let id = cursor.stringRange(), let kind = cursor.integer()
            else { return .malformed }
            var invocationID: UInt64?
            if let (value, end) = ByteSearch.decimal(message, at: id.lowerBound), end == id.upperBound {
                invocationID = value
            }
            return .completion(invocationID: invocationID, failed: kind == 1)
        case 6:
            return .ping
        case 7:
            // [7, Error, AllowReconnect?]: a nil error is a clean close.
            guard count >= 2 else { return .malformed }
            return .close(hasError: !cursor.skipNil())
        default:
            return .other(type: Int(type))
        }
    }
}

/// Reads MessagePack items from the front of a message; every read returns nil (or false) on
/// input it does not expect instead of trapping.
struct MessagePackCursor {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    private mutating func bigEndian(_ width: Int) -> UInt64? {
        guard bytes.count - index >= width else { return nil }
        var value: UInt64 = 0
        for offset in 0..<width { value = value << 8 | UInt64(bytes[index + offset]) }
        index += width
        return value
    }

    private mutating func next() -> UInt8? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func arrayCount() -> Int? {
        switch next() {
        case let byte? where byte & 0xf0 == 0x90: return Int(byte & 0x0f)
        case 0xdc: return bigEndian(2).map { Int($0) }
        case 0xdd: return bigEndian(4).map { Int($0) }
        default: return nil
        }
    }

    mutating func mapCount() -> Int? {
        switch next() {
        case let byte? where byte & 0xf0 == 0x80: return Int(byte & 0x0f)
        case 0xde: return bigEndian(2).map { Int($0) }
        case 0xdf: return bigEndian(4).map { Int($0) }
        default: return nil
        }
    }

    mutating func integer() -> Int64? {
        switch next() {
        case let byte? where byte <= 0x7f: return Int64(byte)
        case let byte? where byte >= 0xe0: return Int64(Int8(bitPattern: byte))
        case 0xcc: return bigEndian(1).map { Int64($0) }
        case 0xcd: return bigEndian(2).map { Int64($0) }
        case 0xce: return bigEndian(4).map { Int64($0) }
        case 0xcf: return bigEndian(8).flatMap { Int64(exactly: $0) }
        case 0xd0: return bigEndian(1).map { Int64(Int8(truncatingIfNeeded: $0)) }
        case 0xd1: return bigEndian(2).map { Int64(Int16(truncatingIfNeeded: $0)) }
        case 0xd2: return bigEndian(4).map { Int64(Int32(truncatingIfNeeded: $0)) }
        case 0xd3: return bigEndian(8).map { Int64(bitPattern: $0) }
        default: return nil
        }
    }

    /// The byte range of a string's UTF-8 content, after which the cursor stands.
    mutating func stringRange() -> Range<Int>? {
        let length: Int
        switch next() {
        case let byte? where byte & 0xe0 == 0xa0: length = Int(byte & 0x1f)
        case 0xd9: guard let value = bigEndian(1) else { return nil }; length = Int(value)
        case 0xda: guard let value = bigEndian(2) else { return nil }; length = Int(value)
        case 0xdb: guard let value = bigEndian(4) else { return nil }; length = Int(value)
        default: return nil
        }
        guard bytes.count - index >= length else { return nil }
        defer { index += length }
        return index..<(index + length)
    }

    /// Skips a nil and returns true, or returns false and stays put.
    mutating func skipNil() -> Bool {
        guard index < bytes.count, bytes[index] == 0xc0 else { return false }
        index += 1
        return true
    }

    mutating func skipNilOrString() -> Bool {
        skipNil() || stringRange() != nil
    }

    /// Skips a headers map (string keys and values, per the protocol).
    mutating func skipHeaders() -> Bool {
        guard let count = mapCount() else { return false }
        for _ in 0..<(count * 2) {
            guard stringRange() != nil else { return false }
        }
        return true
    }
}
