/// Classifies one JSON hub message (without its `0x1E`) by looking for a few keys in its bytes.
///
/// An unescaped `"type":` can only be a key: inside a JSON string every `"` is escaped. The first
/// `"type":` is taken as the message's own, which holds for writers that put `type` first, as
/// .NET does (signalr-protocol.md §d); a writer that puts an argument object with its own `type`
/// key first would be misread.
enum JSONMessageClassifier {
    static func classify(_ message: UnsafeRawBufferPointer) -> HubMessageKind {
        guard let typeKey = ByteSearch.find(#""type":"#, in: message),
            let (type, _) = ByteSearch.decimal(message, at: ByteSearch.skipSpaces(message, from: typeKey + 7)),
            type <= 127
        else { return .malformed }
        switch type {
        case 1:
            guard let targetKey = ByteSearch.find(#""target":"#, in: message),
                ByteSearch.hasPrefix(
                    #""ReceiveMessage""#, in: message, at: ByteSearch.skipSpaces(message, from: targetKey + 9))
            else { return .other(type: 1) }
            return .receiveMessage(ByteSearch.marker(in: message))
        case 3:
            return .completion(invocationID: invocationID(message), failed: hasError(message))
        case 6:
            return .ping
        case 7:
            return .close(hasError: hasError(message))
        default:
            return .other(type: Int(type))
        }
    }

    /// The `invocationId` when it is a string holding only a decimal number.
    private static func invocationID(_ message: UnsafeRawBufferPointer) -> UInt64? {
        guard let key = ByteSearch.find(#""invocationId":"#, in: message) else { return nil }
        let quote = ByteSearch.skipSpaces(message, from: key + 15)
        guard quote < message.count, message[quote] == UInt8(ascii: "\""),
            let (value, end) = ByteSearch.decimal(message, at: quote + 1),
            end < message.count, message[end] == UInt8(ascii: "\"")
        else { return nil }
        return value
    }

    /// True when the message has an `error` key whose value is not null.
    private static func hasError(_ message: UnsafeRawBufferPointer) -> Bool {
        guard let key = ByteSearch.find(#""error":"#, in: message) else { return false }
        return !ByteSearch.hasPrefix("null", in: message, at: ByteSearch.skipSpaces(message, from: key + 8))
    }
}
