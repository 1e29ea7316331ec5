/// One result, printed as a JSON line: the format `tools/bench-hubprotocol` reads, shared with
/// `tools/hubprotocol-reference.py`.
struct ResultLine {
    /// `encode`, `decode`, `backplane-encode` or `backplane-decode`.
    var benchCase: String
    /// `json`, `messagepack`, or `json+messagepack` for the backplane payload.
    var protocolName: String
    /// Whether a hand-written stand-in produced part of it (see MeasuredProtocols.swift).
    var standIn: Bool
    var messages: Int
    var outcome: CodecBenchmark.Outcome

    /// `{"case": …, "protocol": …, …}`: only ASCII names and numbers, so no escaping is needed.
    var text: String {
        let perSecond = Double(messages) / outcome.seconds
        let nanoseconds = outcome.seconds * 1e9 / Double(messages)
        let fields: [(String, String)] = [
            ("case", "\"\(benchCase)\""),
            ("protocol", "\"\(protocolName)\""),
            ("implementation", "\"switchboard\""),
            ("stand_in", standIn ? "true" : "false"),
            ("messages", "\(messages)"),
            ("seconds", number(outcome.seconds)),
            ("messages_per_sec", number(perSecond)),
            ("ns_per_message", number(nanoseconds)),
            ("bytes", "\(outcome.bytes)"),
            ("checksum", "\(outcome.checksum)"),
        ]
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    private func number(_ value: Double) -> String {
        value.isFinite ? "\(value)" : "null"
    }
}
