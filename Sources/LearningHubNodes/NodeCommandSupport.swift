import Foundation
import Logging

/// Small helpers the two node commands share.
public enum NodeCommandSupport {
    /// A logger at `level` (`trace` … `critical`); `nil` when the name is unknown.
    public static func logger(label: String, level: String) -> Logger? {
        guard let level = Logger.Level(rawValue: level.lowercased()) else { return nil }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }

    /// The line tests and scripts wait for: `<name> listening on http://<host>:<port>`.
    public static func listeningLine(name: String, host: String, port: Int) -> String {
        let shown = host.contains(":") ? "[\(host)]" : host
        return "\(name) listening on http://\(shown):\(port)"
    }

    /// Writes `line` to standard output at once (unbuffered, so a parent process reading a pipe
    /// sees it while the node runs).
    public static func announce(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
