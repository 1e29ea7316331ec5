import NIOCore

/// Writes the JSON envelope of hub messages (our own code, so the property order is .NET's).
enum JSONMessageWriter {
    static func write(_ message: HubMessage, into buffer: inout ByteBuffer) throws(HubProtocolError) {
        buffer.writeStaticString("{\"type\":")
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(message.typeID))
        switch message {
        case .invocation(let m):
            writeHeaders(m.headers, into: &buffer)
            writeInvocationId(m.invocationId, into: &buffer)
            try writeCall(target: m.target, arguments: m.arguments, streamIds: m.streamIds, into: &buffer)
        case .streamInvocation(let m):
            writeHeaders(m.headers, into: &buffer)
            writeInvocationId(m.invocationId, into: &buffer)
            try writeCall(target: m.target, arguments: m.arguments, streamIds: m.streamIds, into: &buffer)
        case .streamItem(let m):
            writeHeaders(m.headers, into: &buffer)
            writeInvocationId(m.invocationId, into: &buffer)
            buffer.writeStaticString(",\"item\":")
            try writeValue(m.item, into: &buffer)
        case .completion(let m):
            writeHeaders(m.headers, into: &buffer)
            writeInvocationId(m.invocationId, into: &buffer)
            switch m.outcome {
            case .void:
                break
            case .error(let text):
                buffer.writeStaticString(",\"error\":")
                buffer.writeJSONString(text)
            case .result(let value):
                buffer.writeStaticString(",\"result\":")
                try writeValue(value, into: &buffer)
            }
        case .cancelInvocation(let m):
            writeHeaders(m.headers, into: &buffer)
            writeInvocationId(m.invocationId, into: &buffer)
        case .ping:
            break
        case .close(let m):
            if let error = m.error {
                buffer.writeStaticString(",\"error\":")
                buffer.writeJSONString(error)
            }
            if m.allowReconnect {
                buffer.writeStaticString(",\"allowReconnect\":true")
            }
        case .ack(let sequenceId), .sequence(let sequenceId):
            buffer.writeStaticString(",\"sequenceId\":")
            buffer.writeString(String(sequenceId))
        }
        buffer.writeInteger(UInt8(ascii: "}"))
    }

    private static func writeHeaders(_ headers: [String: String], into buffer: inout ByteBuffer) {
        guard !headers.isEmpty else { return }
        buffer.writeStaticString(",\"headers\":{")
        var first = true
        for (key, value) in headers {
            if !first { buffer.writeInteger(UInt8(ascii: ",")) }
            first = false
            buffer.writeJSONString(key)
            buffer.writeInteger(UInt8(ascii: ":"))
            buffer.writeJSONString(value)
        }
        buffer.writeInteger(UInt8(ascii: "}"))
    }

    private static func writeInvocationId(_ id: String?, into buffer: inout ByteBuffer) {
        guard let id, !id.isEmpty else { return }
        buffer.writeStaticString(",\"invocationId\":")
        buffer.writeJSONString(id)
    }

    private static func writeCall(
        target: String, arguments: HubArguments, streamIds: [String], into buffer: inout ByteBuffer
    ) throws(HubProtocolError) {
        buffer.writeStaticString(",\"target\":")
        buffer.writeJSONString(target)
        buffer.writeStaticString(",\"arguments\":[")
        for (index, value) in arguments.values.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            try writeValue(value, into: &buffer)
        }
        buffer.writeInteger(UInt8(ascii: "]"))
        guard !streamIds.isEmpty else { return }
        buffer.writeStaticString(",\"streamIds\":[")
        for (index, id) in streamIds.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            buffer.writeJSONString(id)
        }
        buffer.writeInteger(UInt8(ascii: "]"))
    }

    static func writeValue(_ value: HubValue, into buffer: inout ByteBuffer) throws(HubProtocolError) {
        switch value.storage {
        case .null:
            buffer.writeStaticString("null")
        case .raw(let bytes, .json):
            buffer.writeImmutableBuffer(bytes)
        case .raw(let bytes, .messagePack):
            try MessagePackToJSONTranscoder.transcode(bytes, into: &buffer)
        case .value(let value):
            try JSONValueCoding.write(value, into: &buffer)
        }
    }
}
