import ArgumentParser
import Foundation
import Histogram
import NIOCore
import NIOPosix

/// One run of the broadcast or group scenario: connect, warm up, measure, drain, close, report.
struct BenchRun: Sendable {
    var nodes: [HubNode]
    var settings: ConnectionSettings
    var connections: Int
    var mode: SendMode
    var warmup: Double
    var duration: Double
    var drainTimeout: Double
    var pingInterval: TimeAmount
    var connectConcurrency: Int
    var threads: Int
    var messageSize: Int
    /// The hub method the sender invokes and the arguments before the timed text:
    /// `BroadcastMessage(text)`, or `SendToGroup(group, text)` for the group scenario.
    var target = "BroadcastMessage"
    var leading: [String] = []
    var scenarioName = "broadcast"

    func run() async throws -> BenchReport {
        raiseOpenFileLimit(needed: connections + connectConcurrency + 64)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        do {
            let report = try await run(on: group)
            try await group.shutdownGracefully()
            return report
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private func run(on group: MultiThreadedEventLoopGroup) async throws -> BenchReport {
        let loops = Array(group.makeIterator())
        var states: [NIOLoopBound<LoopState>] = []
        for loop in loops {
            let interval = pingInterval
            states.append(
                try await loop.submit {
                    let state = LoopState(loop: loop)
                    state.startPings(every: interval)
                    return NIOLoopBound(state, eventLoop: loop)
                }.get())
        }
        let connector = HubConnector(settings: settings)

        // Connect: the sender first (nothing to measure without it), then the rest with bounded
        // concurrency. Connection i goes to node i mod nodes and loop i mod loops.
        let connectStart = NIODeadline.now()
        let sender: ConnectedHub
        do {
            sender = try await connector.connect(index: 0, node: nodes[0], state: states[0], loop: loops[0])
        } catch {
            stderr("hub-bench: the sender connection to \(nodes[0]) failed: \(error)")
            throw ExitCode(2)
        }
        var channels: [any Channel] = [sender.channel]
        var connectErrors = ErrorTally()
        let nodes = self.nodes
        await withTaskGroup(of: Result<ConnectedHub, any Error>.self) { tasks in
            var next = 1
            while next < connections, next <= connectConcurrency {
                Self.addConnect(
                    index: next, to: &tasks, connector: connector, nodes: nodes, states: states, loops: loops)
                next += 1
            }
            for await result in tasks {
                switch result {
                case .success(let hub): channels.append(hub.channel)
                case .failure(let error): connectErrors.add(error)
                }
                let done = channels.count + connectErrors.total
                if done % 1000 == 0 { stderr("hub-bench: \(done)/\(connections) connections set up") }
                if next < connections {
                    Self.addConnect(
                        index: next, to: &tasks, connector: connector, nodes: nodes, states: states, loops: loops)
                    next += 1
                }
            }
        }
        let connectSeconds = seconds(since: connectStart)
        stderr(
            "hub-bench: \(channels.count)/\(connections) connections ready in \(format(connectSeconds, 2)) s"
                + (connectErrors.total > 0 ? ", failures: \(connectErrors.summary)" : ""))

        // Measure: the window is known before the first send, so every receiver can tell a
        // warm-up message from a measured one by the send time in its marker.
        let start = NIODeadline.now().uptimeNanoseconds
        let window = MeasurementWindow(
            start: start + UInt64(warmup * 1e9), end: start + UInt64((warmup + duration) * 1e9))
        for (loop, state) in zip(loops, states) {
            try await loop.submit { state.value.window = window }.get()
        }
        let mode = self.mode
        let target = self.target
        let leading = self.leading
        let messageSize = self.messageSize
        try await loops[0].submit {
            let connection = sender.handler.value
            let invocations = InvocationSender(
                connection: connection, target: target, leading: leading, messageSize: messageSize, mode: mode,
                window: window)
            connection.sender = invocations
            connection.state.sender = invocations
            invocations.start()
        }.get()
        try await Task.sleep(nanoseconds: window.end - NIODeadline.now().uptimeNanoseconds)

        // Drain: wait until every measured message has reached every connection, or give up.
        let receivers = UInt64(channels.count)
        let drainStart = NIODeadline.now()
        var snapshots = try await snapshot(loops: loops, states: states)
        while seconds(since: drainStart) < drainTimeout {
            let (counters, senderStats) = totals(snapshots)
            if senderStats.outstanding == 0, counters.delivered >= senderStats.sentInWindow * receivers { break }
            try await Task.sleep(nanoseconds: 50_000_000)
            snapshots = try await snapshot(loops: loops, states: states)
        }
        let drainSeconds = seconds(since: drainStart)

        // Close every connection with a WebSocket Close; a handler forces the close after 2 s.
        for (loop, state) in zip(loops, states) {
            try await loop.submit { state.value.closeAll() }.get()
        }
        for channel in channels {
            try? await channel.closeFuture.get()
        }

        let (counters, senderStats) = totals(snapshots)
        var latency = makeLatencyHistogram()
        for snapshot in snapshots { latency.add(snapshot.latency) }
        return BenchReport(
            scenario: scenarioName, nodes: nodes.map(\.description), protocolName: settings.wire.rawValue, mode: mode,
            connectionsRequested: connections, connected: channels.count, connectErrors: connectErrors,
            openAtEnd: snapshots.reduce(0) { $0 + $1.openConnections }, warmup: warmup, duration: duration,
            connectSeconds: connectSeconds, drainSeconds: drainSeconds, sender: senderStats, counters: counters,
            latency: latency)
    }

    /// Connection `index` goes to node `index` mod nodes and loop `index` mod loops.
    private static func addConnect(
        index: Int, to tasks: inout TaskGroup<Result<ConnectedHub, any Error>>, connector: HubConnector,
        nodes: [HubNode], states: [NIOLoopBound<LoopState>], loops: [any EventLoop]
    ) {
        tasks.addTask {
            do {
                return .success(
                    try await connector.connect(
                        index: index, node: nodes[index % nodes.count], state: states[index % loops.count],
                        loop: loops[index % loops.count]))
            } catch {
                return .failure(error)
            }
        }
    }

    private func snapshot(loops: [any EventLoop], states: [NIOLoopBound<LoopState>]) async throws -> [LoopSnapshot] {
        var snapshots: [LoopSnapshot] = []
        for (loop, state) in zip(loops, states) {
            snapshots.append(try await loop.submit { state.value.snapshot() }.get())
        }
        return snapshots
    }

    private func totals(_ snapshots: [LoopSnapshot]) -> (ReceiveCounters, SenderSnapshot) {
        var counters = ReceiveCounters()
        for snapshot in snapshots { counters.add(snapshot.counters) }
        return (counters, snapshots.lazy.compactMap(\.sender).first ?? SenderSnapshot())
    }
}

/// Set-up failures by kind, with the first message of each kind.
struct ErrorTally: Sendable {
    private(set) var counts: [String: Int] = [:]
    private(set) var examples: [String: String] = [:]

    var total: Int { counts.values.reduce(0, +) }

    mutating func add(_ error: any Error) {
        var category = "connect-\(type(of: error))"
        if let error = error as? HubBenchError {
            category = error.category
        } else if let error = error as? ChannelError, case .connectTimeout = error {
            category = "timeout-connect"
        } else if error is NIOConnectionError || error is IOError {
            category = "connect"
        }
        counts[category, default: 0] += 1
        if examples[category] == nil { examples[category] = "\(error)" }
    }

    /// `kind=count, …` sorted by kind.
    var summary: String {
        counts.keys.sorted().map { "\($0)=\(counts[$0]!)" }.joined(separator: ", ")
    }
}

/// Raises the soft limit on open files towards the hard one: each connection holds a socket, and
/// a soft limit of 1024 is common.
func raiseOpenFileLimit(needed: Int) {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(needed) else { return }
    let wanted = min(rlim_t(needed), limit.rlim_max)
    limit.rlim_cur = wanted
    if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) != 0 || wanted < rlim_t(needed) {
        stderr("hub-bench: open-file limit \(wanted) is below the \(needed) this run may need")
    }
}

func seconds(since start: NIODeadline) -> Double {
    Double((NIODeadline.now() - start).nanoseconds) / 1e9
}

func format(_ value: Double, _ decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
}

func stderr(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
