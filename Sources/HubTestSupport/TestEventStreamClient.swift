import NIOCore
import NIOPosix
import Synchronization

/// A raw Server-Sent Events client for tests: one `GET` with `Accept: text/event-stream`, the
/// response head checked, then the body (chunked, as a streamed response is) split into events.
/// Each event's `data:` lines are joined with `\n`, as a browser's EventSource does.
public final class TestEventStreamClient: Sendable {
    /// The response's status code and header fields (names lowercased).
    public let status: Int
    public let headers: [String: String]
    private let channel: any Channel
    private let received: TestEventQueue<ByteBuffer?>
    private let state: Mutex<(raw: [UInt8], text: [UInt8], ended: Bool)>

    private init(
        status: Int, headers: [String: String], channel: any Channel, received: TestEventQueue<ByteBuffer?>,
        rest: [UInt8]
    ) {
        self.status = status
        self.headers = headers
        self.channel = channel
        self.received = received
        self.state = Mutex((rest, [], false))
    }

    /// Opens the stream at `path` on `127.0.0.1:port` and reads the response head.
    public static func connect(
        port: Int, path: String, headers: [(String, String)] = [], timeout: Duration = .seconds(10)
    ) async throws -> TestEventStreamClient {
        let (channel, received) = try await TestByteCollector.connect(port: port)
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: text/event-stream\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request))
        var bytes: [UInt8] = []
        while true {
            if let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = try TestHTTPClient.parse(ByteBuffer(bytes: bytes[..<end.upperBound]))
                return TestEventStreamClient(
                    status: head.status, headers: head.headers, channel: channel, received: received,
                    rest: Array(bytes[end.upperBound...]))
            }
            guard let part = try await received.next(timeout: timeout) else {
                throw TestTimeoutError(description: "The event stream closed before its response head")
            }
            bytes.append(contentsOf: part.readableBytesView)
        }
    }

    /// The next event's data; `nil` once the stream has ended.
    public func nextEvent(timeout: Duration = .seconds(10)) async throws -> String? {
        while true {
            if let event = takeEvent() { return event }
            if state.withLock({ $0.ended }) { return nil }
            let part = try await received.next(timeout: timeout)
            state.withLock { state in
                if let part {
                    state.raw.append(contentsOf: part.readableBytesView)
                    Self.dechunk(&state)
                } else {
                    state.ended = true
                }
            }
        }
    }

    /// Closes the connection (the client goes away).
    public func close() async {
        try? await channel.close()
    }

    private func takeEvent() -> String? {
        state.withLock { state in
            Self.dechunk(&state)
            // Blank lines before any data (the stream's opening `\r\n`) are not events.
            while state.text.starts(with: Array("\r\n".utf8)) { state.text.removeFirst(2) }
            guard let end = state.text.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
            let block = String(decoding: state.text[..<end.lowerBound], as: UTF8.self)
            state.text.removeSubrange(..<end.upperBound)
            return block.components(separatedBy: "\r\n")
                .filter { $0.hasPrefix("data: ") }
                .map { String($0.dropFirst(6)) }
                .joined(separator: "\n")
        }
    }

    /// Moves whole chunks of the chunked body from `raw` to `text`; the last chunk ends the stream.
    private static func dechunk(_ state: inout (raw: [UInt8], text: [UInt8], ended: Bool)) {
        while let lineEnd = state.raw.firstRange(of: Array("\r\n".utf8)) {
            let sizeText = String(decoding: state.raw[..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16) else { return }
            if size == 0 {
                state.ended = true
                state.raw.removeAll()
                return
            }
            let start = lineEnd.upperBound
            guard start + size + 2 <= state.raw.count else { return }
            state.text.append(contentsOf: state.raw[start..<(start + size)])
            state.raw.removeSubrange(..<(start + size + 2))
        }
    }
}

/// Collects a connection's bytes into a queue; `nil` when it closes.
final class TestByteCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let received: TestEventQueue<ByteBuffer?>

    init(received: TestEventQueue<ByteBuffer?>) {
        self.received = received
    }

    /// Connects to `127.0.0.1:port`: the channel, and the queue its bytes arrive in.
    static func connect(port: Int) async throws -> (any Channel, TestEventQueue<ByteBuffer?>) {
        let received = TestEventQueue<ByteBuffer?>()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(TestByteCollector(received: received))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return (channel, received)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received.push(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        received.push(nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
