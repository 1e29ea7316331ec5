import MessagePack
import NIOCore

/// Writes the MessagePack arrays of hub messages in ASP.NET Core's layouts (see
/// ``MessagePackHubProtocol``).
enum MessagePackMessageWriter {
    static func write(_ message: HubMessage, into writer: inout MessagePackWriter) throws(HubProtocolError) {
        switch message {
        case .invocation(let m):
            writer.writeArrayHeader(count: 6)
            writer.writeInteger(1)
            writeHeaders(m.headers, into: &writer)
            if let id = m.invocationId, !id.isEmpty {
                writer.writeString(id)
            } else {
                writer.writeNil()
            }
            try writeCall(target: m.target, arguments: m.arguments, streamIds: m.streamIds, into: &writer)
        case .streamInvocation(let m):
            writer.writeArrayHeader(count: 6)
            writer.writeInteger(4)
            writeHeaders(m.headers, into: &writer)
            writer.writeString(m.invocationId)
            try writeCall(target: m.target, arguments: m.arguments, streamIds: m.streamIds, into: &writer)
        case .streamItem(let m):
            writer.writeArrayHeader(count: 4)
            writer.writeInteger(2)
            writeHeaders(m.headers, into: &writer)
            writer.writeString(m.invocationId)
            try writeValue(m.item, into: &writer)
        case .completion(let m):
            switch m.outcome {
            case .error(let text):
                writeCompletionStart(m, count: 5, kind: 1, into: &writer)
                writer.writeString(text)
            case .void:
                writeCompletionStart(m, count: 4, kind: 2, into: &writer)
            case .result(let value):
                writeCompletionStart(m, count: 5, kind: 3, into: &writer)
                try writeValue(value, into: &writer)
            }
        case .cancelInvocation(let m):
            writer.writeArrayHeader(count: 3)
            writer.writeInteger(5)
            writeHeaders(m.headers, into: &writer)
            writer.writeString(m.invocationId)
        case .ping:
            writer.writeArrayHeader(count: 1)
            writer.writeInteger(6)
        case .close(let m):
            writer.writeArrayHeader(count: 3)
            writer.writeInteger(7)
            if let error = m.error, !error.isEmpty {
                writer.writeString(error)
            } else {
                writer.writeNil()
            }
            writer.writeBool(m.allowReconnect)
        case .ack(let sequenceId):
            writer.writeArrayHeader(count: 2)
            writer.writeInteger(8)
            writer.writeInteger(sequenceId)
        case .sequence(let sequenceId):
            writer.writeArrayHeader(count: 2)
            writer.writeInteger(9)
            writer.writeInteger(sequenceId)
        }
    }

    private static func writeCompletionStart(
        _ message: CompletionMessage, count: Int, kind: Int, into writer: inout MessagePackWriter
    ) {
        writer.writeArrayHeader(count: count)
        writer.writeInteger(3)
        writeHeaders(message.headers, into: &writer)
        writer.writeString(message.invocationId)
        writer.writeInteger(kind)
    }

    private static func writeHeaders(_ headers: [String: String], into writer: inout MessagePackWriter) {
        writer.writeMapHeader(count: headers.count)
        for (key, value) in headers {
            writer.writeString(key)
            writer.writeString(value)
        }
    }

    private static func writeCall(
        target: String, arguments: HubArguments, streamIds: [String], into writer: inout MessagePackWriter
    ) throws(HubProtocolError) {
        writer.writeString(target)
        writer.writeArrayHeader(count: arguments.count)
        for value in arguments.values {
            try writeValue(value, into: &writer)
        }
        writer.writeArrayHeader(count: streamIds.count)
        for id in streamIds {
            writer.writeString(id)
        }
    }

    /// Writes one value: raw MessagePack verbatim, raw JSON transcoded, a Swift value encoded, null as
    /// `c0`.
    static func writeValue(_ value: HubValue, into writer: inout MessagePackWriter) throws(HubProtocolError) {
        switch value.storage {
        case .null:
            writer.writeNil()
        case .raw(let bytes, .messagePack):
            writer.writeRaw(bytes)
        case .raw(let bytes, .json):
            try JSONToMessagePackTranscoder.transcode(bytes, into: &writer)
        case .value(let value):
            try MessagePackValueCoding.write(value, into: &writer)
        }
    }
}
