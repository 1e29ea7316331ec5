import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A small WebSocket client over raw TCP for hub tests: it sends the HTTP upgrade itself and
/// parses server frames by hand, so tests see exactly what the server wrote (status, opcodes,
/// close codes, payload bytes).
public final class TestWebSocketClient: Sendable {
    /// One event from the server.
    public enum Event: Sendable, Equatable {
        /// A data or control frame.
        case frame(opcode: UInt8, payload: [UInt8])
        /// The socket closed.
        case closed
    }

    /// Why opening failed: the server answered the upgrade with something other than 101.
    public struct UpgradeRefused: Error, Sendable {
        /// The status code.
        public let status: Int
        /// The response head and body as text.
        public let response: String
    }

    /// Opcode values.
    public static let text: UInt8 = 0x1
    /// Binary frame.
    public static let binary: UInt8 = 0x2
    /// Close frame.
    public static let close: UInt8 = 0x8
    /// Ping frame.
    public static let ping: UInt8 = 0x9
    /// Pong frame.
    public static let pong: UInt8 = 0xA

    private let channel: any Channel
    private let events: TestEventQueue<Event>

    private init(channel: any Channel, events: TestEventQueue<Event>) {
        self.channel = channel
        self.events = events
    }

    /// Opens a WebSocket to `path` (with its query) on `127.0.0.1:port`; throws
    /// ``UpgradeRefused`` with the server's status when it does not switch protocols.
    public static func connect(
        port: Int, path: String, headers: [(String, String)] = [], timeout: Duration = .seconds(10)
    ) async throws -> TestWebSocketClient {
        let events = TestEventQueue<Event>()
        let upgrade = TestEventQueue<Result<Void, UpgradeRefused>>()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        TestWebSocketHandler(events: events, upgrade: upgrade))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\n"
        request += "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request))
        switch try await upgrade.next(timeout: timeout) {
        case .success: return TestWebSocketClient(channel: channel, events: events)
        case .failure(let refused):
            try? await channel.close()
            throw refused
        }
    }

    /// Sends one masked frame.
    public func send(opcode: UInt8, _ payload: [UInt8], fin: Bool = true) async throws {
        var frame = ByteBuffer()
        frame.writeInteger((fin ? 0x80 : 0) | opcode)
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        if payload.count < 126 {
            frame.writeInteger(UInt8(0x80 | payload.count))
        } else if payload.count <= 0xFFFF {
            frame.writeInteger(UInt8(0x80 | 126))
            frame.writeInteger(UInt16(payload.count))
        } else {
            frame.writeInteger(UInt8(0x80 | 127))
            frame.writeInteger(UInt64(payload.count))
        }
        frame.writeBytes(mask)
        frame.writeBytes(payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        try await channel.writeAndFlush(frame)
    }

    /// Sends a text frame.
    public func sendText(_ text: String) async throws {
        try await send(opcode: Self.text, Array(text.utf8))
    }

    /// Sends the hub handshake for `protocolName` (a text frame ending in 0x1E).
    public func sendHandshake(_ protocolName: String = "json", version: Int = 1) async throws {
        try await sendText("{\"protocol\":\"\(protocolName)\",\"version\":\(version)}\u{1e}")
    }

    /// The next event, failing after `timeout`.
    public func next(timeout: Duration = .seconds(10)) async throws -> Event {
        try await events.next(timeout: timeout)
    }

    /// The next data frame's payload and opcode, skipping pings and pongs.
    public func nextData(timeout: Duration = .seconds(10)) async throws -> (opcode: UInt8, payload: [UInt8]) {
        while true {
            switch try await next(timeout: timeout) {
            case .frame(let opcode, let payload):
                if opcode == Self.ping || opcode == Self.pong { continue }
                return (opcode, payload)
            case .closed:
                throw TestTimeoutError(description: "The WebSocket closed while a frame was awaited")
            }
        }
    }

    /// The client's own port.
    public var localPort: Int? { channel.localAddress?.port }

    /// Stops or resumes reading the socket: while stopped, what the server sends waits in the
    /// kernel's buffers and then in the server's, as with a client that has stalled.
    public func setReading(_ reading: Bool) async throws {
        try await channel.setOption(ChannelOptions.autoRead, value: reading).get()
    }

    /// Closes the TCP connection without a close frame.
    public func disconnect() async {
        try? await channel.close()
    }
}

