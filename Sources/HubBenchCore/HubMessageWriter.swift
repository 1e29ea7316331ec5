import NIOCore

/// Writes the few framed client messages the bench sends: the handshake request, Ping, and a
/// blocking Invocation with one string argument that carries an `hb:<nanoseconds>` marker.
public struct HubMessageWriter: Sendable {
    /// The protocol the messages are written in (the handshake request is JSON for both).
    public let wire: HubWireProtocol

    /// A writer for `wire`.
    public init(wire: HubWireProtocol) {
        self.wire = wire
    }

    /// Writes `{"protocol":"<name>","version":1}` and `0x1E`.
    public func writeHandshakeRequest(into buffer: inout ByteBuffer) {
        buffer.writeString(#"{"protocol":""#)
        buffer.writeString(wire.rawValue)
        buffer.writeString(#"","version":1}"#)
        buffer.writeInteger(UInt8(0x1E))
    }

    /// Writes a framed Ping: `{"type":6}` + `0x1E`, or MessagePack `02 91 06`.
    public func writePing(into buffer: inout ByteBuffer) {
        switch wire {
        case .json:
            buffer.writeString(#"{"type":6}"#)
            buffer.writeInteger(UInt8(0x1E))
        case .messagepack:
            buffer.writeBytes([0x02, 0x91, 0x06])
        }
    }

    /// The text of a bench message: `hb:<sentAt>:<sender>:<sequence>`, padded with `x` to
    /// `minimumLength` bytes.
    public static func messageText(sentAt: UInt64, sender: Int, sequence: UInt64, minimumLength: Int) -> String {
        let marker = "hb:\(sentAt):\(sender):\(sequence)"
        guard marker.utf8.count < minimumLength else { return marker }
        return marker + String(repeating: "x", count: minimumLength - marker.utf8.count)
    }

    /// Writes a framed blocking Invocation of `target` with the string arguments `leading` (a
    /// group name, say) and then `text`.
    ///
    /// Strings are written as they are: the bench only passes ASCII letters, digits and `:`,
    /// which need no JSON escaping.
    public func writeInvocation(
        invocationID: UInt64, target: String, leading: [String] = [], text: String, into buffer: inout ByteBuffer
    ) {
        switch wire {
        case .json:
            buffer.writeString(#"{"type":1,"invocationId":""#)
            buffer.writeString(String(invocationID))
            buffer.writeString(#"","target":""#)
            buffer.writeString(target)
            buffer.writeString(#"","arguments":["#)
            for argument in leading {
                buffer.writeString("\"" + argument + "\",")
            }
            buffer.writeString("\"" + text)
            buffer.writeString(#""]}"#)
            buffer.writeInteger(UInt8(0x1E))
        case .messagepack:
            // [1, {}, "id", target, [text], []]
            var body = ByteBuffer()
            body.writeBytes([0x96, 0x01, 0x80])
            Self.writeMessagePackString(String(invocationID), into: &body)
            Self.writeMessagePackString(target, into: &body)
            body.writeInteger(UInt8(0x90 | (leading.count + 1)))
            for argument in leading { Self.writeMessagePackString(argument, into: &body) }
            Self.writeMessagePackString(text, into: &body)
            body.writeInteger(UInt8(0x90))
            Self.writeVarInt(body.readableBytes, into: &buffer)
            buffer.writeBuffer(&body)
        }
    }

    static func writeMessagePackString(_ string: String, into buffer: inout ByteBuffer) {
        let count = string.utf8.count
        switch count {
        case 0..<32: buffer.writeInteger(UInt8(0xa0 | count))
        case 32..<256: buffer.writeInteger(UInt8(0xd9)); buffer.writeInteger(UInt8(count))
        case 256..<65536: buffer.writeInteger(UInt8(0xda)); buffer.writeInteger(UInt16(count))
        default: buffer.writeInteger(UInt8(0xdb)); buffer.writeInteger(UInt32(count))
        }
        buffer.writeString(string)
    }

    static func writeVarInt(_ value: Int, into buffer: inout ByteBuffer) {
        var value = UInt32(value)
        repeat {
            var byte = UInt8(value & 0x7f)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            buffer.writeInteger(byte)
        } while value != 0
    }
}
