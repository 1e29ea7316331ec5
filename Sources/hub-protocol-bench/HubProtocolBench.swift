import ArgumentParser
import HubProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `hub-protocol-bench`: encode and decode rates of the hub protocol codecs and of the backplane
/// `:all` message, printed as JSON lines for `tools/bench-hubprotocol` to read.
@main
struct HubProtocolBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub-protocol-bench",
        abstract: "Messages per second of the hub protocol codecs and the backplane message (JSON lines on stdout).",
        discussion: """
            The message is what Clients.All.SendAsync("ReceiveMessage", text) sends: a non-blocking \
            Invocation of ReceiveMessage with one string argument of --length ASCII characters. Cases \
            (--cases), each timed over --messages messages after --warmup untimed ones, on one thread:
            - encode (once per protocol): build the HubMessage and write it, framed, into a buffer \
            cleared each time — what a hub does per send to a connection;
            - decode (once per protocol): HubMessageDecoder.next on the framed bytes (framing and \
            parsing) and the argument decoded as String — what a node does per received invocation;
            - backplane-encode: from the message, a SerializedHubMessage, its json and messagepack \
            serializations, and the BackplaneInvocation payload for P:all with no exclusions — what \
            a node publishes per send;
            - backplane-decode: BackplaneInvocation(payload:) and serialization(for: "json") — what a \
            receiving node does per message.

            Before measuring, the codecs are checked against the spec's worked byte examples 1–3.

            Each line: case, protocol, implementation, stand_in, messages, seconds, \
            messages_per_sec, ns_per_message, bytes (one message as the case writes or reads it) and \
            checksum (a sum of lengths over the timed messages, so no work is optimised away; \
            tools/hubprotocol-reference.py computes the same sums). tools/bench-hubprotocol runs \
            this side by side with that Python reference.
            """
    )

    /// What can be measured.
    enum Case: String, CaseIterable {
        case encode, decode
        case backplaneEncode = "backplane-encode"
        case backplaneDecode = "backplane-decode"
    }

    @Option(name: [.customShort("n"), .long], help: "Messages timed per case.")
    var messages = 1_000_000

    @Option(help: "Messages run per case before the clock starts.")
    var warmup = 100_000

    @Option(help: "ASCII characters in the string argument.")
    var length = 100

    @Option(help: "Cases, comma-separated: encode, decode, backplane-encode, backplane-decode.")
    var cases = Case.allCases.map(\.rawValue).joined(separator: ",")

    func validate() throws {
        guard messages >= 1, warmup >= 0, length >= 0 else {
            throw ValidationError("--messages must be at least 1, --warmup and --length at least 0")
        }
        _ = try parsedCases()
    }

    func parsedCases() throws -> [Case] {
        try cases.split(separator: ",").map { name in
            guard let benchCase = Case(rawValue: name.lowercased()) else {
                throw ValidationError("unknown case \(name)")
            }
            return benchCase
        }
    }

    /// `length` characters of a repeated English sentence (the reference builds the same text).
    static func text(length: Int) -> String {
        let sentence = "The quick brown fox jumps over the lazy dog. "
        return String(String(repeating: sentence, count: length / sentence.count + 1).prefix(length))
    }

    func run() throws {
        try SpecExamples.check(measuredProtocols)
        let benchmark = CodecBenchmark(text: Self.text(length: length), messages: messages, warmup: warmup)
        for benchCase in try parsedCases() {
            switch benchCase {
            case .encode, .decode:
                for hubProtocol in measuredProtocols {
                    let outcome =
                        benchCase == .encode ? try benchmark.encode(hubProtocol) : try benchmark.decode(hubProtocol)
                    emit(benchCase, hubProtocol.name, standIn: isStandIn(hubProtocol), outcome)
                }
            case .backplaneEncode:
                emit(
                    benchCase, measuredProtocols.map(\.name).joined(separator: "+"),
                    standIn: measuredProtocols.contains(where: isStandIn),
                    try benchmark.backplaneEncode(measuredProtocols))
            case .backplaneDecode:
                // Reads the payload's serializations as opaque bytes: no protocol's codec runs.
                emit(benchCase, "json", standIn: false, try benchmark.backplaneDecode(measuredProtocols))
            }
        }
    }

    private func emit(_ benchCase: Case, _ protocolName: String, standIn: Bool, _ outcome: CodecBenchmark.Outcome) {
        let line = ResultLine(
            benchCase: benchCase.rawValue, protocolName: protocolName, standIn: standIn, messages: messages,
            outcome: outcome)
        print(line.text)
        fflush(nil)
    }
}
