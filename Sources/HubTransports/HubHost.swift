import HTTPTypes
import Hubs
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The hubs one HTTP server hosts, each at its own path; also the service that closes their
/// connections on graceful shutdown.
///
/// ```swift
/// let hubs = HubHost(logger: logger)
/// hubs.addHub(endpoint, at: "/learningHub")
/// let router = Router()
/// router.addHubs(hubs)                     // negotiate, and the other HTTP requests of a hub
/// let app = Application(
///     router: router, server: .hubs(hubs),  // HTTP/1.1 plus the hubs' WebSocket upgrades
///     configuration: .init(address: .hostname("127.0.0.1", port: 0)),
///     services: [hubs])
/// ```
///
/// Add hubs before the server starts. On graceful shutdown (or when the server quiesces) every
/// hub's connections get a Close message (allowing a reconnect) and their sockets close.
public final class HubHost: Service, Sendable {
    private struct State {
        var hubs: [HubRegistration] = []
        var shuttingDown = false
    }

    let logger: Logger
    private let state = Mutex(State())

    /// A host with no hubs yet.
    public init(logger: Logger = Logger(label: "switchboard.hub-transports")) {
        self.logger = logger
    }

    /// Serves `endpoint` at `path` (`/learningHub`): `POST {path}/negotiate`, WebSockets at
    /// `{path}`, and the other HTTP requests of SignalR's transports.
    ///
    /// - Parameters:
    ///   - authenticate: decides who each negotiate and WebSocket request comes from; `nil`:
    ///     everyone, anonymously.
    public func addHub(
        _ endpoint: HubEndpoint, at path: String, options: HubRouteOptions = HubRouteOptions(),
        authenticate: HubAuthenticator? = nil
    ) {
        precondition(path.hasPrefix("/"), "A hub path starts with '/': \(path)")
        let registration = HubRegistration(
            path: Self.normalize(path), endpoint: endpoint, options: options, authenticate: authenticate)
        state.withLock { state in
            precondition(
                !state.hubs.contains { $0.path == registration.path }, "Two hubs are mapped at \(path).")
            state.hubs.append(registration)
        }
    }

    /// The endpoints served.
    public var endpoints: [HubEndpoint] { state.withLock { $0.hubs.map(\.endpoint) } }

    /// Waits for graceful shutdown, then closes every hub's connections.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdownHubs()
    }

    /// Closes every hub's connections with a Close message (once; later calls return at once).
    public func shutdownHubs() async {
        let hubs = state.withLock { state -> [HubRegistration] in
            if state.shuttingDown { return [] }
            state.shuttingDown = true
            return state.hubs
        }
        for hub in hubs { await hub.endpoint.shutdown() }
    }

    /// Called from a WebSocket channel when the server quiesces: the server waits for those
    /// channels to close, so the hubs must close them now.
    func quiesce() {
        let first = state.withLock { !$0.shuttingDown }
        if first { Task { await self.shutdownHubs() } }
    }

    // MARK: Routing

    enum Route {
        case negotiate(HubRegistration)
        case connection(HubRegistration)

        var hub: HubRegistration {
            switch self {
            case .negotiate(let hub), .connection(let hub): return hub
            }
        }
    }

    /// The hub a request path belongs to (case-insensitive, one trailing slash ignored, as
    /// ASP.NET Core's routing matches).
    func route(path: String) -> Route? {
        let path = Self.normalize(path)
        return state.withLock { state in
            for hub in state.hubs {
                if path == hub.path { return .connection(hub) }
                if path.count == hub.path.count + 10, path.hasPrefix(hub.path), path.hasSuffix("/negotiate") {
                    return .negotiate(hub)
                }
            }
            return nil
        }
    }

    private static func normalize(_ path: String) -> String {
        var path = path.lowercased()
        if path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }

    /// The request as hub code sees it; the `id` query item (the secret connection token) is left
    /// out so hub code cannot log it.
    static func connectionRequest(
        uri: HubRequestURI, headers: [(name: String, value: String)], remoteAddress: SocketAddress?
    ) -> HubConnectionRequest {
        HubConnectionRequest(
            path: uri.path, headers: headers, query: uri.query.filter { $0.name.lowercased() != "id" },
            remoteAddress: remoteAddress.flatMap { address in
                guard let ip = address.ipAddress, let port = address.port else { return nil }
                return address.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
            })
    }
}

extension HubHost {
    /// The largest WebSocket frame any hub accepts (NIO's decoder takes one bound per channel,
    /// set before the request path is known).
    var maximumWebSocketFrameSize: Int {
        state.withLock { state in state.hubs.map(\.maximumWebSocketFrameSize).max() ?? (1 << 16) }
    }
}
