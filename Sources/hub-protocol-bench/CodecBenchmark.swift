import HubBackplane
import HubProtocol
import NIOCore

/// The four measured cases, each over one message: what `Clients.All.SendAsync("ReceiveMessage",
/// text)` makes a hub node do per send and per received message.
struct CodecBenchmark {
    /// The string argument.
    let text: String
    /// Messages timed per case.
    let messages: Int
    /// Messages run per case before the clock starts.
    let warmup: Int

    /// One measured case.
    struct Outcome {
        var seconds: Double
        /// The sum of a per-message length (see each case), so no work can be optimised away.
        var checksum: Int
        /// The bytes of one message as the case produces or consumes it.
        var bytes: Int
    }

    /// `Clients.All.SendAsync("ReceiveMessage", text)` as the hub builds it: a non-blocking
    /// Invocation with one String argument.
    static func receiveMessage(_ text: String) -> HubMessage {
        .invocation(InvocationMessage(target: "ReceiveMessage", arguments: [HubValue(text)]))
    }

    /// Builds the message and writes it, framed, into a buffer cleared each time (what a hub does
    /// per send to a connection). Checksum: the framed length.
    func encode(_ hubProtocol: any HubProtocol) throws -> Outcome {
        var buffer = ByteBufferAllocator().buffer(capacity: 1024)
        let text = text
        let (seconds, checksum) = try measure { () throws(HubProtocolError) -> Int in
            buffer.clear()
            try hubProtocol.writeMessage(Self.receiveMessage(text), into: &buffer)
            return buffer.readableBytes
        }
        return Outcome(seconds: seconds, checksum: checksum, bytes: buffer.readableBytes)
    }

    /// From the framed bytes: `HubMessageDecoder.next` (framing and parsing) and the argument
    /// decoded as `String` (what a node does per received invocation). Checksum: the target's and
    /// the argument's UTF-8 lengths.
    func decode(_ hubProtocol: any HubProtocol) throws -> Outcome {
        let framed = try hubProtocol.serialize(Self.receiveMessage(text))
        var decoder = HubMessageDecoder(hubProtocol: hubProtocol)
        var check = framed
        guard case .invocation(let invocation)? = try decoder.next(&check),
            invocation.target == "ReceiveMessage", try invocation.arguments.decode(String.self, at: 0) == text
        else {
            throw BenchmarkError("\(hubProtocol.name): the message does not decode to what was encoded")
        }
        let (seconds, checksum) = try measure { () throws(HubProtocolError) -> Int in
            var input = framed
            guard case .invocation(let invocation)? = try decoder.next(&input) else {
                throw HubProtocolError(.unexpectedToken, "not an invocation")
            }
            let argument = try invocation.arguments.decode(String.self, at: 0)
            return invocation.target.utf8.count &+ argument.utf8.count
        }
        return Outcome(seconds: seconds, checksum: checksum, bytes: framed.readableBytes)
    }

    /// From the message: a `SerializedHubMessage`, its serialization in every measured protocol,
    /// and the `BackplaneInvocation` payload for `P:all` with no exclusions, written into a buffer
    /// cleared each time (what a node publishes per send). Checksum: the payload's length.
    func backplaneEncode(_ protocols: [any HubProtocol]) throws -> Outcome {
        var buffer = ByteBufferAllocator().buffer(capacity: 1024)
        let text = text
        let (seconds, checksum) = try measure { () throws(HubProtocolError) -> Int in
            let serialized = SerializedHubMessage(Self.receiveMessage(text))
            var serializations: [(protocolName: String, bytes: ByteBuffer)] = []
            serializations.reserveCapacity(protocols.count)
            for hubProtocol in protocols {
                serializations.append((hubProtocol.name, try serialized.serialized(for: hubProtocol)))
            }
            buffer.clear()
            BackplaneInvocation(serializations: serializations).write(into: &buffer)
            return buffer.readableBytes
        }
        return Outcome(seconds: seconds, checksum: checksum, bytes: buffer.readableBytes)
    }

    /// From the `P:all` payload: `BackplaneInvocation(payload:)` and `serialization(for: "json")`
    /// (what a receiving node does per message before writing those bytes to its JSON
    /// connections). Checksum: the JSON serialization's length.
    func backplaneDecode(_ protocols: [any HubProtocol]) throws -> Outcome {
        let serialized = SerializedHubMessage(Self.receiveMessage(text))
        var serializations: [(protocolName: String, bytes: ByteBuffer)] = []
        for hubProtocol in protocols {
            serializations.append((hubProtocol.name, try serialized.serialized(for: hubProtocol)))
        }
        let payload = BackplaneInvocation(serializations: serializations).payload
        let (seconds, checksum) = try measure { () throws(BackplaneMeasureError) -> Int in
            let invocation: BackplaneInvocation
            do throws(HubBackplaneError) {
                invocation = try BackplaneInvocation(payload: payload)
            } catch {
                throw .backplane(error)
            }
            guard let json = invocation.serialization(for: "json") else { throw .missingJSON }
            return json.readableBytes
        }
        return Outcome(seconds: seconds, checksum: checksum, bytes: payload.readableBytes)
    }

    /// Runs `body` `warmup` times, then `messages` times on the clock; returns the measured
    /// seconds and the sum of what `body` returned in the measured runs.
    @inline(__always)
    private func measure<E: Error>(_ body: () throws(E) -> Int) throws(E) -> (seconds: Double, checksum: Int) {
        var warmupSum = 0
        for _ in 0..<warmup { warmupSum &+= try body() }
        let start = ContinuousClock.now
        var checksum = 0
        for _ in 0..<messages { checksum &+= try body() }
        let elapsed = ContinuousClock.now - start
        blackHole(warmupSum)
        let (wholeSeconds, attoseconds) = elapsed.components
        return (Double(wholeSeconds) + Double(attoseconds) / 1e18, checksum)
    }
}

/// Takes a value the optimizer cannot see used otherwise, so the work producing it stays.
/// (Unoptimised, so no specialisation can drop the unused argument.)
@inline(never)
@_optimize(none)
func blackHole(_ value: Int) {}

/// Why a `backplane-decode` iteration failed.
enum BackplaneMeasureError: Error {
    case backplane(HubBackplaneError)
    case missingJSON
}

/// A benchmark that cannot go on (a codec wrote or read something other than the spec's bytes).
struct BenchmarkError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
