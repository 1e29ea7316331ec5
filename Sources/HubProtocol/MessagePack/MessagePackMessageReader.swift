import MessagePack
import NIOCore

/// Reads one MessagePack hub message (a frame's payload) into a ``HubMessage``: the array layouts of
/// ASP.NET Core's MessagePack hub protocol, values sliced raw out of the payload, error texts as
/// ASP.NET Core's where it has them.
struct MessagePackMessageReader {
    private var reader: MessagePackReader
    private let maximumDepth: Int
    /// The number of items in the message array.
    private var count = 0

    init(payload: ByteBuffer, maximumDepth: Int) {
        self.reader = MessagePackReader(buffer: payload, maxDepth: maximumDepth)
        self.maximumDepth = maximumDepth
    }

    mutating func read() throws(HubProtocolError) -> HubMessage? {
        count = try readMessageArrayHeader()
        guard count > 0 else { throw HubProtocolError.missingProperty("type") }
        let type = try field("messageType", as: "Int32") { reader throws(MessagePackError) in
            try reader.readInteger(as: Int32.self)
        }
        switch type {
        case 1: return try readInvocation()
        case 2: return try readStreamItem()
        case 3: return try readCompletion()
        case 4: return try readStreamInvocation()
        case 5: return try readCancelInvocation()
        case 6: return .ping
        case 7: return try readClose()
        case 8:
            try require(2, Self.sequenceItems)
            return .ack(sequenceId: try readSequenceId())
        case 9:
            try require(2, Self.sequenceItems)
            return .sequence(sequenceId: try readSequenceId())
        default:
            return nil  // a message type from a newer peer: ignored
        }
    }

    // MARK: Messages

    private mutating func readInvocation() throws(HubProtocolError) -> HubMessage {
        try require(5, Self.invocationItems)
        let headers = try readHeaders()
        let invocationId = try readInvocationId()  // "" is a non-blocking call, like nil
        let target = try readString("target")
        guard let target, !target.isEmpty else {
            throw HubProtocolError(.missingProperty, "Null or empty target for Invocation message.")
        }
        let arguments = try readArguments()
        let streamIds = count > 5 ? try readStreamIds() : []
        return .invocation(
            InvocationMessage(
                headers: headers, invocationId: invocationId, target: target, arguments: arguments,
                streamIds: streamIds))
    }

    private mutating func readStreamInvocation() throws(HubProtocolError) -> HubMessage {
        try require(5, Self.invocationItems)
        let headers = try readHeaders()
        let invocationId = try requiredInvocationId(for: "StreamInvocation")
        let target = try readString("target")
        guard let target, !target.isEmpty else {
            throw HubProtocolError(.missingProperty, "Null or empty target for StreamInvocation message.")
        }
        let arguments = try readArguments()
        let streamIds = count > 5 ? try readStreamIds() : []
        return .streamInvocation(
            StreamInvocationMessage(
                headers: headers, invocationId: invocationId, target: target, arguments: arguments,
                streamIds: streamIds))
    }

    private mutating func readStreamItem() throws(HubProtocolError) -> HubMessage {
        try require(4, Self.streamItemItems)
        let headers = try readHeaders()
        let invocationId = try requiredInvocationId(for: "StreamItem")
        let item = try readValue(depth: 1)
        return .streamItem(StreamItemMessage(headers: headers, invocationId: invocationId, item: item))
    }

    private mutating func readCompletion() throws(HubProtocolError) -> HubMessage {
        try require(4, Self.errorItems)
        let headers = try readHeaders()
        let invocationId = try requiredInvocationId(for: "Completion")
        let kind = try field("resultKind", as: "Int32") { reader throws(MessagePackError) in
            try reader.readInteger(as: Int32.self)
        }
        let outcome: CompletionMessage.Outcome
        switch kind {
        case 1:
            try require(5, Self.errorItems)
            // ASP.NET Core reads a nil error as no error at all: a void completion.
            outcome = try readString("error").map { .error($0) } ?? .void
        case 2:
            outcome = .void
        case 3:
            try require(5, Self.resultItems)
            outcome = .result(try readValue(depth: 1))
        default:
            throw HubProtocolError(.invalidPropertyType, "Invalid invocation result kind.", context: "kind \(kind)")
        }
        return .completion(CompletionMessage(headers: headers, invocationId: invocationId, outcome: outcome))
    }

