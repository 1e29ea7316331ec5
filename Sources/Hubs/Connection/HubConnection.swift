import HubProtocol
import NIOCore
import Synchronization

/// One connected client after its handshake: who it is, what it asked for, and how to write to it.
///
/// Hub code sees it as ``HubCallerContext/connection``; lifetime managers keep it to deliver
/// messages. It is safe to use from any task; writes hop to the connection's event loop.
public final class HubConnection: Sendable {
    /// The public connection id (what `Clients.Client(id)` addresses and channel names carry).
    public let connectionId: String
    /// The user the authentication hook attached.
    public let user: HubUser
    /// The request that opened the connection.
    public let request: HubConnectionRequest
    /// Storage for hub code.
    public let items: HubConnectionItems
    /// The protocol the handshake chose.
    public let hubProtocol: any HubProtocol
    /// The protocol version the handshake asked for (1, or 2 for stateful reconnect).
    public let protocolVersion: Int
    /// The event loop the connection lives on.
    public let eventLoop: any EventLoop
    /// The hub's name (for example `SignalRHubs.LearningHub`).
    public let hubName: String

    let session: HubConnectionSession
    private let aborted = Atomic<Bool>(false)

    init(session: HubConnectionSession, hubProtocol: any HubProtocol, protocolVersion: Int) {
        self.connectionId = session.connectionId
        self.user = session.user
        self.request = session.request
        self.items = HubConnectionItems()
        self.hubProtocol = hubProtocol
        self.protocolVersion = protocolVersion
        self.eventLoop = session.transport.eventLoop
        self.hubName = session.endpoint.definition.name
        self.session = session
    }

    /// Whether the connection has ended (client results then fail at once).
    public var isAborted: Bool { aborted.load(ordering: .acquiring) }

    func markAborted() {
        aborted.store(true, ordering: .releasing)
    }

    /// The user id, when the connection has one.
    public var userIdentifier: String? { user.identifier }

    /// Sends `message` to this connection and flushes; from any task. Dropped once the
    /// connection has closed.
    public func send(_ message: SerializedHubMessage) {
        let bytes: ByteBuffer
        do {
            bytes = try message.serialized(for: hubProtocol)
        } catch {
            session.logSerializationFailure(error)
            return
        }
        sendFramed(bytes)
    }

    /// Sends one hub message written in this connection's protocol.
    func send(_ message: HubMessage) {
        do {
            sendFramed(try hubProtocol.serialize(message))
        } catch {
            session.logSerializationFailure(error)
        }
    }

    /// Sends one hub message and returns once it is queued on the event loop.
    func sendAndWait(_ message: HubMessage) async throws {
        let framed: ByteBuffer
        do {
            framed = try hubProtocol.serialize(message)
        } catch {
            session.logSerializationFailure(error)
            return
        }
        let wire = session.wireEncoding.wireBytes(for: framed, format: hubProtocol.transferFormat)
        let session = self.session
        try await eventLoop.submit {
            session.writeWire(wire)
            session.flush()
        }.get()
    }

    private func sendFramed(_ framed: ByteBuffer) {
        let wire = session.wireEncoding.wireBytes(for: framed, format: hubProtocol.transferFormat)
        if eventLoop.inEventLoop {
            session.writeWire(wire)
            session.flush()
        } else {
            let session = self.session
            eventLoop.execute {
                session.writeWire(wire)
                session.flush()
            }
        }
    }

    /// Closes the connection from the server: a Close message (with `error` when given), then the
    /// transport ends. Hub code calls this as ASP.NET Core's `Context.Abort()`.
    public func abort(error: String? = nil) {
        let session = self.session
        eventLoop.execute {
            session.close(with: CloseMessage(error: error, allowReconnect: false), normal: error == nil)
        }
    }
}

extension HubConnection: Hashable {
    /// Identity.
    public static func == (lhs: HubConnection, rhs: HubConnection) -> Bool { lhs === rhs }
    /// Identity.
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}
