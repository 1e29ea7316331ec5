import NIOCore

/// Runs the real `redis-cli` against a server, as a one-shot command, a long-running process
/// (`subscribe`, `monitor`, `--stat`) or an interactive session on a pseudo-terminal.
public enum RedisCLI {
    /// The path of `redis-cli`, or `nil` when it is not installed.
    public static var executable: String? { RunningProcess.find("redis-cli") }

    /// Whether tests that drive redis-cli can run here.
    public static var isAvailable: Bool { executable != nil }

    /// Why such tests skip when it is absent.
    public static let unavailableReason =
        "redis-cli is not installed (apt-get install redis-tools); CI installs it"

    /// The result of a one-shot run.
    public struct Result: Sendable {
        /// Standard output and error together.
        public var output: String
        /// The exit code.
        public var status: Int32
    }

    /// Runs `redis-cli -h 127.0.0.1 -p port arguments…` to completion, `input` on its standard
    /// input (none: `/dev/null`). Output to a pipe is what scripts see: replies unformatted unless
    /// `--no-raw` is given.
    public static func run(
        port: Int, _ arguments: [String], input: String? = nil, timeout: TimeAmount = .seconds(10)
    ) async throws -> Result {
        let process = try start(port: port, arguments, input: input == nil ? .null : .pipe)
        if let input {
            try process.write(input)
            process.closeInput()
        }
        let output: String
        do {
            output = try await process.output.waitForEnd(timeout: timeout)
        } catch {
            await process.terminate()
            throw error
        }
        let status = try await process.waitForExit(timeout: timeout)
        return Result(output: output, status: status)
    }

    /// Starts `redis-cli -h 127.0.0.1 -p port arguments…` with its output on a pipe.
    public static func start(
        port: Int, _ arguments: [String], input: RunningProcess.Input = .null
    ) throws
        -> RunningProcess
    {
        try RunningProcess.spawn(try path(), ["-h", "127.0.0.1", "-p", String(port)] + arguments, input: input)
    }

    /// Starts `redis-cli -h 127.0.0.1 -p port arguments…` on a pseudo-terminal, as a person runs it.
    public static func startInTerminal(port: Int, _ arguments: [String] = []) throws -> RunningProcess {
        try RunningProcess.spawnInTerminal(try path(), ["-h", "127.0.0.1", "-p", String(port)] + arguments)
    }

    private static func path() throws -> String {
        guard let executable else { throw TestSupportError("redis-cli is not installed") }
        return executable
    }
}
