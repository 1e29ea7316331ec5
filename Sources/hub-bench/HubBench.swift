import ArgumentParser
import HubBenchCore
import NIOCore

/// `hub-bench`: a load generator for SignalR hub nodes (issue 6). See `--help`.
@main
struct HubBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub-bench",
        abstract:
            "Load generator for SignalR hub nodes: delivered messages/s, latency, set-up rate and memory per connection.",
        discussion: """
            Scenarios (--scenario):
              broadcast  --senders connections (default 1) invoke BroadcastMessage(text); every connection receives it.
              group      SendToGroup(<--group>, text) to the one big group every LearningHub connection is in, or with \
            --group-size N many small groups: connection j joins <--group>-<j/N> with AddUserToGroup before measuring \
            (LearningHub tells every other connection about each join: connections² notices, awaited), and the senders \
            cycle through the groups.
              echo       every connection invokes SendToIndividual(<its own connection id>, text) and receives its own messages.
              idle       connections are opened and held for --duration; nothing is sent (memory per connection, with --node-pid).

            Raw WebSocket mode (--raw-websocket with --publish-url, for nchan and servers like it): the --node URLs are \
            WebSocket endpoints subscribed to as they are (no negotiate, no hub handshake), each text or binary frame is \
            one message, and the senders POST each message's text to the --publish-url URLs over keep-alive HTTP \
            connections (requests pipelined; a response completes the oldest message). Broadcast and idle only.

            Each connection does POST <hub>/negotiate?negotiateVersion=1, upgrades ws://host:port/<hub>?id=<token> \
            (straight to the hub path with --skip-negotiation) and sends the hub handshake, waiting for {} + 0x1E. \
            Connection i goes to --node i mod nodes and binds source address 127.0.0.(1 + i mod --source-addresses) \
            for IPv4 loopback nodes. At most --connect-concurrency set-ups are in flight; failures are counted per kind.

            Senders invoke with invocation ids: closed loop, --window invocations outstanding per sender, or open loop \
            at --rate invocations/s in all (split over the senders, their first sends spread over one period). The \
            text is hb:<monotonic ns>:<sender>:<sequence>, padded with x to --payload bytes. Receivers find \
            ReceiveMessage invocations by scanning frame bytes (no decoding); a message counts as delivered when its \
            send time lies in the measured window (after --warmup, --duration long), however late it arrives (up to \
            --drain-timeout after). Expected = each measured message × its recipients; lost = expected − delivered; a \
            sequence number not above the last one a connection had from that sender counts as a duplicate. Latency \
            (receive − send time, one monotonic clock) is timed on every message of the first --latency-connections \
            connections, in an HdrHistogram (µs); in open loop the send time is the scheduled one (no coordinated omission).

            hub-bench reports its own CPU in the window and its event-loop lag (how late a task due every 10 ms ran: how \
            long a socket with data ready could wait unread). --node-pid PID (repeatable) adds the resident memory of \
            those processes before connecting and after (per connection) and their CPU in the window (per delivery). \
            A progress line goes to stderr every second. Output: a summary, then RESULT key=value … on one line; with \
            --json one JSON object instead (deliveredPerSecond, latencyMicroseconds.p99, exactlyOnce, …).

            Exit status: 0 when something was delivered (idle: when every connection was set up and still open), 1 \
            otherwise, 2 when the first connection failed. Loopback only; tools/bench-hubs and tools/bench-hub build it \
            in release mode and run it.
            """
    )

    enum ProtocolOption: String, ExpressibleByArgument, CaseIterable {
        case json
        case messagepack

        var wire: HubWireProtocol { self == .json ? .json : .messagepack }
    }

    @Option(
        name: .customLong("node"),
        help: ArgumentHelp(
            "Hub URL, e.g. http://127.0.0.1:5000/learningHub (http:// or ws://). Repeat for several nodes.",
            valueName: "url"))
    var nodes: [String] = []

    @Option(help: "Scenario: broadcast, group, echo or idle.")
    var scenario: Scenario = .broadcast

    @Option(help: "The group scenario's group (with --group-size: the prefix of the small groups' names).")
    var group: String = "HubUsers"

    @Option(help: "Group scenario: members per group (many small groups); 0 sends to the one big group --group.")
    var groupSize: Int = 0

    @Option(help: "Sending connections in the broadcast and group scenarios (echo: every connection sends).")
    var senders: Int = 1

    @Option(help: "Connections to open in all, the sender included.")
    var connections: Int = 100

    @Option(help: "Seconds of measured sending.")
    var duration: Double = 10

    @Option(help: "Seconds of sending before measuring starts (after all connections are ready).")
    var warmup: Double = 1

    @Option(name: .customLong("protocol"), help: "Hub protocol: json (text frames) or messagepack (binary frames).")
    var wire: ProtocolOption = .json

    @Flag(help: "Connect the WebSocket straight to the hub path, without negotiate and ?id=.")
    var skipNegotiation = false

    @Option(help: "Closed loop: invocations each sender keeps outstanding (waiting for their Completion).")
    var window: Int = 8

    @Option(help: "Open loop: invocations per second in all, on a fixed schedule (replaces --window).")
    var rate: Double?

    @Option(help: "Open loop: most invocations waiting for a Completion; due sends past it are skipped and counted.")
    var maxOutstanding: Int = 10_000

    @Option(
        name: .customLong("payload"),
        help: "Minimum length of the message text in bytes (the hb: marker is padded with x).")
    var messageSize: Int = 0

    @Option(help: "Time every message on this many connections (the first ones, so spread over nodes).")
    var latencyConnections: Int = 100

    @Option(help: "Connection set-ups in flight at once.")
    var connectConcurrency: Int = 100

    @Option(
        help:
            "Receiving event-loop threads of hub-bench (default: the CPUs it may run on). Broadcast and group runs add one for the senders."
    )
    var threads: Int = allowedCPUCount()

    @Option(
        help:
            "How the receiving loops read while measuring: 'raw' (their own epoll set, polled, and read(2); the default) or 'nio' (SwiftNIO's channels)."
    )
    var receive: ReceivePath = .raw

    @Flag(help: "Keep the senders on the receiving loops instead of a loop of their own.")
    var noSenderLoop = false

    @Option(
        help: ArgumentHelp(
            "Write one CSV line per measured message: sender, sequence, due time (ms into the window), how late it was sent, its round trip, and the first and last receive latency among the timed connections (µs).",
            valueName: "path"))
    var traceFile: String?

    @Option(
        help:
            "Spread client sockets over source addresses 127.0.0.1 … 127.0.0.N (IPv4 loopback nodes; 0: the kernel's choice)."
    )
    var sourceAddresses: Int = 8

    @Option(
        name: .customLong("node-pid"),
        help: ArgumentHelp("A node (or broker) process whose memory and CPU to report. Repeatable.", valueName: "pid"))
    var nodePIDs: [Int32] = []

    @Flag(
        help:
            "Raw WebSocket subscribers (nchan): the --node URLs are WebSocket endpoints (ws://host:port/sub/channel); no negotiate, no hub handshake, each frame is one message. Needs --publish-url."
    )
    var rawWebsocket = false

    @Option(
        name: .customLong("publish-url"),
        help: ArgumentHelp(
            "Raw mode: the senders POST each message to this URL (e.g. http://127.0.0.1:8080/pub/bench), one keep-alive connection per sender. Repeatable.",
            valueName: "url"))
    var publishURLs: [String] = []

    @Flag(help: "Print the report as one JSON object on stdout (the summary goes to stderr).")
    var json = false

    @Flag(name: .customLong("no-progress"), help: "No progress line every second.")
    var noProgress = false

    @Option(help: "Seconds to wait after the window for messages still on their way.")
    var drainTimeout: Double = 5

    @Option(help: "Seconds allowed for each set-up step: TCP connect, negotiate, upgrade, handshake.")
    var timeout: Double = 10

    @Option(help: "Seconds between the client Pings each connection sends.")
    var pingInterval: Double = 15

    @Option(help: "Largest WebSocket frame accepted from the hub, in bytes.")
    var maxFrameSize: Int = 1 << 20

    func validate() throws {
        guard !nodes.isEmpty else { throw ValidationError("give at least one --node") }
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1") }
        guard duration > 0, warmup >= 0, drainTimeout >= 0, timeout > 0, pingInterval > 0 else {
            throw ValidationError(
                "--duration, --timeout and --ping-interval must be positive; --warmup and --drain-timeout not negative")
        }
        guard window >= 1 else { throw ValidationError("--window must be at least 1") }
        if let rate { guard rate > 0 else { throw ValidationError("--rate must be positive") } }
        guard maxOutstanding >= 1, connectConcurrency >= 1, threads >= 1, latencyConnections >= 0,
            messageSize >= 0, maxFrameSize >= 1024, groupSize >= 0, senders >= 1, (0...254).contains(sourceAddresses)
        else {
            throw ValidationError(
                "counts must be positive (--max-frame-size at least 1024, --source-addresses 0 to 254)")
        }
        if rawWebsocket != !publishURLs.isEmpty {
            throw ValidationError("--raw-websocket and --publish-url go together")
        }
        if rawWebsocket, scenario != .broadcast, scenario != .idle {
            throw ValidationError("raw WebSocket mode has the broadcast and idle scenarios only")
        }
        if scenario == .echo, skipNegotiation {
            throw ValidationError("the echo scenario needs negotiate (each connection's id): drop --skip-negotiation")
        }
    }

    func run() async throws {
        let nodes: [HubNode]
        do {
            nodes = try self.nodes.map(HubNode.init)
        } catch {
            throw ValidationError("\(error)")
        }
        var sources: [SocketAddress] = []
        if sourceAddresses > 0, nodes.allSatisfy({ $0.address.protocol == .inet }) {
            sources = try (1...sourceAddresses).map { try SocketAddress(ipAddress: "127.0.0.\($0)", port: 0) }
        }
        var run = BenchRun(
            nodes: nodes,
            settings: ConnectionSettings(
                wire: wire.wire, skipNegotiation: skipNegotiation, timeout: .seconds(seconds: timeout),
                latencyConnections: latencyConnections, maxFrameSize: maxFrameSize, sourceAddresses: sources,
                raw: rawWebsocket),
            connections: connections,
            mode: rate.map { .openLoop(rate: $0, maxOutstanding: maxOutstanding) } ?? .closedLoop(window: window),
            warmup: scenario == .idle ? 0 : warmup, duration: duration, drainTimeout: drainTimeout,
            pingInterval: .seconds(seconds: pingInterval), connectConcurrency: connectConcurrency,
            threads: threads, messageSize: messageSize)
        run.scenario = scenario
        run.group = group
        run.groupSize = groupSize
        run.senders = senders
        run.senderLoop = !noSenderLoop
        run.receive = receive
        run.traceFile = traceFile
        run.watched = nodePIDs.map(WatchedProcess.init)
        run.progress = !noProgress
        do {
            run.publishNodes = try publishURLs.map(HubNode.init)
        } catch {
            throw ValidationError("\(error)")
        }
        let report = try await run.run()
        if json {
            stderr(report.summary)
            print(report.json)
        } else {
            print(report.summary)
            print(report.resultLine)
        }
        let succeeded =
            scenario == .idle
            ? report.connected == connections && report.openAtEnd == connections
            : report.counters.delivered > 0
        if !succeeded { throw ExitCode(1) }
    }
}

extension Scenario: ExpressibleByArgument {}
extension ReceivePath: ExpressibleByArgument {}

extension TimeAmount {
    /// A duration given in (fractional) seconds.
    static func seconds(seconds: Double) -> TimeAmount { .nanoseconds(Int64(seconds * 1e9)) }
}