extension TestWebSocketClient {
    /// The next text frame as a string.
    public func nextText(timeout: Duration = .seconds(10)) async throws -> String {
        let frame = try await nextData(timeout: timeout)
        return String(decoding: frame.payload, as: UTF8.self)
    }

    /// The next JSON hub message that is not a Ping, without its record separator.
    public func nextMessage(timeout: Duration = .seconds(10)) async throws -> String {
        while true {
            let text = try await nextText(timeout: timeout)
            for part in text.split(separator: "\u{1e}") where part != "{\"type\":6}" {
                return String(part)
            }
        }
    }
}

/// The client's pipeline: HTTP response head first, then unmasked server frames.
private final class TestWebSocketHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: touched on the channel's event loop only.
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let events: TestEventQueue<TestWebSocketClient.Event>
    let upgrade: TestEventQueue<Result<Void, TestWebSocketClient.UpgradeRefused>>
    var buffer = ByteBuffer()
    var upgraded = false
    var refusedStatus: Int?
    var sentClose = false

    init(
        events: TestEventQueue<TestWebSocketClient.Event>,
        upgrade: TestEventQueue<Result<Void, TestWebSocketClient.UpgradeRefused>>
    ) {
        self.events = events
        self.upgrade = upgrade
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        buffer.writeBuffer(&input)
        if !upgraded && refusedStatus == nil {
            let view = buffer.readableBytesView
            guard let end = view.firstRange(of: Array("\r\n\r\n".utf8)) else { return }
            let headLength = end.upperBound - view.startIndex
            let head = buffer.readString(length: headLength) ?? ""
            let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
            if status == 101 {
                upgraded = true
                upgrade.push(.success(()))
            } else {
                refusedStatus = status
                return
            }
        }
        guard upgraded else { return }
        while let frame = Self.parseFrame(&buffer) {
            if frame.opcode == TestWebSocketClient.close && !sentClose {
                // Answer like a browser: echo the status code, masked.
                sentClose = true
                let mask: [UInt8] = [1, 2, 3, 4]
                var reply = ByteBuffer()
                reply.writeInteger(UInt8(0x88))
                reply.writeInteger(UInt8(0x80 | min(frame.payload.count, 2)))
                reply.writeBytes(mask)
                reply.writeBytes(frame.payload.prefix(2).enumerated().map { $0.element ^ mask[$0.offset] })
                context.writeAndFlush(NIOAny(reply), promise: nil)
            }
            events.push(.frame(opcode: frame.opcode, payload: frame.payload))
        }
        buffer.discardReadBytes()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let refusedStatus {
            let text = buffer.readString(length: buffer.readableBytes) ?? ""
            upgrade.push(.failure(.init(status: refusedStatus, response: text)))
        } else if !upgraded {
            upgrade.push(.failure(.init(status: 0, response: "closed before the upgrade response")))
        }
        events.push(.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    static func parseFrame(_ buffer: inout ByteBuffer) -> (opcode: UInt8, payload: [UInt8])? {
        let start = buffer.readerIndex
        guard let first = buffer.readInteger(as: UInt8.self), let second = buffer.readInteger(as: UInt8.self) else {
            buffer.moveReaderIndex(to: start)
            return nil
        }
        var length = Int(second & 0x7F)
        if length == 126 {
            guard let value = buffer.readInteger(as: UInt16.self) else {
                buffer.moveReaderIndex(to: start)
                return nil
            }
            length = Int(value)
        } else if length == 127 {
            guard let value = buffer.readInteger(as: UInt64.self) else {
                buffer.moveReaderIndex(to: start)
                return nil
            }
            length = Int(value)
        }
        var mask: [UInt8]?
        if second & 0x80 != 0 {
            guard let bytes = buffer.readBytes(length: 4) else {
                buffer.moveReaderIndex(to: start)
                return nil
            }
            mask = bytes
        }
        guard var payload = buffer.readBytes(length: length) else {
            buffer.moveReaderIndex(to: start)
            return nil
        }
        if let mask { payload = payload.enumerated().map { $0.element ^ mask[$0.offset % 4] } }
        return (first & 0x0F, payload)
    }
}
