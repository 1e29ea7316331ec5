import HubProtocol
import Hubs
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// An in-process transport: bytes the session writes are decoded into hub messages for a test to
/// await; bytes a test sends go straight into the session on the connection's event loop.
final class TestHubTransport: HubTransport, @unchecked Sendable {
    // @unchecked: `output`, `writable` and `reading` are touched on `eventLoop` only, the rest is
    // immutable or a Mutex.
    let eventLoop: any EventLoop
    let transferFormats: HubTransferFormat
    var sendsKeepAlive = true
    let wireEncoding = HubWireEncoding.identity
    var isWritable = true
    private var output = ByteBuffer()
    /// Calls to `flush()` and to `write(_:)`, on `eventLoop`.
    private(set) var flushCount = 0
    private(set) var writeCount = 0
    let events = Inbox()
    private(set) var reading = true
    let hubProtocol: any HubProtocol
    private var decoder: HubMessageDecoder
    private var handshakeDone = false

    init(eventLoop: any EventLoop, hubProtocol: any HubProtocol, transferFormats: HubTransferFormat) {
        self.eventLoop = eventLoop
        self.hubProtocol = hubProtocol
        self.transferFormats = transferFormats
        self.decoder = HubMessageDecoder(hubProtocol: hubProtocol, maximumMessageSize: nil)
    }

    func write(_ bytes: ByteBuffer) {
        writeCount += 1
        var bytes = bytes
        output.writeBuffer(&bytes)
        events.bytesWritten(bytes.writerIndex)
    }

    /// Called at the start of each `flush()`, on `eventLoop`.
    var onFlush: (() -> Void)?

    func flush() {
        onFlush?()
        flushCount += 1
        if !handshakeDone {
            guard let response = try! HandshakeResponse.parse(&output) else { return }
            handshakeDone = true
            events.push(.handshake(response))
        }
        while let message = try! decoder.next(&output) {
            events.push(.message(message))
        }
        output.discardReadBytes()
    }

    func setReading(_ enabled: Bool) {
        reading = enabled
        events.push(.reading(enabled))
    }

    func close(normal: Bool) {
        events.push(.closed(normal: normal))
    }
}

/// What a test client observed, in order.
enum ClientEvent: Sendable {
    case handshake(HandshakeResponse)
    case message(HubMessage)
    case reading(Bool)
    case closed(normal: Bool)
}

/// Events in arrival order; tests take them one at a time, waiting (with a time limit) for the
/// next one to arrive.
final class Inbox: Sendable {
    private struct State {
        var events: [ClientEvent] = []
        var head = 0
        var waiter: CheckedContinuation<Void, Never>?
        var bytes = 0
    }
    private let state = Mutex(State())

    func push(_ event: ClientEvent) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.events.append(event)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func bytesWritten(_ count: Int) {
        state.withLock { $0.bytes += count }
    }

    /// Events not yet taken, without waiting.
    func pending() -> [ClientEvent] {
        state.withLock { state in
            defer { state.head = state.events.count }
            return Array(state.events[state.head...])
        }
    }

    /// The next event; fails the test after `timeout`.
    func next(timeout: Duration = .seconds(60)) async throws -> ClientEvent {
        let deadline = ContinuousClock.now + timeout
        while true {
            let event = state.withLock { state -> ClientEvent? in
                guard state.head < state.events.count else { return nil }
                defer { state.head += 1 }
                return state.events[state.head]
            }
            if let event { return event }
            guard ContinuousClock.now < deadline else { throw TestFailure("no event within \(timeout)") }
            // Wake on the next push, or at the deadline.
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await withCheckedContinuation { continuation in
                        let ready = self.state.withLock { state -> Bool in
                            if state.head < state.events.count { return true }
                            state.waiter?.resume()
                            state.waiter = continuation
                            return false
                        }
                        if ready { continuation.resume() }
                    }
                }
                group.addTask {
                    try? await Task.sleep(until: deadline)
                    let waiter = self.state.withLock { state in
                        defer { state.waiter = nil }
                        return state.waiter
                    }
                    waiter?.resume()
                }
                await group.next()
                group.cancelAll()
            }
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A hub client driving a session in-process.
final class TestHubClient: Sendable {
    let transport: TestHubTransport
    let session: HubConnectionSession
    let hubProtocol: any HubProtocol
    private let nextId = Mutex(0)

    var connectionId: String { session.connectionId }
    var eventLoop: any EventLoop { transport.eventLoop }

    private init(transport: TestHubTransport, session: HubConnectionSession) {
        self.transport = transport
        self.session = session
        self.hubProtocol = transport.hubProtocol
    }

