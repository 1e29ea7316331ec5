import ArgumentParser
import Foundation
import Histogram
import NIOCore
import NIOPosix

/// The scenarios: what each connection does and what it should receive.
enum Scenario: String, Sendable, CaseIterable {
    /// A few senders invoke `BroadcastMessage(text)`; every connection receives every message.
    case broadcast
    /// `SendToGroup(group, text)`: one big group (LearningHub's `HubUsers`, which every connection
    /// is in), or with a group size many small groups joined with `AddUserToGroup`.
    case group
    /// Every connection invokes `SendToIndividual(<its own id>, text)` and receives its own messages.
    case echo
    /// Connections are opened and held, nothing is sent: memory per idle connection.
    case idle
}

/// One run: connect, (join groups), warm up, measure, drain, close, report.
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
    var scenario = Scenario.broadcast
    /// The group of the one-big-group case.
    var group = "HubUsers"
    /// Members per group in the many-small-groups case; 0 for the one big group.
    var groupSize = 0
    /// Sending connections in the broadcast and group scenarios (echo: every connection).
    var senders = 1
    /// Whether the senders get an event loop of their own, apart from the `threads` receiving
    /// ones (see ``hasSenderLoop``).
    var senderLoop = true
    /// `--trace-file`: where to write one CSV line per measured message (``MessageTrace``).
    var traceFile: String?
    /// Processes whose memory and CPU are read: the nodes (and the broker) under test.
    var watched: [WatchedProcess] = []
    /// A line on stderr every second while measuring.
    var progress = true
    /// How the receiving loops read their connections while measuring (``ReceivePath``).
    var receive = ReceivePath.raw
    /// Raw mode: the senders are HTTP publishers to these URLs instead of hub connections.
    var publishNodes: [HubNode] = []

    /// Broadcast and group runs (and raw mode) have a few dedicated senders: they get a loop of
    /// their own, so a due send is not held up behind a burst of received frames (on one core
    /// the kernel switches to that mostly idle thread as soon as its timer fires). Echo, where
    /// every connection sends, and idle do not.
    var hasSenderLoop: Bool {
        senderLoop && (scenario == .broadcast || scenario == .group || !publishNodes.isEmpty)
    }

    /// The loop (index into the group's loops) of connection `index`: the sender loop (0) for the
    /// first `senders` connections when there is one, else receiving loop `index` mod `threads`.
    func loopSlot(forConnection index: Int) -> Int {
        guard hasSenderLoop else { return index % threads }
        return index < senders ? 0 : 1 + index % threads
    }

    func run() async throws -> BenchReport {
        raiseOpenFileLimit(needed: connections + connectConcurrency + 64)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads + (hasSenderLoop ? 1 : 0))
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
        for (slot, loop) in loops.enumerated() {
            let interval = pingInterval
            // The lag probe measures how long received frames could wait: the receiving loops'.
            let probe = !(hasSenderLoop && slot == 0)
            states.append(
                try await loop.submit {
                    let state = LoopState(loop: loop)
                    state.startPings(every: interval)
                    if probe { state.startLagProbe() }
                    return NIOLoopBound(state, eventLoop: loop)
                }.get())
        }
        let connector = HubConnector(settings: settings)
        let beforeConnect = ProcessSample(watched)

        // Connect: the first connection alone (nothing to measure without it), then the rest with
        // bounded concurrency. Connection i goes to node i mod nodes and to loop loopSlot(i).
        let connectStart = NIODeadline.now()
        let first: ConnectedHub
        do {
            let slot = loopSlot(forConnection: 0)
            first = try await connector.connect(index: 0, node: nodes[0], state: states[slot], loop: loops[slot])
        } catch {
            stderr("hub-bench: the first connection, to \(nodes[0]), failed: \(error)")
            throw ExitCode(2)
        }
        var hubs: [ConnectedHub] = [first]
        var connectErrors = ErrorTally()
        let nodes = self.nodes
        let connections = self.connections
        await withTaskGroup(of: Result<ConnectedHub, any Error>.self) { tasks in
            var next = 1
            while next < connections, next <= connectConcurrency {
                addConnect(
                    index: next, to: &tasks, connector: connector, nodes: nodes, states: states, loops: loops)
                next += 1
            }
            var lastReport = NIODeadline.now()
            for await result in tasks {
                switch result {
                case .success(let hub): hubs.append(hub)
                case .failure(let error): connectErrors.add(error)
                }
                if progress, NIODeadline.now() - lastReport >= .seconds(1) {
                    lastReport = NIODeadline.now()
                    let done = hubs.count + connectErrors.total
                    stderr(
                        "hub-bench: \(done)/\(connections) connections set up, \(connectErrors.total) failed, "
                            + "\(format(Double(done) / seconds(since: connectStart), 0))/s")
                }
                if next < connections {
                    addConnect(
                        index: next, to: &tasks, connector: connector, nodes: nodes, states: states, loops: loops)
                    next += 1
                }
            }
        }
        let connectSeconds = seconds(since: connectStart)
        hubs.sort { $0.index < $1.index }
        stderr(
            "hub-bench: \(hubs.count)/\(connections) connections ready in \(format(connectSeconds, 2)) s "
                + "(\(format(Double(hubs.count) / connectSeconds, 0))/s)"
                + (connectErrors.total > 0 ? ", failures: \(connectErrors.summary)" : ""))

        let plans = try await prepareSenders(hubs: hubs, loops: loops, states: states)
        // Let the nodes settle before their memory is read (idle: the whole point of the run).
        try await Task.sleep(nanoseconds: 1_000_000_000)
        let afterConnect = ProcessSample(watched)
        var rawConnections = 0
        if receive == .raw && hasSenderLoop {
            // Loops without senders only (see RawReceiver): with a sender loop, the others.
            for (slot, (loop, state)) in zip(loops, states).enumerated() where slot != 0 {
                rawConnections += try await loop.submit { state.value.startRawReceive() }.get()
            }
        }

        // Measure: the window is known before the first send, so every receiver can tell a
        // warm-up message from a measured one by the send time in its marker.
        let start = NIODeadline.now().uptimeNanoseconds
        let window = MeasurementWindow(
            start: start + UInt64(warmup * 1e9), end: start + UInt64((warmup + duration) * 1e9))
        let tracing = traceFile != nil
        for (loop, state) in zip(loops, states) {
            try await loop.submit {
                state.value.window = window
                state.value.tracing = tracing
            }.get()
        }
        try await startSenders(plans, window: window, loops: loops, states: states)
        try await sleep(until: window.start)
        let windowStart = ProcessSample(watched)
        var previous = try await snapshot(loops: loops, states: states, full: false)
        let receivedAtStart = totals(previous).0.received
        var previousAt = NIODeadline.now()
        while NIODeadline.now().uptimeNanoseconds < window.end {
            try await sleep(until: min(window.end, NIODeadline.now().uptimeNanoseconds + 1_000_000_000))
            guard progress else { continue }
            let current = try await snapshot(loops: loops, states: states, full: false)
            let elapsed = seconds(since: previousAt)
            previousAt = NIODeadline.now()
            let (now, nowSender) = totals(current)
            let (before, beforeSender) = totals(previous)
            previous = current
            let received =
                (now.delivered + now.deliveredOutsideWindow) - (before.delivered + before.deliveredOutsideWindow)
            stderr(
                "hub-bench: \(format(Double(previousAt.uptimeNanoseconds - window.start) / 1e9, 1)) s: "
                    + "sent \(format(Double(nowSender.sent - beforeSender.sent) / elapsed, 0))/s, "
                    + "received \(format(Double(received) / elapsed, 0))/s, "
                    + "open \(current.reduce(0) { $0 + $1.openConnections }), "
                    + "outstanding \(nowSender.outstanding), disconnects \(now.disconnects), "
                    + "hub-bench CPU \(format((ownCPUSeconds() - windowStart.ownCPU) * 1e11 / Double(max(previousAt.uptimeNanoseconds - window.start, 1)), 0)) %"
            )
        }
        let windowEnd = ProcessSample(watched)
        let receivedInWindow =
            totals(try await snapshot(loops: loops, states: states, full: false)).0.received
            - receivedAtStart

        // Drain: wait until every measured message has reached every connection, or give up.
        let drainStart = NIODeadline.now()
        var snapshots = try await snapshot(loops: loops, states: states, full: false)
        while seconds(since: drainStart) < drainTimeout {
            let (counters, senderStats) = totals(snapshots)
            if senderStats.outstanding == 0, counters.delivered >= senderStats.expectedInWindow { break }
            try await Task.sleep(nanoseconds: 50_000_000)
            snapshots = try await snapshot(loops: loops, states: states, full: false)
        }
        let drainSeconds = seconds(since: drainStart)
        snapshots = try await snapshot(loops: loops, states: states, full: true)

        // Close every connection with a WebSocket Close; a handler forces the close after 2 s.
        for (loop, state) in zip(loops, states) {
            try await loop.submit { state.value.closeAll() }.get()
        }
        for hub in hubs {
            try? await hub.channel.closeFuture.get()
        }

        let (counters, senderStats) = totals(snapshots)
        if let traceFile {
            var receipts: [MessageKey: MessageReceipts] = [:]
            for snapshot in snapshots {
                receipts.merge(snapshot.receipts) { a, b in
                    var sum = a
                    sum.add(b)
                    return sum
                }
            }
            do {
                try MessageTrace.csv(sends: senderStats.traced, receipts: receipts)
                    .write(toFile: traceFile, atomically: true, encoding: .utf8)
            } catch {
                stderr("hub-bench: could not write \(traceFile): \(error)")
            }
        }
        var latency = makeLatencyHistogram()
        var loopLag = makeLatencyHistogram()
        for snapshot in snapshots {
            if let histogram = snapshot.latency { latency.add(histogram) }
            if let histogram = snapshot.loopLag { loopLag.add(histogram) }
        }
        return BenchReport(
            scenario: scenario.rawValue, nodes: nodes.map(\.description), protocolName: settings.wire.rawValue,
            mode: mode, groupSize: scenario == .group ? groupSize : 0, connectionsRequested: connections,
            connected: hubs.count, connectErrors: connectErrors,
            openAtEnd: snapshots.reduce(0) { $0 + $1.openConnections }, warmup: warmup, duration: duration,
            connectSeconds: connectSeconds, drainSeconds: drainSeconds, sender: senderStats, counters: counters,
            latency: latency, loopLag: loopLag, threads: threads, senderLoop: hasSenderLoop,
            receive: receive, rawConnections: rawConnections,
            cpusAllowed: allowedCPUCount(),
            benchCPUSeconds: windowEnd.ownCPU - windowStart.ownCPU,
            watchedPIDs: watched.map(\.pid), beforeConnect: beforeConnect, afterConnect: afterConnect,
            windowStart: windowStart, windowEnd: windowEnd, receivedInWindow: receivedInWindow)
    }

    /// Who sends, through which hub method, to whom. Joins the small groups first when there are any.
    private struct SenderPlan: Sendable {
        /// The loop of the sending connection; `sink` is called on it.
        var loop: any EventLoop
        var sink: @Sendable () -> any BenchMessageSink
        var target: String
        var targets: [SendTarget]

        init(hub: ConnectedHub, target: String, targets: [SendTarget]) {
            let handler = hub.handler
            self.loop = hub.channel.eventLoop
            self.sink = { handler.value }
            self.target = target
            self.targets = targets
        }

        init(publisher: NIOLoopBound<HTTPPublishHandler>, targets: [SendTarget]) {
            self.loop = publisher.eventLoop
            self.sink = { publisher.value }
            self.target = ""
            self.targets = targets
        }
    }

    private func prepareSenders(
        hubs: [ConnectedHub], loops: [any EventLoop], states: [NIOLoopBound<LoopState>]
    ) async throws -> [SenderPlan] {
        let everyone = UInt64(hubs.count)
        if !publishNodes.isEmpty {
            // Raw mode: every sender is an HTTP publisher; every subscriber gets every message.
            var plans: [SenderPlan] = []
            for s in 0..<senders {
                let slot = hasSenderLoop ? 0 : s % loops.count
                let publisher = try await HTTPPublishHandler.connect(
                    index: connections + s, node: publishNodes[s % publishNodes.count], state: states[slot],
                    loop: loops[slot], timeout: settings.timeout)
                plans.append(SenderPlan(publisher: publisher, targets: [SendTarget(leading: [], recipients: everyone)]))
            }
            return plans
        }
        let senderCount = max(1, min(senders, hubs.count))
        switch scenario {
        case .idle:
            return []
        case .broadcast:
            return hubs.prefix(senderCount).map {
                SenderPlan(
                    hub: $0, target: "BroadcastMessage", targets: [SendTarget(leading: [], recipients: everyone)])
            }
        case .echo:
            return try hubs.map { hub in
                guard let id = hub.connectionID else {
                    throw ValidationError(
                        "the echo scenario needs negotiate for each connection's id (no --skip-negotiation)")
                }
                return SenderPlan(
                    hub: hub, target: "SendToIndividual", targets: [SendTarget(leading: [id], recipients: 1)])
            }
        case .group where groupSize == 0:
            return hubs.prefix(senderCount).map {
                SenderPlan(
                    hub: $0, target: "SendToGroup", targets: [SendTarget(leading: [group], recipients: everyone)])
            }
        case .group:
            // Member j joins group j / groupSize; AddUserToGroup also tells every other connection,
            // so the joins cost connections² notifications, which are waited for before measuring.
            var joins: [EventLoopFuture<Void>] = []
            for (j, hub) in hubs.enumerated() {
                let name = "\(group)-\(j / groupSize)"
                joins.append(hub.channel.eventLoop.flatSubmit { hub.handler.value.join(group: name) })
            }
            var failed = 0
            for join in joins {
                do { try await join.get() } catch { failed += 1 }
            }
            if failed > 0 { stderr("hub-bench: \(failed) AddUserToGroup invocations failed") }
            let notices = everyone * everyone
            let waitStart = NIODeadline.now()
            while seconds(since: waitStart) < max(drainTimeout, 60) {
                let (counters, _) = totals(try await snapshot(loops: loops, states: states, full: false))
                if counters.unmarked >= notices { break }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            let groupCount = (hubs.count + groupSize - 1) / groupSize
            let active = min(senderCount, groupCount)
            var plans: [SenderPlan] = []
            for s in 0..<active {
                var targets: [SendTarget] = []
                for k in stride(from: s, to: groupCount, by: active) {
                    let members = min(groupSize, hubs.count - k * groupSize)
                    targets.append(SendTarget(leading: ["\(group)-\(k)"], recipients: UInt64(members)))
                }
                plans.append(SenderPlan(hub: hubs[s], target: "SendToGroup", targets: targets))
            }
            stderr("hub-bench: \(hubs.count - failed) connections joined \(groupCount) groups of up to \(groupSize)")
            return plans
        }
    }

    /// Starts every sender on its connection's loop. Open loop: the rate is split evenly and the
    /// senders' first sends are spread over one period.
    private func startSenders(
        _ plans: [SenderPlan], window: MeasurementWindow, loops: [any EventLoop], states: [NIOLoopBound<LoopState>]
    ) async throws {
        let count = plans.count
        var started: [EventLoopFuture<Void>] = []
        for (s, plan) in plans.enumerated() {
            let (mode, offset): (SendMode, UInt64)
            if case .openLoop(let rate, let maxOutstanding) = self.mode {
                let each = rate / Double(count)
                mode = .openLoop(rate: each, maxOutstanding: maxOutstanding)
                offset = UInt64(1e9 / each * Double(s) / Double(count))
            } else {
                (mode, offset) = (self.mode, 0)
            }
            let messageSize = self.messageSize
            started.append(
                plan.loop.submit {
                    let connection = plan.sink()
                    let sender = InvocationSender(
                        connection: connection, target: plan.target, targets: plan.targets, messageSize: messageSize,
                        mode: mode, window: window, startOffset: offset)
                    sender.tracing = connection.state.tracing
                    connection.sender = sender
                    connection.state.senders.append(sender)
                    sender.start()
                })
        }
        for future in started { try await future.get() }
    }

    private func sleep(until time: UInt64) async throws {
        let now = NIODeadline.now().uptimeNanoseconds
        if time > now { try await Task.sleep(nanoseconds: time - now) }
    }

    /// Connection `index` goes to node `index` mod nodes and to loop `loopSlot(index)`.
    private func addConnect(
        index: Int, to tasks: inout TaskGroup<Result<ConnectedHub, any Error>>, connector: HubConnector,
        nodes: [HubNode], states: [NIOLoopBound<LoopState>], loops: [any EventLoop]
    ) {
        let slot = loopSlot(forConnection: index)
        tasks.addTask {
            do {
                return .success(
                    try await connector.connect(
                        index: index, node: nodes[index % nodes.count], state: states[slot], loop: loops[slot]))
            } catch {
                return .failure(error)
            }
        }
    }

    private func snapshot(
        loops: [any EventLoop], states: [NIOLoopBound<LoopState>], full: Bool
    ) async throws
        -> [LoopSnapshot]
    {
        var snapshots: [LoopSnapshot] = []
        for (loop, state) in zip(loops, states) {
            snapshots.append(try await loop.submit { state.value.snapshot(full: full) }.get())
        }
        return snapshots
    }

    private func totals(_ snapshots: [LoopSnapshot]) -> (ReceiveCounters, SenderSnapshot) {
        var counters = ReceiveCounters()
        var senderStats = SenderSnapshot()
        for snapshot in snapshots {
            counters.add(snapshot.counters)
            senderStats.add(snapshot.sender)
        }
        return (counters, senderStats)
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
