import HubProtocol
import Hubs
import NIOCore

/// Builds whole server-to-client WebSocket frames (header and payload; servers never mask), so
/// a hub message sent to many connections is framed once and the same bytes are written to
/// each of them.
enum WebSocketWire {
    static let textOpcode: UInt8 = 0x1
    static let binaryOpcode: UInt8 = 0x2
    static let closeOpcode: UInt8 = 0x8
    static let pongOpcode: UInt8 = 0xA

    /// The hub framework's encoding for WebSocket connections: a text frame for text protocols
    /// (JSON), a binary frame for binary ones (MessagePack).
    static let encoding = HubWireEncoding(name: "websocket") { payload, format in
        frame(opcode: format == .binary ? binaryOpcode : textOpcode, payload: payload)
    }

    private static let allocator = ByteBufferAllocator()

    /// One final (unfragmented) frame carrying `payload`.
    static func frame(opcode: UInt8, payload: ByteBuffer) -> ByteBuffer {
        let length = payload.readableBytes
        var frame = allocator.buffer(capacity: length + 10)
        frame.writeInteger(0x80 | opcode)
        if length < 126 {
            frame.writeInteger(UInt8(length))
        } else if length <= Int(UInt16.max) {
            frame.writeInteger(UInt8(126))
            frame.writeInteger(UInt16(length))
        } else {
            frame.writeInteger(UInt8(127))
            frame.writeInteger(UInt64(length))
        }
        var payload = payload
        frame.writeBuffer(&payload)
        return frame
    }

    /// A close frame with a status code (1000 normal, 1011 server error …).
    static func closeFrame(code: UInt16) -> ByteBuffer {
        var payload = allocator.buffer(capacity: 2)
        payload.writeInteger(code)
        return frame(opcode: closeOpcode, payload: payload)
    }
}

/// Sits nearest the head of a WebSocket pipeline so the hub handler can write finished frames
/// through its context, past NIO's `WebSocketFrameEncoder` (which would want `WebSocketFrame`s
/// and re-encode every header per connection).
final class WebSocketRawWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
}