    /// Opens a session and sends nothing yet.
    static func open(
        _ endpoint: HubEndpoint, hubProtocol: any HubProtocol = JSONHubProtocol(), user: HubUser = .anonymous,
        transferFormats: HubTransferFormat = [.text, .binary], eventLoop: (any EventLoop)? = nil,
        request: HubConnectionRequest = HubConnectionRequest(path: "/hub"), sendsKeepAlive: Bool = true
    ) async throws -> TestHubClient {
        let loop = eventLoop ?? MultiThreadedEventLoopGroup.singleton.next()
        let transport = TestHubTransport(eventLoop: loop, hubProtocol: hubProtocol, transferFormats: transferFormats)
        transport.sendsKeepAlive = sendsKeepAlive
        let session = try await loop.submit {
            endpoint.makeSession(
                transport: transport, connectionId: HubEndpoint.makeConnectionId(), user: user, request: request)
        }.get()
        return TestHubClient(transport: transport, session: session)
    }

    /// Opens a session, completes the handshake and waits until the hub's `onConnected` ran (the
    /// echo of a blocking invocation of an unknown method proves the connection task is past it).
    static func connect(
        _ endpoint: HubEndpoint, hubProtocol: any HubProtocol = JSONHubProtocol(), user: HubUser = .anonymous,
        eventLoop: (any EventLoop)? = nil, request: HubConnectionRequest = HubConnectionRequest(path: "/hub"),
        sendsKeepAlive: Bool = true
    ) async throws -> TestHubClient {
        let client = try await open(
            endpoint, hubProtocol: hubProtocol, user: user, eventLoop: eventLoop, request: request,
            sendsKeepAlive: sendsKeepAlive)
        var handshake = ByteBuffer()
        HandshakeRequest(protocolName: hubProtocol.name, version: 1).write(into: &handshake)
        client.sendBytes(handshake)
        guard case .handshake(let response) = try await client.transport.events.next() else {
            throw TestFailure("expected a handshake response")
        }
        #expect(response.error == nil)
        _ = try await client.invoke("__connected__")
        return client
    }

    func sendBytes(_ bytes: ByteBuffer) {
        let session = self.session
        eventLoop.execute {
            var bytes = bytes
            session.receive(&bytes)
        }
    }

    func send(_ message: HubMessage) {
        sendBytes(try! hubProtocol.serialize(message))
    }

    func makeInvocationId() -> String {
        nextId.withLock { id in
            id += 1
            return "i\(id)"
        }
    }

    /// Sends a blocking invocation and returns its Completion; other messages that arrive
    /// first stay queued for ``nextMessage()``… no: they are returned in `before`.
    func invoke(
        _ target: String, _ arguments: HubArguments = .empty, streamIds: [String] = []
    ) async throws
        -> CompletionMessage
    {
        let id = makeInvocationId()
        send(
            .invocation(InvocationMessage(invocationId: id, target: target, arguments: arguments, streamIds: streamIds))
        )
        return try await completion(id)
    }

    /// Waits for the Completion of `id`, keeping other messages for later.
    func completion(_ id: String) async throws -> CompletionMessage {
        // It may have arrived while an earlier wait was looking for another id.
        let earlier = held.withLock { held -> CompletionMessage? in
            guard
                let index = held.firstIndex(where: {
                    if case .message(.completion(let completion)) = $0 { return completion.invocationId == id }
                    return false
                }), case .message(.completion(let completion)) = held.remove(at: index)
            else { return nil }
            return completion
        }
        if let earlier { return earlier }
        while true {
            let event = try await transport.events.next()
            if case .message(.completion(let completion)) = event, completion.invocationId == id { return completion }
            held.withLock { $0.append(event) }
        }
    }

    private let held = Mutex<[ClientEvent]>([])

    /// The next event (held ones first).
    func nextEvent(timeout: Duration = .seconds(60)) async throws -> ClientEvent {
        if let event = held.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return event }
        return try await transport.events.next(timeout: timeout)
    }

    /// The next hub message, skipping pings.
    func nextMessage(timeout: Duration = .seconds(60)) async throws -> HubMessage {
        while true {
            let event = try await nextEvent(timeout: timeout)
            switch event {
            case .message(.ping): continue
            case .message(let message): return message
            case .reading: continue
            default: throw TestFailure("expected a message, got \(event)")
            }
        }
    }

    /// The text argument of the next `method` invocation.
    func nextText(_ method: String = "ReceiveMessage") async throws -> String {
        let message = try await nextMessage()
        guard case .invocation(let invocation) = message, invocation.target == method else {
            throw TestFailure("expected \(method), got \(message)")
        }
        return try invocation.arguments.decode(String.self, at: 0)
    }

    /// Events that arrived and were not taken yet, without waiting.
    func drain() -> [ClientEvent] {
        held.withLock { held in
            defer { held.removeAll() }
            return held
        } + transport.events.pending()
    }
}

extension HubOptions {
    /// ASP.NET Core's defaults with handshake timeout and keep-alive long enough for a starved test
    /// task (on 2 cores, CPU-heavy suites running in parallel can hold every thread tasks share for
    /// seconds); tests of those timers set their own.
    static var forTests: HubOptions {
        var options = HubOptions()
        options.handshakeTimeout = .seconds(300)
        options.keepAliveInterval = .seconds(300)
        return options
    }
}
