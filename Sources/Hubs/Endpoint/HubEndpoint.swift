import HubProtocol
import Logging
import Metrics
import NIOCore
import Synchronization

/// A hub served at one path: its definition, options and lifetime manager, and the sessions of
/// its connections. Transports create a session per connection with
/// ``makeSession(transport:connectionId:user:request:)``.
public final class HubEndpoint: Sendable {
    /// The hub.
    public let definition: HubDefinition
    /// The options.
    public let options: HubOptions
    /// Where messages go.
    public let lifetimeManager: any HubLifetimeManager
    /// The logger sessions derive theirs from.
    public let logger: Logger
    /// The protocols offered (``HubOptions/protocolNames`` that exist).
    public let protocols: [any HubProtocol]
    let metrics: HubMetrics
    private let tickers = Mutex<[ObjectIdentifier: HubEventLoopTicker]>([:])

    /// Serves `definition`; without a lifetime manager, connections live in memory on this node.
    /// Metrics go to `metricsFactory`, or to the process's `MetricsSystem` when it is `nil`.
    public init(
        definition: HubDefinition, options: HubOptions = HubOptions(),
        lifetimeManager: (any HubLifetimeManager)? = nil, logger: Logger = Logger(label: "switchboard.hubs"),
        metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.definition = definition
        self.options = options
        self.lifetimeManager = lifetimeManager ?? InMemoryHubLifetimeManager()
        self.logger = logger
        self.protocols = options.protocolNames.compactMap { name -> (any HubProtocol)? in
            switch name.lowercased() {
            case "json": return JSONHubProtocol()
            case "messagepack": return MessagePackHubProtocol()
            default: return nil
            }
        }
        self.metrics = HubMetrics(hub: definition.name, factory: metricsFactory ?? MetricsSystem.factory)
    }

    /// Sends from outside the hub (an HTTP handler, a background task).
    public var context: HubContext { HubContext(lifetimeManager: lifetimeManager) }

    /// The names of the protocols offered.
    public var protocolNames: [String] { protocols.map(\.name) }

    /// Starts the server side of a new connection; call on `transport.eventLoop`. The session
    /// expects the handshake first.
    public func makeSession(
        transport: any HubTransport, connectionId: String, user: HubUser = .anonymous,
        request: HubConnectionRequest
    ) -> HubConnectionSession {
        let loop = transport.eventLoop
        loop.assertInEventLoop()
        let ticker = self.ticker(for: loop)
        let session = HubConnectionSession(
            endpoint: self, transport: transport, connectionId: connectionId, user: user, request: request,
            ticker: ticker)
        ticker.add(session)
        return session
    }

    /// Closes every connection with a Close message (no error) and stops the timers.
    ///
    /// At server shutdown the Close allows reconnecting (`allowReconnect: true`), so clients with
    /// automatic reconnect (JavaScript's `withAutomaticReconnect`, .NET's `WithAutomaticReconnect`)
    /// reconnect — through a load balancer, to another node — as they do when an ASP.NET Core
    /// server stops (its transports end without a Close). A Close without it would stop them for good.
    public func shutdown(allowReconnect: Bool = true) async {
        let tickers = self.tickers.withLock { Array($0.values) }
        for ticker in tickers {
            try? await ticker.eventLoop.submit {
                for session in ticker.allSessions {
                    session.close(with: CloseMessage(allowReconnect: allowReconnect), normal: true)
                }
                ticker.stop()
            }.get()
        }
    }

    private func ticker(for loop: any EventLoop) -> HubEventLoopTicker {
        tickers.withLock { tickers in
            let key = ObjectIdentifier(loop)
            if let ticker = tickers[key] { return ticker }
            let ticker = HubEventLoopTicker(eventLoop: loop, period: Self.tickPeriod(options))
            tickers[key] = ticker
            return ticker
        }
    }

    /// A quarter of the shortest interval, at most 1 s (ASP.NET Core's heartbeat is 1 s).
    static func tickPeriod(_ options: HubOptions) -> TimeAmount {
        let shortest = min(options.keepAliveInterval, options.clientTimeoutInterval, options.handshakeTimeout)
        return max(.milliseconds(5), min(.seconds(1), .nanoseconds(shortest.nanoseconds / 4)))
    }

    /// A new connection id (or token): 16 random bytes, base64url without padding (22
    /// characters), as ASP.NET Core makes them.
    public static func makeConnectionId() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for _ in 0..<2 {
            withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        return Base64URL.encode(bytes)
    }
}

/// Counters of one hub.
struct HubMetrics: Sendable {
    let connections: Meter
    let slowConsumerDisconnects: Counter
    let messagesDropped: Counter

    init(hub: String, factory: any MetricsFactory) {
        connections = Meter(label: "switchboard_hub_connections", dimensions: [("hub", hub)], factory: factory)
        slowConsumerDisconnects = Counter(
            label: "switchboard_hub_slow_consumer_disconnects", dimensions: [("hub", hub)], factory: factory)
        messagesDropped = Counter(
            label: "switchboard_hub_messages_dropped", dimensions: [("hub", hub), ("reason", "serialization")],
            factory: factory)
    }
}

/// Base64url without padding (RFC 4648 §5).
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= bytes.count {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(alphabet[Int(n & 63)])
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let n = UInt32(bytes[index]) << 16
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
        } else if rest == 2 {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
