import Foundation
import HubProtocol
import HubTestSupport
import NIOCore
import Synchronization
import Testing

/// A hub client over a real WebSocket for backplane tests: it knows its connection id, reads hub
/// messages one at a time (several in one frame included) and skips Pings.
final class BackplanePeer: Sendable {
    let socket: TestWebSocketClient
    let id: String
    let hubProtocol: any HubProtocol
    private let pending = Mutex<[HubMessage]>([])
    private let decoder: Mutex<HubMessageDecoder>

    private init(socket: TestWebSocketClient, id: String, hubProtocol: any HubProtocol) {
        self.socket = socket
        self.id = id
        self.hubProtocol = hubProtocol
        self.decoder = Mutex(HubMessageDecoder(hubProtocol: hubProtocol, maximumMessageSize: nil))
    }

    static func connect(
        port: Int, path: String = BackplaneTestNode.path, user: String? = nil, protocolName: String = "json",
        learnId: Bool = true
    ) async throws -> BackplanePeer {
        let query = user.map { "?user=\($0)" } ?? ""
        let socket = try await TestWebSocketClient.connect(port: port, path: path + query)
        try await socket.sendHandshake(protocolName)
        let reply = try await socket.nextData(timeout: .seconds(60))
        guard reply.payload == Array("{}\u{1e}".utf8) else {
            throw TestTimeoutError(description: "handshake refused: \(String(decoding: reply.payload, as: UTF8.self))")
        }
        let hubProtocol: any HubProtocol = protocolName == "json" ? JSONHubProtocol() : MessagePackHubProtocol()
        let probe = BackplanePeer(socket: socket, id: "", hubProtocol: hubProtocol)
        guard learnId else { return probe }
        // A blocking call is answered after onConnected, so the connection is registered (and its
        // channel subscribed) when this returns.
        let id = try await probe.call("WhoAmI").decode(String.self)
        return BackplanePeer(socket: socket, id: id, hubProtocol: hubProtocol)
    }

    /// Sends an invocation without an id (no Completion comes back).
    func send(_ target: String, _ arguments: any Encodable & Sendable...) async throws {
        try await write(
            .invocation(InvocationMessage(target: target, arguments: HubArguments(arguments.map { HubValue($0) }))))
    }

    /// Invokes `target` and returns its result once its Completion arrives (so whatever it sent has
    /// been published); fails on an error Completion.
    @discardableResult
    func call(_ target: String, _ arguments: any Encodable & Sendable...) async throws -> HubValue {
        let invocationId = "call-\(UInt32.random(in: 0...UInt32.max))"
        try await write(
            .invocation(
                InvocationMessage(
                    invocationId: invocationId, target: target, arguments: HubArguments(arguments.map { HubValue($0) }))
            ))
        // Messages that arrive before the Completion are kept, in order, for `next()`.
        var held: [HubMessage] = []
        let completion: CompletionMessage
        while true {
            let message = try await next()
            if case .completion(let c) = message, c.invocationId == invocationId {
                completion = c
                break
            }
            held.append(message)
        }
        pending.withLock { $0.insert(contentsOf: held, at: 0) }
        switch completion.outcome {
        case .void: return .null
        case .result(let value): return value
        case .error(let text): throw TestTimeoutError(description: "\(target) failed: \(text)")
        }
    }

    func write(_ message: HubMessage) async throws {
        let bytes = try hubProtocol.serialize(message)
        let opcode = hubProtocol.transferFormat == .text ? TestWebSocketClient.text : TestWebSocketClient.binary
        try await socket.send(opcode: opcode, Array(bytes.readableBytesView))
    }

    /// The next hub message that is not a Ping.
    func next(timeout: Duration = .seconds(60)) async throws -> HubMessage {
        while true {
            if let message = pending.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
                if case .ping = message { continue }
                return message
            }
            let frame = try await socket.nextData(timeout: timeout)
            var buffer = ByteBuffer(bytes: frame.payload)
            let messages = try decoder.withLock { decoder -> [HubMessage] in
                var messages: [HubMessage] = []
                while let message = try decoder.next(&buffer) { messages.append(message) }
                return messages
            }
            pending.withLock { $0.append(contentsOf: messages) }
        }
    }

    /// The text of the next message, which must be `Receive(text)`.
    func nextReceived(_ target: String = "Receive", timeout: Duration = .seconds(60)) async throws -> String {
        let message = try await next(timeout: timeout)
        guard case .invocation(let invocation) = message, invocation.target == target,
            invocation.arguments.count == 1
        else { throw TestTimeoutError(description: "expected Receive, got \(message)") }
        return try invocation.arguments[0].decode(String.self)
    }

    /// The texts of the `target` messages received before `marker` (a text equal to it, or a
    /// LearningHub text ending in `Message: <marker>`).
    func drain(until marker: String, target: String = "Receive") async throws -> [String] {
        var extra: [String] = []
        while true {
            let text = try await nextReceived(target)
            if text == marker || text.hasSuffix("Message: \(marker)") { return extra }
            extra.append(text)
        }
    }

    func disconnect() async {
        await socket.disconnect()
    }
}

/// After an action that is complete (a `call` returned, so what it sent is published), has
/// `sender` broadcast a marker with `method` and checks that each peer received exactly
/// `expected[peer]` (as `target` messages) before it: nothing missed, duplicated or misdirected.
func expectDelivered(
    _ expected: [(BackplanePeer, [String])], markerFrom sender: BackplanePeer, method: String = "Broadcast",
    target: String = "Receive", sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let marker = "marker-\(UInt32.random(in: 0...UInt32.max))"
    try await sender.call(method, marker)
    for (peer, texts) in expected {
        let got = try await peer.drain(until: marker, target: target)
        #expect(got == texts, "connection \(peer.id)", sourceLocation: sourceLocation)
    }
}
