import ArgumentParser
import Foundation
import HubClient
import HubProtocol
import Logging
import Synchronization

/// The wire protocol chosen with `--protocol`.
enum ProtocolOption: String, ExpressibleByArgument, CaseIterable {
    case json, messagepack

    var hubProtocol: any HubProtocol {
        switch self {
        case .json: return JSONHubProtocol()
        case .messagepack: return MessagePackHubProtocol()
        }
    }
}

/// The flags every command shares.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "The hub protocol: json or messagepack.")
    var `protocol`: ProtocolOption = .json

    @Option(
        name: .long, help: "An access token, sent as 'Authorization: Bearer <token>' to negotiate and the WebSocket.")
    var token: String?

    @Option(
        name: .long,
        help:
            "Give up after this many seconds (exit 4). Default: 30 for one-shot commands; listen and interactive run until stopped."
    )
    var timeout: Double?

    @Flag(name: .long, help: "Open the WebSocket straight at the hub URL, without negotiate (ws:// URLs work too).")
    var skipNegotiation = false

    @Flag(
        name: .long,
        help: "Ask for stateful reconnect (ASP.NET Core 8+): a dropped WebSocket is replaced without losing messages.")
    var statefulReconnect = false

    @Flag(name: .long, help: "Log the connection's life (reconnects, errors) to stderr.")
    var verbose = false

    func validate() throws {
        if let timeout, !(timeout > 0 && timeout <= 1_000_000) {
            throw ValidationError("--timeout must be a number of seconds above 0 (and at most 1000000).")
        }
    }

    /// The connection options for `url`; `reconnect` turns on the default reconnect policy.
    func connectionOptions(url: String, reconnect: Bool = false) -> HubConnectionOptions {
        var logger = Logger(label: "hubctl")
        logger.logLevel = verbose ? .debug : .critical
        var options = HubConnectionOptions(
            url: url, hubProtocol: `protocol`.hubProtocol, skipNegotiation: skipNegotiation, logger: logger)
        if let token {
            options.accessTokenProvider = { token }
        }
        if reconnect { options.reconnectPolicy = DefaultHubReconnectPolicy() }
        options.useStatefulReconnect = statefulReconnect
        return options
    }

    /// `--timeout` as a duration, or `fallback`.
    func deadline(default fallback: Duration?) -> Duration? {
        timeout.map { .milliseconds(Int64($0 * 1000)) } ?? fallback
    }
}

/// How hubctl ends, with its exit code.
enum Outcome {
    static let hubError: Int32 = 1
    static let connectFailed: Int32 = 3
    static let timedOut: Int32 = 4
    static let connectionLost: Int32 = 5
    static let usage: Int32 = 64

    /// The exit code for a client error.
    static func code(for error: HubClientError) -> Int32 {
        switch error.code {
        case .invocationFailed, .valueError: return hubError
        case .negotiationFailed, .noSupportedTransport, .transportFailed, .handshakeFailed: return connectFailed
        case .invalidURL: return usage
        case .connectionClosed, .serverTimeout, .protocolError, .notConnected, .cancelled: return connectionLost
        }
    }
}

/// Writes a line to stdout at once (tests and pipes read it as it comes).
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Writes a line to stderr.
func complain(_ line: String) {
    FileHandle.standardError.write(Data(("hubctl: " + line + "\n").utf8))
}

/// A value for printing: a JSON string as its text (like `jq -r`), anything else as JSON.
func display(_ value: HubValue) -> String {
    if let text = try? value.decode(String.self) { return text }
    return value.description
}

/// The arguments of a message for printing: one string as its text, else the JSON values.
func display(_ arguments: HubArguments) -> String {
    if arguments.count == 1 { return display(arguments[0]) }
    return arguments.map { $0.description }.joined(separator: " ")
}

/// Parses each command-line argument as one JSON value.
func jsonArguments(_ texts: [String]) throws -> [HubValue] {
    try texts.enumerated().map { index, text in
        do {
            return try HubValue(rawJSON: text)
        } catch {
            throw ValidationError(
                "Argument \(index + 1) is not a JSON value: \(text) (write strings in quotes, e.g. '\"\(text)\"').")
        }
    }
}

/// Runs `body` with a started connection, bounded by `deadline`, and turns failures into exit
/// codes with a message on stderr.
func withConnection(
    url: String, options: ConnectionOptions, reconnect: Bool = false, deadline: Duration?,
    timeoutIsSuccess: Bool = false,
    configure: (HubConnection) async -> Void = { _ in },
    _ body: @escaping @Sendable (HubConnection) async throws -> Void
) async throws {
    let connection = HubConnection(options: options.connectionOptions(url: url, reconnect: reconnect))
    await configure(connection)
    let started = OnceFlag()
    do {
        try await withTimeout(deadline, onTimeout: { await connection.stop() }) {
            try await connection.start()
            started.set()
            try await body(connection)
        }
        await connection.stop()
    } catch let error as HubClientError {
        await connection.stop()
        complain(error.message)
        throw ExitCode(Outcome.code(for: error))
    } catch let error as TimedOut {
        await connection.stop()
        // `listen` without --count: once connected, the timeout is how it was meant to end.
        if timeoutIsSuccess && started.isSet { return }
        complain("timed out after \(error.after).")
        throw ExitCode(Outcome.timedOut)
    }
}

/// `--timeout` elapsed.
struct TimedOut: Error {
    let after: Duration
}

/// Runs `body`, throwing ``TimedOut`` when `limit` passes first (`nil`: no limit); `onTimeout`
/// runs then, to end whatever `body` waits for.
func withTimeout(
    _ limit: Duration?, onTimeout: @escaping @Sendable () async -> Void,
    _ body: @escaping @Sendable () async throws -> Void
) async throws {
    guard let limit else { return try await body() }
    let expired = OnceFlag()
    let completed = OnceFlag()
    do {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await body()
                completed.set()
            }
            group.addTask {
                try await Task.sleep(for: limit)
                guard !completed.isSet else { return }
                expired.set()
                await onTimeout()
            }
            try await group.next()
            group.cancelAll()
        }
    } catch  where expired.isSet && !completed.isSet {
        // What `onTimeout` ended failed `body`; the timeout is the reason.
    }
    if expired.isSet && !completed.isSet { throw TimedOut(after: limit) }
}

/// A flag set once, from any task.
final class OnceFlag: Sendable {
    private let value = Mutex(false)

    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