    private mutating func readCancelInvocation() throws(HubProtocolError) -> HubMessage {
        try require(3, Self.cancelItems)
        let headers = try readHeaders()
        let invocationId = try requiredInvocationId(for: "CancelInvocation")
        return .cancelInvocation(CancelInvocationMessage(headers: headers, invocationId: invocationId))
    }

    private mutating func readClose() throws(HubProtocolError) -> HubMessage {
        try require(2, Self.closeItems)
        let error = try readString("error")
        let allowReconnect =
            count > 2
            ? try field("allowReconnect", as: "Boolean") { reader throws(MessagePackError) in try reader.readBool() }
            : false
        return .close(CloseMessage(error: error, allowReconnect: allowReconnect))
    }

    private mutating func readSequenceId() throws(HubProtocolError) -> Int64 {
        try field("sequenceId", as: "Int64") { reader throws(MessagePackError) in try reader.readInt64() }
    }

    // MARK: Items

    // The names of each layout's items, by position, for `Missing required property`.
    private static let invocationItems: [StaticString] = ["type", "headers", "invocationId", "target", "arguments"]
    private static let streamItemItems: [StaticString] = ["type", "headers", "invocationId", "item"]
    private static let errorItems: [StaticString] = ["type", "headers", "invocationId", "resultKind", "error"]
    private static let resultItems: [StaticString] = ["type", "headers", "invocationId", "resultKind", "result"]
    private static let cancelItems: [StaticString] = ["type", "headers", "invocationId"]
    private static let closeItems: [StaticString] = ["type", "error"]
    private static let sequenceItems: [StaticString] = ["type", "sequenceId"]

    /// Throws `Missing required property` naming the first item (of `names`, by position) that an
    /// array of `count` items lacks when the layout needs `minimum`.
    @inline(__always)
    private func require(_ minimum: Int, _ names: [StaticString]) throws(HubProtocolError) {
        guard count < minimum else { return }
        throw HubProtocolError.missingProperty(names[min(count, names.count - 1)].description)
    }

    private mutating func readMessageArrayHeader() throws(HubProtocolError) -> Int {
        do throws(MessagePackError) {
            return try reader.readArrayHeader()
        } catch  where error.code == .typeMismatch {
            let found = (try? reader.peekType()).map { "\($0)" } ?? "unknown"
            throw HubProtocolError(
                .unexpectedToken, "Unexpected MessagePack type '\(found)'. Expected an array.",
                context: error.description)
        } catch {
            throw HubProtocolError.invalidMessagePack(error)
        }
    }

    /// Runs a typed read, turning a wrong type into ASP.NET Core's `Reading '<name>' as <type>
    /// failed.` and broken input into ``HubProtocolError/Code-swift.enum/invalidMessagePack``.
    @inline(__always)
    private mutating func field<T>(
        _ name: @autoclosure () -> String, as typeName: StaticString,
        _ body: (inout MessagePackReader) throws(MessagePackError) -> T
    ) throws(HubProtocolError) -> T {
        do throws(MessagePackError) {
            return try body(&reader)
        } catch {
            throw Self.fieldError(error, name(), typeName)
        }
    }

    private static func fieldError(
        _ error: MessagePackError, _ name: String, _ typeName: StaticString
    ) -> HubProtocolError {
        switch error.code {
        case .typeMismatch, .integerOverflow:
            return HubProtocolError(
                .invalidPropertyType, "Reading '\(name)' as \(typeName) failed.", context: error.description)
        default:
            return .invalidMessagePack(error)
        }
    }

