import MessagePack
import NIOCore

/// The `messagepack` hub protocol: each message a MessagePack array, preceded by its length as a
/// VarInt.
///
/// Writing follows ASP.NET Core byte for byte, in the smallest MessagePack forms:
/// - Invocation and StreamInvocation: 6 items, `[type, headers, invocationId or nil, target,
///   [arguments], [streamIds]]` (`90` when there are no stream ids; an empty invocation id is nil);
/// - StreamItem `[2, headers, invocationId, item]`; CancelInvocation `[5, headers, invocationId]`;
/// - Completion `[3, headers, invocationId, kind, result?]`, kind 1 with the error text, 2 (void)
///   without a fifth item, 3 with the result (which may be nil);
/// - Ping `[6]` (`02 91 06` framed); Close 3 items, `[7, error or nil, allowReconnect]` (`93 07 c0 c2`
///   for a clean close); Ack `[8, sequenceId]`, Sequence `[9, sequenceId]`;
/// - headers a map of strings, `80` when empty.
///
/// Each message is written in place after a one-byte length prefix (moved up only for a body of 128
/// bytes or more). Values are copied verbatim when they are raw MessagePack, transcoded when they are
/// raw JSON (see ``HubValue``), and encoded with `MessagePackEncoder` when they are Swift values
/// (MessagePack-CSharp's contractless conventions: structs as maps keyed by property name, `Date` as
/// the timestamp extension, `Data` as `bin`).
///
/// Reading accepts what ASP.NET Core accepts: any integer and string width, Invocation and
/// StreamInvocation with 5 items (no stream ids), Close with 2 (no allowReconnect), an invocation
/// id of `""` as none (non-blocking), and items past the ones it knows (ignored, unread). It is a
/// little more lenient, like the JSON protocol: headers may be nil, and empty header keys, header
/// values and stream ids are accepted (nil ones are not). Unknown message types are skipped (`nil`).
/// Arguments, stream items and results are kept as validated raw slices of the payload. Errors use
/// the same codes as ``JSONHubProtocol``; the texts are ASP.NET Core's (`Reading 'target' as String
/// failed.`, `Invalid invocation result kind.`, `Null or empty invocation ID for Completion
/// message.`…), except that an array too short for its type reports the first absent item as
/// `Missing required property '<name>'.`, as the JSON protocol does.
public struct MessagePackHubProtocol: HubProtocol {
    /// `messagepack`.
    public var name: String { "messagepack" }
    /// 1, what a client sends unless it uses stateful reconnect (then 2; both are accepted).
    public var version: Int { 1 }
    /// Binary.
    public var transferFormat: HubTransferFormat { .binary }
    /// VarInt length prefixes.
    public var framing: HubFraming { .varIntLengthPrefix }

    /// The deepest nesting accepted in a message, the message array included (like
    /// ``JSONHubProtocol/maximumDepth``).
    public var maximumDepth: Int

    /// Makes the protocol.
    public init(maximumDepth: Int = 64) {
        self.maximumDepth = maximumDepth
    }

    /// Parses one MessagePack message (a frame without its length prefix); `nil` for an unknown type.
    public func parseMessage(_ payload: ByteBuffer) throws(HubProtocolError) -> HubMessage? {
        var reader = MessagePackMessageReader(payload: payload, maximumDepth: maximumDepth)
        return try reader.read()
    }

    /// Appends `message` as a VarInt length and a MessagePack array.
    public func writeMessage(_ message: HubMessage, into buffer: inout ByteBuffer) throws(HubProtocolError) {
        if case .ping = message {
            buffer.writeBytes(Self.framedPing)
            return
        }
        try HubFraming.varIntLengthPrefix.writeFrame(into: &buffer) {
            (body: inout ByteBuffer) throws(HubProtocolError) in
            try body.writeMessagePack { (writer: inout MessagePackWriter) throws(HubProtocolError) in
                try MessagePackMessageWriter.write(message, into: &writer)
            }
        }
    }

    /// A Ping, framed: `02 91 06`.
    static let framedPing: [UInt8] = [0x02, 0x91, 0x06]
}
