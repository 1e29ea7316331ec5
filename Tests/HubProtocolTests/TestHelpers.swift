import HubProtocol
import NIOCore
import Testing

/// Bytes from hex pairs separated by spaces or newlines (`"7b 7d 1e"`).
func hex(_ text: String) -> [UInt8] {
    text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { UInt8($0, radix: 16)! }
}

/// Bytes of a UTF-8 literal.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Bytes of a JSON frame: the text and the record separator.
func frame(_ json: String) -> [UInt8] { Array(json.utf8) + [0x1E] }

/// The readable bytes of a buffer.
func array(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

/// A readable rendering of bytes for failure messages.
func escaped(_ bytes: [UInt8]) -> String {
    var s = ""
    for b in bytes {
        switch b {
        case 0x1E: s += "<RS>"
        case 0x5C: s += "\\\\"
        case 0x20..<0x7F: s.append(Character(Unicode.Scalar(b)))
        default: s += "\\x" + (b < 16 ? "0" : "") + String(b, radix: 16)
        }
    }
    return s
}

let json = JSONHubProtocol()

/// Writes `message` with the JSON protocol.
func write(_ message: HubMessage) throws -> [UInt8] {
    array(try json.serialize(message))
}

/// Parses one JSON frame's payload (the bytes without the record separator).
func parse(_ payload: String) throws(HubProtocolError) -> HubMessage? {
    try json.parseMessage(ByteBuffer(string: payload))
}

let messagePack = MessagePackHubProtocol()

/// Writes `message` with the MessagePack protocol (framed).
func writePack(_ message: HubMessage) throws -> [UInt8] {
    array(try messagePack.serialize(message))
}

/// Parses one MessagePack frame's payload (the bytes without the length prefix).
func parsePack(_ payload: [UInt8]) throws(HubProtocolError) -> HubMessage? {
    try messagePack.parseMessage(ByteBuffer(bytes: payload))
}

/// The canonical text of `message` once written as JSON and read back: Swift values rendered as
/// JSON text, to compare with a message read from MessagePack (whose values render as JSON too).
func jsonCanonical(_ message: HubMessage) throws -> String {
    let framed = try write(message)
    return canonical(try parse(String(decoding: framed.dropLast(), as: UTF8.self)))
}

/// Parses one whole MessagePack frame (length prefix and payload), which must be all of `framed`.
func parsePackFrame(_ framed: [UInt8]) throws -> HubMessage? {
    var buffer = ByteBuffer(bytes: framed)
    var decoder = HubFrameDecoder(framing: .varIntLengthPrefix, maximumMessageSize: nil)
    let payload = try #require(try decoder.nextFrame(&buffer))
    #expect(buffer.readableBytes == 0)
    return try messagePack.parseMessage(payload)
}

/// A canonical text of a message, for comparing messages: raw values as their JSON text, Swift
/// values through their description, headers sorted.
func canonical(_ message: HubMessage?) -> String {
    guard let message else { return "<nil>" }
    func headers(_ h: [String: String]) -> String {
        h.isEmpty
            ? "" : " headers=" + h.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
    func args(_ a: HubArguments) -> String { "[" + a.map(\.description).joined(separator: ",") + "]" }
    switch message {
    case .invocation(let m):
        return
            "invocation\(headers(m.headers)) id=\(m.invocationId ?? "-") target=\(m.target) args=\(args(m.arguments)) streams=\(m.streamIds)"
    case .streamInvocation(let m):
        return
            "streamInvocation\(headers(m.headers)) id=\(m.invocationId) target=\(m.target) args=\(args(m.arguments)) streams=\(m.streamIds)"
    case .streamItem(let m):
        return "streamItem\(headers(m.headers)) id=\(m.invocationId) item=\(m.item)"
    case .completion(let m):
        let outcome: String
        switch m.outcome {
        case .void: outcome = "void"
        case .error(let e): outcome = "error=\(e)"
        case .result(let r): outcome = "result=\(r)"
        }
        return "completion\(headers(m.headers)) id=\(m.invocationId) \(outcome)"
    case .cancelInvocation(let m):
        return "cancel\(headers(m.headers)) id=\(m.invocationId)"
    case .ping:
        return "ping"
    case .close(let m):
        return "close error=\(m.error ?? "-") allowReconnect=\(m.allowReconnect)"
    case .ack(let id):
        return "ack \(id)"
    case .sequence(let id):
        return "sequence \(id)"
    }
}

/// What reading a stream produced: the messages (canonical), the error that stopped it, leftovers.
struct StreamOutcome: Equatable, CustomStringConvertible {
    var messages: [String] = []
    var error: HubProtocolError? = nil
    var leftover: [UInt8] = []

    var description: String {
        "messages: \(messages), error: \(error.map { "\($0)" } ?? "none"), leftover: \(escaped(leftover))"
    }
}

/// Feeds `chunks` to a fresh decoder as a connection does, taking messages after every chunk.
func feed(
    _ chunks: [ArraySlice<UInt8>], hubProtocol: any HubProtocol = JSONHubProtocol(),
    maximumMessageSize: Int? = HubFrameDecoder.defaultMaximumMessageSize, compact: Bool = false
) -> StreamOutcome {
    var decoder = HubMessageDecoder(hubProtocol: hubProtocol, maximumMessageSize: maximumMessageSize)
    var buffer = ByteBuffer()
    var outcome = StreamOutcome()
    for chunk in chunks {
        buffer.writeBytes(chunk)
        do {
            while let message = try decoder.next(&buffer) { outcome.messages.append(canonical(message)) }
        } catch {
            outcome.error = error
            outcome.leftover = array(buffer)
            return outcome
        }
        if compact { buffer.discardReadBytes() }
    }
    outcome.leftover = array(buffer)
    return outcome
}

/// The input whole, split in two at every position (with and without compaction), and byte by byte.
func everySplit(
    _ input: [UInt8], hubProtocol: any HubProtocol = JSONHubProtocol(),
    maximumMessageSize: Int? = HubFrameDecoder.defaultMaximumMessageSize
) -> [(
    String, StreamOutcome
)] {
    func run(_ chunks: [ArraySlice<UInt8>], compact: Bool = false) -> StreamOutcome {
        feed(chunks, hubProtocol: hubProtocol, maximumMessageSize: maximumMessageSize, compact: compact)
    }
    var results: [(String, StreamOutcome)] = []
    results.append(("whole", run([input[...]])))
    for i in 0...input.count {
        let chunks = [input[..<i], input[i...]]
        results.append(("split at \(i)", run(chunks)))
        results.append(("split at \(i), compacted", run(chunks, compact: true)))
    }
    let single = input.indices.map { input[$0...$0] }
    results.append(("byte by byte", run(single)))
    results.append(("byte by byte, compacted", run(single, compact: true)))
    return results
}

/// A deterministic pseudo-random generator (SplitMix64), so fuzz failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
