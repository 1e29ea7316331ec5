import ArgumentParser
import Foundation
import HubClient
import HubProtocol

/// The method the LearningHub calls on its clients.
let receiveMessage = "ReceiveMessage"

/// What a listening connection reports.
enum ListenEvent: Sendable {
    case message(String)
    case reconnecting(String)
    case reconnected
    case closed((any Error)?)
}

/// Where a listening command's events go: messages, reconnects and the close.
struct ListenEvents: Sendable {
    let events: AsyncStream<ListenEvent>
    private let sink: AsyncStream<ListenEvent>.Continuation

    init() {
        (events, sink) = AsyncStream<ListenEvent>.makeStream()
    }

    /// Registers the handlers; call it before `start()` so nothing sent right after the
    /// handshake is missed.
    func register(on connection: HubConnection, methods: [String], prefixed: Bool) async {
        let sink = self.sink
        for method in methods {
            await connection.on(
                method,
                handler: { arguments in
                    let text = display(arguments)
                    sink.yield(.message(prefixed ? "\(method): \(text)" : text))
                })
        }
        await connection.onReconnecting { error in
            sink.yield(.reconnecting(error.map { "\($0)" } ?? "the server closed"))
        }
        await connection.onReconnected { _ in sink.yield(.reconnected) }
        await connection.onClosed { error in sink.yield(.closed(error)) }
    }
}

/// Prints events until `count` messages were printed (`nil`: until closed); throws when the
/// connection closes first.
func printEvents(_ events: AsyncStream<ListenEvent>, count: Int?) async throws {
    var printed = 0
    if count == 0 { return }
    for await event in events {
        switch event {
        case .message(let text):
            emit(text)
            printed += 1
            if let count, printed >= count { return }
        case .reconnecting(let reason):
            complain("connection lost (\(reason)); reconnecting")
        case .reconnected:
            complain("reconnected")
        case .closed(let error):
            // Lost, even when the last reconnect attempt failed to connect (exit 5, not 3).
            let text = (error as? HubClientError)?.message ?? error.map { "\($0)" }
            throw HubClientError(.connectionClosed, text ?? "The server closed the connection.")
        }
    }
}

struct ListenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Print each message the hub sends, as it arrives.",
        discussion: """
            Prints the arguments of every call of --method (ReceiveMessage by default): a single string as its text, other values as JSON. With several --method options each line starts with the method's name. Reconnects automatically when the connection is lost.

            Runs until Ctrl-C, until --count messages were printed, or until --timeout (exit 0 without --count, 4 with a --count not reached).
              hubctl listen http://127.0.0.1:5128/learningHub
              hubctl listen http://127.0.0.1:5128/learningHub --count 1 --timeout 10
            """)

    @Argument(help: "The hub URL, e.g. http://127.0.0.1:5128/learningHub.")
    var url: String

    @Option(name: .long, help: "A client method to print (repeatable; default ReceiveMessage).")
    var method: [String] = []

    @Option(name: .long, help: "Exit 0 after printing this many messages.")
    var count: Int?

    @Flag(name: .long, help: "Print 'connected <connection id>' once connected (to stderr).")
    var announce = false

    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let methods = method.isEmpty ? [receiveMessage] : method
        let count = count
        let announce = announce
        let prefixed = methods.count > 1
        let listener = ListenEvents()
        try await withConnection(
            url: url, options: options, reconnect: true, deadline: options.deadline(default: nil),
            timeoutIsSuccess: count == nil,
            configure: { await listener.register(on: $0, methods: methods, prefixed: prefixed) }
        ) { connection in
            if announce { complain("connected \(await connection.connectionId ?? "(no id: negotiate skipped)")") }
            try await printEvents(listener.events, count: count)
        }
    }
}

struct BroadcastCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broadcast",
        abstract: "Send a text to every client of the LearningHub (BroadcastMessage).",
        discussion: """
            Invokes BroadcastMessage(text) and waits for the hub to confirm it. A text containing ';' is uploaded part by part to BroadcastStream as a client-to-server stream instead, as the book's client does; the hub answers each part to the caller only, and hubctl prints those answers ("Server received <part>").
              hubctl broadcast http://127.0.0.1:5129/learningHub "hello, both nodes"
            """)

    @Argument(help: "The hub URL.")
    var url: String

    @Argument(help: "The text to send.")
    var text: String

    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let text = text
        let listener = ListenEvents()
        try await withConnection(
            url: url, options: options, deadline: options.deadline(default: .seconds(30)),
            configure: { await listener.register(on: $0, methods: [receiveMessage], prefixed: false) }
        ) { connection in
            if text.contains(";") {
                // BroadcastStream sends each item back to the caller ("Server received <item>"):
                // print those, one per part.
                let parts = text.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
                let events = listener.events
                try await connection.send("BroadcastStream", arguments: [], streams: [HubClientStream(items: parts)])
                await connection.uploadsFinished()
                try await printEvents(events, count: parts.count)
            } else {
                try await connection.invoke("BroadcastMessage", text)
            }
        }
    }
}