    /// A string or nil.
    private mutating func readString(_ name: @autoclosure () -> String) throws(HubProtocolError) -> String? {
        try field(name(), as: "String") { reader throws(MessagePackError) in try reader.readOptionalString() }
    }

    /// The invocation id of an Invocation: nil and `""` both mean none.
    private mutating func readInvocationId() throws(HubProtocolError) -> String? {
        guard let id = try readString("invocationId"), !id.isEmpty else { return nil }
        return id
    }

    private mutating func requiredInvocationId(for message: StaticString) throws(HubProtocolError) -> String {
        guard let id = try readString("invocationId"), !id.isEmpty else {
            throw HubProtocolError(.missingProperty, "Null or empty invocation ID for \(message) message.")
        }
        return id
    }

    /// A map of strings; nil reads as no headers. Empty keys and values are accepted, as the JSON
    /// protocol accepts them (ASP.NET Core's MessagePack reader refuses them, its JSON reader does not).
    private mutating func readHeaders() throws(HubProtocolError) -> [String: String] {
        let pairs: Int
        do throws(MessagePackError) {
            pairs = try reader.readNilIfPresent() ? 0 : try reader.readMapHeader()
        } catch  where error.code == .typeMismatch {
            throw HubProtocolError(
                .invalidPropertyType, "Reading map length for 'headers' failed.", context: error.description)
        } catch {
            throw HubProtocolError.invalidMessagePack(error)
        }
        guard pairs > 0 else { return [:] }
        var headers: [String: String] = [:]
        headers.reserveCapacity(pairs)  // at most half the bytes left: checked by the reader
        for index in 0..<pairs {
            guard let key = try readString("headers[\(index)].Key") else {
                throw HubProtocolError(.invalidPropertyType, "Null or empty key in header.")
            }
            guard let value = try readString("headers[\(index)].Value") else {
                throw HubProtocolError(.invalidPropertyType, "Null or empty value in header.")
            }
            headers[key] = value
        }
        return headers
    }

    private mutating func readArguments() throws(HubProtocolError) -> HubArguments {
        let length = try arrayLength("arguments")
        guard length > 0 else { return .empty }
        var values: [HubValue] = []
        values.reserveCapacity(length)  // at most the bytes left: checked by the reader
        for _ in 0..<length {
            values.append(try readValue(depth: 2))
        }
        return HubArguments(values)
    }

    /// An array of strings; empty ones are accepted, as in JSON (see ``readHeaders()``).
    private mutating func readStreamIds() throws(HubProtocolError) -> [String] {
        let length = try arrayLength("streamIds")
        guard length > 0 else { return [] }
        var ids: [String] = []
        ids.reserveCapacity(length)
        for index in 0..<length {
            guard let id = try readString("streamIds[\(index)]") else {
                throw HubProtocolError(.invalidPropertyType, "Null or empty value in streamIds received.")
            }
            ids.append(id)
        }
        return ids
    }

    private mutating func arrayLength(_ name: StaticString) throws(HubProtocolError) -> Int {
        do throws(MessagePackError) {
            return try reader.readArrayHeader()
        } catch  where error.code == .typeMismatch {
            throw HubProtocolError(
                .invalidPropertyType, "Reading array length for '\(name)' failed.", context: error.description)
        } catch {
            throw HubProtocolError.invalidMessagePack(error)
        }
    }

    /// One value of any kind, its structure checked, as a slice of the payload; `depth` containers
    /// (the message array included) enclose it.
    private mutating func readValue(depth: Int) throws(HubProtocolError) -> HubValue {
        reader.maxDepth = max(0, maximumDepth - depth)
        defer { reader.maxDepth = maximumDepth }
        do throws(MessagePackError) {
            return HubValue(storage: .raw(try reader.readRawValue(), .messagePack))
        } catch {
            throw HubProtocolError.invalidMessagePack(error)
        }
    }
}
