import Foundation
import Testing
import TestSupport

/// The corpus: command sequences whose replies must match Redis 7.0 byte for byte.
///
/// Cases live in `DifferentialCorpus+<Area>.swift`. A case normalizes only what it documents.
enum DifferentialCorpus {
    static let cases: [DifferentialCase] =
        connection + authentication + client + config + server + pubsub + patterns + protocolErrors + strings
        + notifications + stringCommands + bits + dump + keys

    /// Replaces every match of the regular expression `pattern` with `replacement` (`$1` style
    /// references allowed), for `normalize` closures.
    static func replacing(_ pattern: String, with replacement: String) -> @Sendable (String) -> String {
        { line in
            guard let regex = try? NSRegularExpression(pattern: pattern) else { return line }
            return regex.stringByReplacingMatches(
                in: line, range: NSRange(line.startIndex..., in: line), withTemplate: replacement)
        }
    }

    /// Client ids differ: redis-server hands out ids to internal clients (scripting) before the first
    /// connection, so its first connection's id is not ours. Only the id's digits are replaced.
    static let clientID: @Sendable (String) -> String = replacing(
        #"\$2\\r\\nid\\r\\n:[0-9]+\\r\\n"#, with: #"\$2\\r\\nid\\r\\n:<id>\\r\\n"#)
}
