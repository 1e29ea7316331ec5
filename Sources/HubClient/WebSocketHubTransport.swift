import HTTPTypes
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOWebSocket
import WSClient

/// One WebSocket to a hub, opened with swift-websocket's client: whole messages in, in order,
/// to `onMessage`; frames out through ``send(_:binary:)``; `onEnd` once when the socket ends.
final class WebSocketHubTransport: Sendable {
    private let outbound: WebSocketOutboundWriter
    private let task: Task<Void, Never>
    private let readGate: AsyncStream<Void>.Continuation
    private let identity: Identity

    /// Names a socket's task, so ``close()`` called from inside it (a handler calling `stop()`)
    /// does not wait for itself.
    final class Identity: Sendable {}
    @TaskLocal static var running: Identity?

    private init(
        outbound: WebSocketOutboundWriter, task: Task<Void, Never>, readGate: AsyncStream<Void>.Continuation,
        identity: Identity
    ) {
        self.outbound = outbound
        self.task = task
        self.readGate = readGate
        self.identity = identity
    }

    /// Starts handing messages to `onMessage`. Until then what arrives waits in the socket, so
    /// the owner can get ready for it (a server may write right after the upgrade).
    func startReading() {
        readGate.finish()
    }

    /// Opens the WebSocket at `url`; returns once the upgrade succeeded, or throws when it fails or
    /// takes longer than `timeout`.
    ///
    /// After ``startReading()``, `onMessage` gets every message's bytes (at most the options'
    /// `maximumReceiveMessageSize`), one at a time (the next is read once it returns); `onEnd` is
    /// called once when the socket ends, with the error that ended it (`nil` for a
    /// close handshake).
    static func connect(
        url: String, headers: [(name: String, value: String)], options: HubConnectionOptions, timeout: Duration,
        onMessage: @escaping @Sendable (ByteBuffer) async -> Void,
        onEnd: @escaping @Sendable ((any Error)?) async -> Void
    ) async throws(HubClientError) -> WebSocketHubTransport {
        var configuration = WebSocketClientConfiguration(
            maxFrameSize: options.maximumReceiveMessageSize, closeTimeout: .seconds(2))
        for (name, value) in headers {
            guard let fieldName = HTTPField.Name(name) else { continue }
            configuration.additionalHeaders.append(HTTPField(name: fieldName, value: value))
        }
        let (opened, openedContinuation) = AsyncThrowingStream<WebSocketOutboundWriter, any Error>.makeStream()
        let (gate, readGate) = AsyncStream<Void>.makeStream()
        let maximumSize = options.maximumReceiveMessageSize
        let tls = options.tlsConfiguration
        let group = options.eventLoopGroup
        let logger = options.logger
        let identity = Identity()
        let task = Task {
            await Self.$running.withValue(identity) {
                var failure: (any Error)?
                do {
                    try await WebSocketClient.connect(
                        url: url, configuration: configuration, tlsConfiguration: tls, eventLoopGroup: group,
                        logger: logger
                    ) { inbound, outbound, _ in
                        openedContinuation.yield(outbound)
                        for await _ in gate {}
                        // Whole messages as bytes, straight from the frames: a text message is
                        // never turned into a String and back (the hub protocol reads bytes).
                        var message = ByteBuffer()
                        for try await frame in inbound {
                            if frame.opcode != .continuation {
                                message = ByteBuffer()
                                // The usual case, one frame per message, goes as it came.
                                if frame.fin {
                                    await onMessage(frame.data)
                                    continue
                                }
                            }
                            var data = frame.data
                            guard message.readableBytes + data.readableBytes <= maximumSize else {
                                throw WebSocketClientError.serverSentMessageTooLarge
                            }
                            message.writeBuffer(&data)
                            if frame.fin { await onMessage(message) }
                        }
                    }
                } catch {
                    failure = error
                }
                openedContinuation.finish(throwing: failure ?? CancellationError())
                await onEnd(failure)
            }
        }
        // The upgrade is bounded here, whether or not the socket notices the task's cancellation.
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            openedContinuation.finish(
                throwing: HubClientError(.transportFailed, "the upgrade timed out after \(timeout)"))
        }
        defer { watchdog.cancel() }
        do {
            var iterator = opened.makeAsyncIterator()
            guard let outbound = try await iterator.next() else { throw CancellationError() }
            return WebSocketHubTransport(outbound: outbound, task: task, readGate: readGate, identity: identity)
        } catch {
            task.cancel()
            readGate.finish()
            throw HubClientError(
                .transportFailed, "Unable to connect to the server with WebSockets: \(describe(error)).")
        }
    }

    /// Writes one message: binary for MessagePack, text for JSON.
    func send(_ bytes: ByteBuffer, binary: Bool) async throws(HubClientError) {
        do {
            // A text frame straight from the bytes (`.text` would want a String, copied twice).
            try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: binary ? .binary : .text, data: bytes)))
        } catch {
            throw HubClientError(.connectionClosed, "The WebSocket is closed: \(Self.describe(error)).")
        }
    }

    /// Starts the close handshake and waits until the socket has ended (at most the close
    /// timeout; then the socket is torn down).
    func close() async {
        readGate.finish()
        try? await outbound.close(.normalClosure, reason: nil)
        // From inside the socket's own task the end cannot be awaited: it comes after we return.
        if Self.running === identity { return }
        let task = self.task
        let watchdog = Task {
            try? await Task.sleep(for: .seconds(3))
            task.cancel()
        }
        await task.value
        watchdog.cancel()
    }

    /// Tears the socket down without a close handshake.
    func abort() {
        readGate.finish()
        task.cancel()
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HubClientError { return error.message }
        if let error = error as? WebSocketClientError { return error.description }
        return describeConnectError(error)
    }
}
