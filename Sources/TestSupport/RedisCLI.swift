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

    /// The bytes of a string as redis-cli prints it when not raw (`--no-raw`, or on a terminal):
    /// Redis's `sdscatrepr` quoting, `"…"` with `\\`, `\"`, `\n`, `\r`, `\t`, `\a`, `\b` and
    /// `\xHH` escapes. `nil` when `text` is not such a string. Binary keys (NUL, newlines, bytes
    /// that are not UTF-8) come back exactly, which raw output cannot do: it ends a key at a NUL
    /// and cannot tell a newline in a key from the end of a line.
    public static func unquote<Text: StringProtocol>(_ text: Text) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8.first == UInt8(ascii: "\""), utf8.last == UInt8(ascii: "\"") else { return nil }
        var bytes: [UInt8] = []
        var i = 1
        let end = utf8.count - 1
        while i < end {
            let c = utf8[i]
            i += 1
            guard c == UInt8(ascii: "\\") else {
                if c == UInt8(ascii: "\"") { return nil }  // a quote is always escaped inside
                bytes.append(c)
                continue
            }
            guard i < end else { return nil }
            let escaped = utf8[i]
            i += 1
            switch escaped {
            case UInt8(ascii: "\\"), UInt8(ascii: "\""): bytes.append(escaped)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "a"): bytes.append(0x07)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "x"):
                guard i + 2 <= end, let byte = UInt8(String(decoding: utf8[i..<(i + 2)], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(byte)
                i += 2
            default: return nil
            }
        }
        return bytes
    }

    private static func path() throws -> String {
        guard let executable else { throw TestSupportError("redis-cli is not installed") }
        return executable
    }
}