/// The hub URL, a method and its JSON arguments (invoke, send, stream).
struct MethodCall: ParsableArguments {
    @Argument(help: "The hub URL, e.g. http://127.0.0.1:5128/learningHub.")
    var url: String

    @Argument(help: "The hub method.")
    var method: String

    @Argument(help: "The arguments, each a JSON value (put -- before them when one starts with '-', e.g. -- -1 2).")
    var arguments: [String] = []

    /// Connects and runs `body` with the method and its arguments parsed as JSON, bounded by
    /// --timeout or `defaultDeadline`.
    func run(
        options: ConnectionOptions, defaultDeadline: Duration?,
        _ body: @escaping @Sendable (HubConnection, String, [HubValue]) async throws -> Void
    ) async throws {
        let values = try jsonArguments(arguments)
        let method = self.method
        try await withConnection(url: url, options: options, deadline: options.deadline(default: defaultDeadline)) {
            try await body($0, method, values)
        }
    }
}

struct InvokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoke",
        abstract: "Call a hub method and print its result.",
        discussion: """
            Each argument is one JSON value (quote strings: '"text"'). The result is printed as text when it is a string, as JSON otherwise, and not at all when the method returns nothing. A hub error is printed to stderr with exit 1.
              hubctl invoke http://127.0.0.1:5128/learningHub SendToIndividual '"<connection id>"' '"psst"'
              hubctl invoke http://127.0.0.1:5000/chat Add 1 2 --protocol messagepack
            """)

    @OptionGroup var call: MethodCall
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        try await call.run(options: options, defaultDeadline: .seconds(30)) { connection, method, values in
            if let result = try await connection.invoke(method, arguments: values) { emit(display(result)) }
        }
    }
}

struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Call a hub method without waiting for it (no result, no error reported).",
        discussion: """
            Each argument is one JSON value. The invocation carries no id, so the server sends nothing back; hubctl exits once it was written.
              hubctl send http://127.0.0.1:5128/learningHub SendToOthers '"hello, others"'
            """)

    @OptionGroup var call: MethodCall
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        try await call.run(options: options, defaultDeadline: .seconds(30)) { connection, method, values in
            // Written once this returns; stop() then closes the WebSocket behind it.
            try await connection.send(method, arguments: values)
        }
    }
}

struct StreamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Call a streaming hub method and print each item as it arrives.",
        discussion: """
            Each argument is one JSON value. Items print one per line (strings as text, others as JSON); the command ends with the stream. --count stops after that many items and cancels the stream on the server.
              hubctl stream http://127.0.0.1:5128/learningHub TriggerStream 3
            """)

    @OptionGroup var call: MethodCall

    @Option(name: .long, help: "Stop after this many items (the stream is cancelled on the server).")
    var count: Int?

    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let count = count
        try await call.run(options: options, defaultDeadline: nil) { connection, method, values in
            var printed = 0
            if count == 0 { return }
            do {
                for try await item in try await connection.stream(method, arguments: values) {
                    emit(display(item))
                    printed += 1
                    if let count, printed >= count { break }
                }
            } catch let error as HubClientError {
                throw error
            } catch {
                throw HubClientError(.connectionClosed, "\(error)")
            }
        }
    }
}

struct NegotiateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "negotiate",
        abstract: "Show what a hub offers: its negotiate response (redirects followed).",
        discussion: """
            POSTs <url>/negotiate?negotiateVersion=1 and prints the response as JSON: the connection id and token, the transports with their transfer formats. The connection it creates is never used, and the server drops it after its negotiation timeout.
              hubctl negotiate http://127.0.0.1:5128/learningHub
            """)

    @Argument(help: "The hub URL.")
    var url: String

    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let url = url
        let token = options.token
        let limit = options.deadline(default: .seconds(30)) ?? .seconds(30)
        let began = ContinuousClock.now
        do {
            let negotiated = try await HubNegotiator.negotiate(
                url: url, accessToken: token, eventLoopGroup: options.connectionOptions(url: url).eventLoopGroup,
                timeout: limit, useStatefulReconnect: options.statefulReconnect)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(negotiated.response)
            emit(String(decoding: data, as: UTF8.self))
            // On stderr, so stdout stays one JSON document (for jq).
            if negotiated.url != url { complain("redirected to \(negotiated.url)") }
        } catch let error as HubClientError {
            complain(error.message)
            // The request is bounded by --timeout itself: running out of it is exit 4.
            let ranOut = ContinuousClock.now - began >= limit
            throw ExitCode(ranOut ? Outcome.timedOut : Outcome.code(for: error))
        }
    }
}
