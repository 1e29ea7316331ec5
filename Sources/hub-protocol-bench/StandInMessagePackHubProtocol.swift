import HubProtocol
import MessagePack
import NIOCore

// MessagePackHubProtocol: this whole file goes away when the real protocol lands (see
// MeasuredProtocols.swift).

/// A stand-in for the `messagepack` hub protocol, for this benchmark only, until
/// `MessagePackHubProtocol` is in the `HubProtocol` module.
///
/// It handles just what the benchmark sends — Invocation messages whose arguments are strings or
/// `nil` — with the `MessagePack` module's writer and reader, in .NET's layout (spec §d:
/// `[1, Headers, InvocationId, Target, [Arguments…], [StreamIds…]]`, always 6 items) and with the
/// real VarInt framing of ``HubFraming``. The benchmark checks its bytes against the spec's
/// Example 2 before measuring. Reading slices each argument out with `readRawValue()`, as the real
/// reader keeps arguments raw, but then decodes the string at once: outside the `HubProtocol`
/// module a raw MessagePack ``HubValue`` cannot be made, so the decoding the real protocol defers
/// to `HubValue.decode(_:)` happens here instead.
struct StandInMessagePackHubProtocol: HubProtocol {
    /// `messagepack`.
    var name: String { "messagepack" }
    /// 1.
    var version: Int { 1 }
    /// Binary.
    var transferFormat: HubTransferFormat { .binary }
    /// VarInt length prefixes.
    var framing: HubFraming { .varIntLengthPrefix }

    /// Parses an Invocation (5 or 6 items); `nil` for a type id above 9; other types throw.
    func parseMessage(_ payload: ByteBuffer) throws(HubProtocolError) -> HubMessage? {
        var reader = MessagePackReader(buffer: payload)
        let count: Int
        let type: Int
        do throws(MessagePackError) {
            count = try reader.readArrayHeader()
            type = count >= 1 ? try reader.readInteger(as: Int.self) : 0
        } catch {
            throw Self.invalid(error)
        }
        if type > 9 { return nil }
        guard type == 1, count >= 5 else {
            throw HubProtocolError(
                .unsupportedValueFormat, "The benchmark's MessagePack stand-in reads Invocation messages only.")
        }
        do throws(MessagePackError) {
            return .invocation(try Self.readInvocation(&reader, count: count))
        } catch {
            throw Self.invalid(error)
        }
    }

    private static func invalid(_ error: MessagePackError) -> HubProtocolError {
        HubProtocolError(.unexpectedToken, "Invalid MessagePack hub message.", context: "\(error)")
    }

    /// Reads an Invocation's items after its type id.
    private static func readInvocation(
        _ reader: inout MessagePackReader, count: Int
    ) throws(MessagePackError) -> InvocationMessage {
        let headerCount = try reader.readMapHeader()
        var headers: [String: String] = [:]
        for _ in 0..<headerCount {
            let key = try reader.readString()
            headers[key] = try reader.readString()
        }
        let invocationId = try reader.readOptionalString()
        let target = try reader.readString()
        let argumentCount = try reader.readArrayHeader()
        var arguments: [HubValue] = []
        arguments.reserveCapacity(argumentCount)
        for _ in 0..<argumentCount {
            var argument = MessagePackReader(buffer: try reader.readRawValue())
            arguments.append(try argument.readNilIfPresent() ? .null : HubValue(try argument.readString()))
        }
        var streamIds: [String] = []
        if count > 5 {
            let streamCount = try reader.readArrayHeader()
            for _ in 0..<streamCount { streamIds.append(try reader.readString()) }
        }
        return InvocationMessage(
            headers: headers, invocationId: invocationId, target: target, arguments: HubArguments(arguments),
            streamIds: streamIds)
    }

    /// Appends an Invocation with string or `nil` arguments, framed; other messages throw.
    func writeMessage(_ message: HubMessage, into buffer: inout ByteBuffer) throws(HubProtocolError) {
        guard case .invocation(let invocation) = message else {
            throw HubProtocolError(
                .unsupportedValueFormat, "The benchmark's MessagePack stand-in writes Invocation messages only.")
        }
        try HubFraming.varIntLengthPrefix.writeFrame(into: &buffer) {
            (body: inout ByteBuffer) throws(HubProtocolError) in
            try body.writeMessagePack { (writer: inout MessagePackWriter) throws(HubProtocolError) in
                writer.writeArrayHeader(count: 6)
                writer.writeInteger(1)
                writer.writeMapHeader(count: invocation.headers.count)
                for (key, value) in invocation.headers {
                    writer.writeString(key)
                    writer.writeString(value)
                }
                if let invocationId = invocation.invocationId {
                    writer.writeString(invocationId)
                } else {
                    writer.writeNil()
                }
                writer.writeString(invocation.target)
                writer.writeArrayHeader(count: invocation.arguments.count)
                for argument in invocation.arguments {
                    if argument.isNull {
                        writer.writeNil()
                    } else {
                        writer.writeString(try argument.decode(String.self))
                    }
                }
                writer.writeArrayHeader(count: invocation.streamIds.count)
                for streamId in invocation.streamIds { writer.writeString(streamId) }
            }
        }
    }
}
