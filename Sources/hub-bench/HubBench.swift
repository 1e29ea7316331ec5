import ArgumentParser
import HubBenchCore
import NIOCore

/// `hub-bench`: a load generator for SignalR hub nodes (issue 6). See `--help`.
@main
struct HubBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub-bench",
        abstract: "Load generator for SignalR hub nodes: delivered messages/s and latency of a broadcast.",
        discussion: """
            Scenario `broadcast` (and `group`, the same with `SendToGroup(<--group>, text)`): opens --connections WebSocket connections, spread round-robin over the \
            --node URLs (connection 0, the sender, goes to the first node). Each connection does \
            `POST <hub>/negotiate?negotiateVersion=1`, upgrades `ws://host:port/<hub>?id=<connectionToken>` \
            (straight to the hub path with --skip-negotiation) and sends the hub handshake \
            ({"protocol":"json"|"messagepack","version":1} + 0x1E), waiting for {} + 0x1E. At most \
            --connect-concurrency connects are in flight; failures are counted per kind and the run goes on \
            with the connections that succeeded.

            When every connection is ready, the sender invokes `BroadcastMessage` (one string argument, \
            `hb:<monotonic ns>`, padded with x to --message-size bytes) as blocking invocations with ids: \
            closed loop with --window invocations outstanding (the next is sent when a Completion arrives), \
            or open loop at --rate invocations/s. The hub answers with `ReceiveMessage(...)` to every \
            connection, the sender's included.

            Receivers count ReceiveMessage invocations by scanning the frame bytes (no JSON or MessagePack \
            decoding; messages are split on 0x1E or VarInt framing, not on frames) and read the `hb:` \
            marker back. Messages sent during the first --warmup seconds are not measured; then --duration \
            seconds of sends are. A message counts as delivered when its send time lies in that window, \
            however late it arrives (up to --drain-timeout after the window), so expected = sent × \
            connections and the difference is loss. Latency (receive time − send time, one monotonic clock, \
            one process) is timed on every message of the first --latency-connections connections; \
            p50/p99 come from an HdrHistogram in microseconds. In open loop the send time is the scheduled \
            one, so a stalled sender or hub shows as latency (no coordinated omission).

            Each event loop pings its connections ({"type":6} / 02 91 06) every --ping-interval seconds so a \
            hub's client timeout does not fire. At the end every connection is closed with a WebSocket \
            Close (1000). Output: a human summary, then one line for scripts:

              RESULT scenario=broadcast connections=N duration=S sent=N delivered=N
                delivered_per_s=X p50_us=N p99_us=N errors=N expected=N lost=N ...

            (on one line; sent counts measured invocations, delivered the measured ReceiveMessages; \
            further keys: connected, nodes, protocol, p999_us, max_us, latency_samples, rtt_p50_us and \
            rtt_p99_us (invocation round trip to its Completion), sent_per_s, failed_completions, skipped, \
            disconnects, connect_errors, window or rate). errors = failed set-ups + disconnects + unreadable \
            messages + server Close errors + failed Completions (+1 when the sender's connection was lost).

            Exit status: 0 when something was delivered, 1 when nothing was, 2 when the sender could not \
            connect. Loopback only; tools/bench-hubs builds it in release mode and runs it.
            """
    )

    enum Scenario: String, ExpressibleByArgument, CaseIterable {
        case broadcast
        case group
    }

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

    @Option(
        help:
            "Scenario: `broadcast` (BroadcastMessage(text)) or `group` (SendToGroup(<--group>, text); every connection must be in the group, as in LearningHub's default group HubUsers)."
    )
    var scenario: Scenario = .broadcast

    @Option(help: "The group the group scenario sends to.")
    var group: String = "HubUsers"

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

    @Option(help: "Closed loop: invocations kept outstanding (waiting for their Completion).")
    var window: Int = 8

    @Option(help: "Open loop: invocations per second on a fixed schedule (replaces --window).")
    var rate: Double?

    @Option(help: "Open loop: most invocations waiting for a Completion; due sends past it are skipped and counted.")
    var maxOutstanding: Int = 10_000

    @Option(help: "Minimum length of the message text in bytes (the hb: marker is padded with x).")
    var messageSize: Int = 0

    @Option(help: "Time every message on this many connections (the first ones, so spread over nodes).")
    var latencyConnections: Int = 100

    @Option(help: "Connection set-ups in flight at once.")
    var connectConcurrency: Int = 100

    @Option(help: "Event-loop threads of hub-bench.")
    var threads: Int = System.coreCount

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
            messageSize >= 0, maxFrameSize >= 1024
        else { throw ValidationError("counts must be positive (--max-frame-size at least 1024)") }
    }

    func run() async throws {
        let nodes: [HubNode]
        do {
            nodes = try self.nodes.map(HubNode.init)
        } catch {
            throw ValidationError("\(error)")
        }
        var run = BenchRun(
            nodes: nodes,
            settings: ConnectionSettings(
                wire: wire.wire, skipNegotiation: skipNegotiation, timeout: .seconds(seconds: timeout),
                latencyConnections: latencyConnections, maxFrameSize: maxFrameSize),
            connections: connections,
            mode: rate.map { .openLoop(rate: $0, maxOutstanding: maxOutstanding) } ?? .closedLoop(window: window),
            warmup: warmup, duration: duration, drainTimeout: drainTimeout,
            pingInterval: .seconds(seconds: pingInterval), connectConcurrency: connectConcurrency,
            threads: threads, messageSize: messageSize)
        if scenario == .group {
            run.target = "SendToGroup"
            run.leading = [group]
            run.scenarioName = "group"
        }
        let report = try await run.run()
        print(report.summary)
        print(report.resultLine)
        if report.counters.delivered == 0 { throw ExitCode(1) }
    }
}

extension TimeAmount {
    /// A duration given in (fractional) seconds.
    static func seconds(seconds: Double) -> TimeAmount { .nanoseconds(Int64(seconds * 1e9)) }
}
