import ArgumentParser
import NIOCore
import NIOPosix
import RedisClient

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `redis-client-bench subscribe`: messages per second received by one RedisSubscriber connection.
struct SubscribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscribe",
        abstract: "Messages per second received by one RedisSubscriber connection (one JSON line).",
        discussion: """
            Subscribes one handler to --channel, prints {"event": "subscribed"} once the server has \
            confirmed it, and then, by --mode:
            - live: waits for the first message (something else publishes), skips --warmup seconds \
            and counts what arrives in the next --seconds;
            - drain: blocks the subscriber's event loop until a line arrives on standard input, so \
            what is published meanwhile waits in the kernel and in the server's output buffer (raise \
            the server's pubsub client-output-buffer-limit), then times how long the handler takes to \
            receive --messages messages.

            The handler only counts messages and payload bytes. Prints one JSON line with \
            messages_per_sec.
            """
    )

    /// What is measured.
    enum Mode: String, ExpressibleByArgument {
        case live, drain
    }

    @OptionGroup var server: ServerOptions

    @Option(help: "The channel to subscribe to.")
    var channel = "bench-channel"

    @Option(help: "live or drain.")
    var mode = Mode.live

    @Option(help: "live: seconds counted.")
    var seconds = 2.0

    @Option(help: "live: seconds skipped after the first message.")
    var warmup = 0.5

    @Option(help: "drain: messages to receive.")
    var messages = 1_000_000

    @Option(help: "Seconds to wait for messages before giving up.")
    var timeout = 60.0

    func validate() throws {
        guard seconds > 0, warmup >= 0, messages >= 1, timeout > 0 else {
            throw ValidationError("--seconds, --messages and --timeout must be positive")
        }
    }

    func run() async throws {
        let group = server.eventLoopGroup()
        let subscriber = RedisSubscriber(configuration: try server.configuration(), eventLoopGroup: group)
        let loop = subscriber.eventLoop
        let tally = Tally(eventLoop: loop)
        let subscription = try await subscriber.subscribe(.channel, [channel]) { _, payload in
            tally.received(payloadBytes: payload.readableBytes)
        }
        let timer = loop.scheduleTask(in: .nanoseconds(Int64(timeout * 1e9))) {
            tally.fail(ValidationError("timed out after \(timeout) s with \(tally.count) messages"))
        }
        switch mode {
        case .drain:
            let started = try await loop.submit {
                tally.target = messages
                Self.emit(jsonLine([("event", .string("subscribed"))]))
                // Blocks the loop on purpose: the messages published now queue up unread.
                _ = readLine()
                return ContinuousClock.now
            }.get()
            let ended = try await tally.done.futureResult.get()
            let elapsed = (ended - started).seconds
            let bytes = try await loop.submit { tally.payloadBytes }.get()
            Self.emit(
                jsonLine([
                    ("mode", .string("drain")), ("messages", .int(messages)), ("seconds", .double(elapsed)),
                    ("messages_per_sec", .double(Double(messages) / elapsed)),
                    ("payload_bytes", .int(bytes / max(1, messages))),
                ]))
        case .live:
            try await loop.submit { tally.target = 1 }.get()
            Self.emit(jsonLine([("event", .string("subscribed"))]))
            _ = try await tally.done.futureResult.get()
            try await Task.sleep(for: .seconds(warmup))
            let (start, first) = try await loop.submit { (ContinuousClock.now, tally.count) }.get()
            try await Task.sleep(for: .seconds(seconds))
            let (end, last) = try await loop.submit { (ContinuousClock.now, tally.count) }.get()
            let elapsed = (end - start).seconds
            Self.emit(
                jsonLine([
                    ("mode", .string("live")), ("messages", .int(last - first)), ("seconds", .double(elapsed)),
                    ("messages_per_sec", .double(Double(last - first) / elapsed)), ("total", .int(last)),
                ]))
        }
        // Closing, not unsubscribing: after a live run the confirmation would queue behind the backlog.
        _ = subscription
        timer.cancel()
        await subscriber.close()
        try await server.shutdown(group)
    }

    /// Prints `line` and flushes, as the reader waits for it.
    static func emit(_ line: String) {
        print(line)
        fflush(nil)
    }
}

/// The handler's count. Unchecked: touched only on the subscriber's event loop.
final class Tally: @unchecked Sendable {
    var count = 0
    var payloadBytes = 0
    /// `done` completes when `count` reaches this.
    var target = Int.max
    let done: EventLoopPromise<ContinuousClock.Instant>
    private var completed = false

    init(eventLoop: EventLoop) {
        done = eventLoop.makePromise()
    }

    func received(payloadBytes bytes: Int) {
        count += 1
        payloadBytes += bytes
        if count >= target && !completed {
            completed = true
            done.succeed(.now)
        }
    }

    func fail(_ error: Error) {
        guard !completed else { return }
        completed = true
        done.fail(error)
    }
}
