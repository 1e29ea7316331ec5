import NIOCore
import NIOTestUtils
import RESP
import TestSupport
import Testing

/// A value and its exact wire bytes.
struct WireVector: Sendable, CustomTestStringConvertible {
    var value: RESPValue
    var wire: [UInt8]

    init(_ value: RESPValue, _ wire: String) {
        self.value = value
        self.wire = bytes(wire)
    }

    init(_ value: RESPValue, wire: [UInt8]) {
        self.value = value
        self.wire = wire
    }

    var testDescription: String { "\"\(escaped(wire))\"" }
}

private func buf(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }
private func entry(_ key: RESPValue, _ value: RESPValue) -> RESPMapEntry { RESPMapEntry(key: key, value: value) }

private let binary: [UInt8] = [0x00, 0x0D, 0x0A, 0xFF, 0x24, 0x2A]

let wireCorpus: [WireVector] = [
    WireVector(.simple("OK"), "+OK\r\n"),
    WireVector(.simple(""), "+\r\n"),
    WireVector(.error("ERR unknown command 'FOO'"), "-ERR unknown command 'FOO'\r\n"),
    WireVector(.integer(0), ":0\r\n"),
    WireVector(.integer(-1), ":-1\r\n"),
    WireVector(.integer(1000), ":1000\r\n"),
    WireVector(.integer(Int64.max), ":9223372036854775807\r\n"),
    WireVector(.integer(Int64.min), ":-9223372036854775808\r\n"),
    WireVector(.bulk(""), "$0\r\n\r\n"),
    WireVector(.bulk("hello"), "$5\r\nhello\r\n"),
    WireVector(.bulk("é"), "$2\r\né\r\n"),
    WireVector(.bulkString(buf(binary)), wire: bytes("$6\r\n") + binary + bytes("\r\n")),
    WireVector(.nullBulkString, "$-1\r\n"),
    WireVector(.nullArray, "*-1\r\n"),
    WireVector(.null, "_\r\n"),
    WireVector(.array([]), "*0\r\n"),
    WireVector(
        .array([.integer(1), .bulk("two"), .nullBulkString, .array([.simple("x"), .null])]),
        "*4\r\n:1\r\n$3\r\ntwo\r\n$-1\r\n*2\r\n+x\r\n_\r\n"),
    WireVector(.map([]), "%0\r\n"),
    WireVector(
        .map([entry(.simple("first"), .integer(1)), entry(.bulk("second"), .boolean(false))]),
        "%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n#f\r\n"),
    WireVector(.set([]), "~0\r\n"),
    WireVector(.set([.simple("a"), .integer(2), .double(2.5)]), "~3\r\n+a\r\n:2\r\n,2.5\r\n"),
    WireVector(.double(1.5), ",1.5\r\n"),
    WireVector(.double(-2.5), ",-2.5\r\n"),
    WireVector(.double(0.1), ",0.10000000000000001\r\n"),
    WireVector(.double(0), ",0\r\n"),
    WireVector(.double(3), ",3\r\n"),
    WireVector(.double(1e300), ",1.0000000000000001e+300\r\n"),
    WireVector(.double(2.5e-5), ",2.5000000000000001e-05\r\n"),
    WireVector(.double(.infinity), ",inf\r\n"),
    WireVector(.double(-.infinity), ",-inf\r\n"),
    WireVector(.boolean(true), "#t\r\n"),
    WireVector(.boolean(false), "#f\r\n"),
    WireVector(
        .bigNumber(ByteBuffer(string: "3492890328409238509324850943850943825024385")),
        "(3492890328409238509324850943850943825024385\r\n"),
    WireVector(.bigNumber(ByteBuffer(string: "-123")), "(-123\r\n"),
    WireVector(.blobError(ByteBuffer(string: "SYNTAX invalid syntax")), "!21\r\nSYNTAX invalid syntax\r\n"),
    WireVector(.blobError(ByteBuffer(bytes: binary)), wire: bytes("!6\r\n") + binary + bytes("\r\n")),
    WireVector(
        .verbatimString(format: ByteBuffer(string: "txt"), ByteBuffer(string: "Some string")),
        "=15\r\ntxt:Some string\r\n"),
    WireVector(.verbatimString(format: ByteBuffer(string: "mkd"), ByteBuffer()), "=4\r\nmkd:\r\n"),
    WireVector(
        .verbatimString(format: ByteBuffer(string: "txt"), ByteBuffer(string: "a\r\nb")), "=8\r\ntxt:a\r\nb\r\n"),
    WireVector(.push([]), ">0\r\n"),
    WireVector(
        .push([.bulk("message"), .bulk("ch"), .bulk("hi")]), ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"),
    WireVector(
        .attribute(
            [
                entry(
                    .simple("key-popularity"),
                    .map([entry(.bulk("a"), .double(0.1923)), entry(.bulk("b"), .double(0.0012))]))
            ], .array([.integer(2_039_123), .integer(9_543_892)])),
        "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0011999999999999999\r\n"
            + "*2\r\n:2039123\r\n:9543892\r\n"),
    WireVector(
        .array([
            .map([entry(.set([.bulk("m")]), .push([.nullArray]))]),
            .attribute([], .integer(7)),
            .array([.array([.array([])])]),
        ]),
        "*3\r\n%1\r\n~1\r\n$1\r\nm\r\n>1\r\n*-1\r\n|0\r\n:7\r\n*1\r\n*1\r\n*0\r\n"),
]

/// Bytes that are not canonical but valid, and the value they decode to.
private let lenientVectors: [WireVector] = [
    WireVector(.integer(5), ":+5\r\n"),
    WireVector(.integer(7), ":007\r\n"),
    WireVector(.integer(0), ":-0\r\n"),
    WireVector(.double(1000), ",1e3\r\n"),
    WireVector(.double(-1.5), ",-1.50\r\n"),
    WireVector(.bigNumber(ByteBuffer(string: "+12")), "(+12\r\n"),
]

/// Malformed input and the error code it must give.
struct MalformedVector: Sendable, CustomTestStringConvertible {
    var input: [UInt8]
    var code: RESPError.Code
    var limits: RESPLimits = .redisDefaults

    init(_ input: String, _ code: RESPError.Code, limits: RESPLimits = .redisDefaults) {
        self.input = bytes(input)
        self.code = code
        self.limits = limits
    }

    var testDescription: String { "\"\(escaped(input))\"" }
}

private let malformedVectors: [MalformedVector] = [
    MalformedVector("?x\r\n", .invalidTypeByte),
    MalformedVector("OK\r\n", .invalidTypeByte),
    MalformedVector("\r\n", .invalidTypeByte),
    MalformedVector("*1\r\nx\r\n", .invalidTypeByte),
    MalformedVector("+OK\rX", .missingCRLF),
    MalformedVector(":1\rX", .missingCRLF),
    MalformedVector("$3\r\nabcXY", .missingCRLF),
    MalformedVector("$3\r\nabc\rX", .missingCRLF),
    MalformedVector(":abc\r\n", .invalidInteger),
    MalformedVector(":\r\n", .invalidInteger),
    MalformedVector(":-\r\n", .invalidInteger),
    MalformedVector(":1.5\r\n", .invalidInteger),
    MalformedVector(":9223372036854775808\r\n", .invalidInteger),
    MalformedVector(":99999999999999999999\r\n", .invalidInteger),
    MalformedVector("$abc\r\n", .invalidInteger),
    MalformedVector("*x\r\n", .invalidInteger),
    MalformedVector(",abc\r\n", .invalidDouble),
    MalformedVector(",\r\n", .invalidDouble),
    MalformedVector(",1.5x\r\n", .invalidDouble),
    MalformedVector("#x\r\n", .invalidBoolean),
    MalformedVector("#tt\r\n", .invalidBoolean),
    MalformedVector("#\r\n", .invalidBoolean),
    MalformedVector("#T\r\n", .invalidBoolean),
    MalformedVector("$-2\r\n", .invalidBulkLength),
    MalformedVector("!-1\r\n", .invalidBulkLength),
    MalformedVector("=-1\r\n", .invalidBulkLength),
    MalformedVector("=3\r\ntxt\r\n", .invalidBulkLength),
    MalformedVector("=4\r\ntxtx\r\n", .invalidBulkLength),
    MalformedVector("*-2\r\n", .aggregateTooLong),
    MalformedVector("~-1\r\n", .aggregateTooLong),
    MalformedVector(">-1\r\n", .aggregateTooLong),
    MalformedVector("%-1\r\n", .aggregateTooLong),
    MalformedVector("|-1\r\n", .aggregateTooLong),
    MalformedVector("(12a\r\n", .invalidInteger),
    MalformedVector("(\r\n", .invalidInteger),
    MalformedVector("(-\r\n", .invalidInteger),
    MalformedVector("_x\r\n", .missingCRLF),
    // Limits.
    MalformedVector("$6\r\nabcdef\r\n", .invalidBulkLength, limits: .small(maxBulkLength: 5)),
    MalformedVector("!6\r\nabcdef\r\n", .invalidBulkLength, limits: .small(maxBulkLength: 5)),
    MalformedVector("=6\r\ntxt:ab\r\n", .invalidBulkLength, limits: .small(maxBulkLength: 5)),
    MalformedVector("$536870913\r\n", .invalidBulkLength),
    MalformedVector("*3\r\n", .aggregateTooLong, limits: .small(maxAggregateLength: 2)),
    MalformedVector("~3\r\n", .aggregateTooLong, limits: .small(maxAggregateLength: 2)),
    MalformedVector(">3\r\n", .aggregateTooLong, limits: .small(maxAggregateLength: 2)),
    MalformedVector("%3\r\n", .aggregateTooLong, limits: .small(maxAggregateLength: 2)),
    MalformedVector("|3\r\n", .aggregateTooLong, limits: .small(maxAggregateLength: 2)),
    MalformedVector("*2147483648\r\n", .aggregateTooLong),
    MalformedVector("*1\r\n*1\r\n*1\r\n:1\r\n", .nestingTooDeep, limits: .small(maxDepth: 2)),
    MalformedVector("*1\r\n*1\r\n*0\r\n", .nestingTooDeep, limits: .small(maxDepth: 2)),
    MalformedVector("%1\r\n+k\r\n~1\r\n>0\r\n", .nestingTooDeep, limits: .small(maxDepth: 2)),
    MalformedVector("*0\r\n", .nestingTooDeep, limits: .small(maxDepth: 0)),
    MalformedVector("|0\r\n|0\r\n|0\r\n:1\r\n", .nestingTooDeep, limits: .small(maxDepth: 2)),
    MalformedVector(String(repeating: "*1\r\n", count: 129) + ":1\r\n", .nestingTooDeep),
]

/// Decodes values from `chunks` fed one after another, as a `ByteToMessageHandler` would.
private func decodeAll(
    _ chunks: [ArraySlice<UInt8>], limits: RESPLimits = .redisDefaults
) throws(RESPError)
    -> (values: [RESPValue], leftover: Int)
{
    let decoder = RESPValueDecoder(limits: limits)
    var buffer = ByteBuffer()
    var values: [RESPValue] = []
    for chunk in chunks {
        buffer.writeBytes(chunk)
        while let value = try decoder.decode(&buffer) { values.append(value) }
        buffer.discardReadBytes()
    }
    return (values, buffer.readableBytes)
}

@Suite("RESPValueDecoder")
struct RESPValueDecoderTests {
    @Test("encodes to the exact bytes, decodes back, re-encodes identically", arguments: wireCorpus)
    func roundTrip(_ vector: WireVector) throws {
        #expect(Array(vector.value.encoded.readableBytesView) == vector.wire)
        var input = ByteBuffer(bytes: vector.wire)
        let decoded = try #require(try RESPValueDecoder().decode(&input))
        #expect(decoded == vector.value)
        #expect(input.readableBytes == 0)
        #expect(Array(decoded.encoded.readableBytesView) == vector.wire)
    }

    @Test("every strict prefix asks for more and consumes nothing", arguments: wireCorpus)
    func prefixesNeedMoreData(_ vector: WireVector) throws {
        let decoder = RESPValueDecoder()
        for length in 0..<vector.wire.count {
            var input = ByteBuffer(bytes: vector.wire[..<length])
            #expect(try decoder.decode(&input) == nil, "prefix of \(length) bytes")
            #expect(input.readerIndex == 0)
        }
    }

    @Test("every two-chunk split decodes the same values", arguments: [wireCorpus.flatMap(\.wire)])
    func everySplitOfTheCorpus(_ input: [UInt8]) throws {
        let expected = wireCorpus.map(\.value)
        for i in 0...input.count {
            let (values, leftover) = try decodeAll([input[..<i], input[i...]])
            #expect(values == expected, "split at \(i)")
            #expect(leftover == 0)
            if values != expected { break }
        }
    }

    @Test("ByteToMessageDecoderVerifier accepts the decoder on the whole corpus")
    func verifier() throws {
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: wireCorpus.map { (ByteBuffer(bytes: $0.wire), [$0.value]) },
            decoderFactory: { RESPValueDecoder() })
    }

    @Test("several values in one buffer come out one by one")
    func severalValuesInOneBuffer() throws {
        var input = ByteBuffer(string: "+OK\r\n:1\r\n$1\r\na\r\n*1\r\n$1")
        let decoder = RESPValueDecoder()
        #expect(try decoder.decode(&input) == .simple("OK"))
        #expect(try decoder.decode(&input) == .integer(1))
        #expect(try decoder.decode(&input) == .bulk("a"))
        #expect(try decoder.decode(&input) == nil)
        #expect(String(buffer: input) == "*1\r\n$1")
    }

    @Test("lenient but valid input decodes", arguments: lenientVectors)
    func lenient(_ vector: WireVector) throws {
        var input = ByteBuffer(bytes: vector.wire)
        #expect(try RESPValueDecoder().decode(&input) == vector.value)
        #expect(input.readableBytes == 0)
    }

    @Test("nan decodes to a NaN double")
    func nan() throws {
        var input = ByteBuffer(string: ",nan\r\n")
        guard case .double(let d) = try RESPValueDecoder().decode(&input) else {
            Issue.record("not a double")
            return
        }
        #expect(d.isNaN)
    }

    @Test("nesting up to maxDepth aggregates is accepted")
    func depthAtLimit() throws {
        let limits = RESPLimits.small(maxDepth: 2)
        for text in ["*1\r\n*1\r\n:1\r\n", "*1\r\n*0\r\n", "*1\r\n*-1\r\n", "|0\r\n*0\r\n", ":1\r\n"] {
            var input = ByteBuffer(string: text)
            #expect(try RESPValueDecoder(limits: limits).decode(&input) != nil, "\(escaped(bytes(text)))")
        }
        var zero = ByteBuffer(string: "$1\r\na\r\n")
        #expect(try RESPValueDecoder(limits: .small(maxDepth: 0)).decode(&zero) == .bulk("a"))
        var deep = ByteBuffer(string: String(repeating: "*1\r\n", count: 128) + ":1\r\n")
        #expect(try RESPValueDecoder().decode(&deep) != nil)
    }

    @Test("an unlimited bulk length does not overflow on a huge header")
    func hugeBulkLengthWithoutLimit() throws {
        let decoder = RESPValueDecoder(limits: .small(maxBulkLength: Int.max))
        for type in ["$", "!", "="] {
            var input = ByteBuffer(string: type + "9223372036854775807\r\nabc")
            #expect(try decoder.decode(&input) == nil)
        }
    }

    @Test("bulk and aggregate lengths at the limit are accepted")
    func lengthsAtLimit() throws {
        var bulk = ByteBuffer(string: "$5\r\nabcde\r\n")
        #expect(try RESPValueDecoder(limits: .small(maxBulkLength: 5)).decode(&bulk) == .bulk("abcde"))
        var array = ByteBuffer(string: "*2\r\n:1\r\n:2\r\n")
        #expect(
            try RESPValueDecoder(limits: .small(maxAggregateLength: 2)).decode(&array)
                == .array([.integer(1), .integer(2)]))
    }

    @Test("malformed input throws the right error", arguments: malformedVectors)
    func malformed(_ vector: MalformedVector) {
        var input = ByteBuffer(bytes: vector.input)
        let decoder = RESPValueDecoder(limits: vector.limits)
        let error = #expect(throws: RESPError.self) { try decoder.decode(&input) }
        #expect(error?.code == vector.code)
    }

    @Test("random bytes never trap")
    func randomBytes() {
        var rng = SeededRandomNumberGenerator(seed: 0x5EED_0001)
        let alphabet = bytes("+-:$*_,#(!=%~>|0123456789\r\n\r\n\r\n-tf.einfa")
        let decoder = RESPValueDecoder(limits: .small(maxBulkLength: 64, maxDepth: 16, maxAggregateLength: 64))
        var outcomes = (values: 0, needMore: 0, errors: 0)
        for round in 0..<4000 {
            let length = Int.random(in: 0...48, using: &rng)
            let input: [UInt8] = (0..<length).map { _ in
                round % 2 == 0 ? UInt8.random(in: 0...255, using: &rng) : alphabet.randomElement(using: &rng)!
            }
            Self.decodeToTheEnd(input, decoder, &outcomes)
        }
        // Random bytes rarely make a whole value; the mutation test below covers that side.
        #expect(outcomes.values > 0)
        #expect(outcomes.needMore > 100)
        #expect(outcomes.errors > 100)
    }

    @Test("random mutations of valid encodings never trap")
    func mutations() {
        var rng = SeededRandomNumberGenerator(seed: 0x5EED_0002)
        let decoder = RESPValueDecoder()
        var outcomes = (values: 0, needMore: 0, errors: 0)
        let interesting = bytes("\r\n0123456789-+*$:%~>|_#,(!=")
        for vector in wireCorpus {
            for _ in 0..<150 {
                var input = vector.wire
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let position = Int.random(in: 0..<max(input.count, 1), using: &rng)
                    let byte =
                        Bool.random(using: &rng)
                        ? interesting.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
                    switch Int.random(in: 0..<4, using: &rng) {
                    case 0 where !input.isEmpty: input[position] = byte
                    case 1: input.insert(byte, at: min(position, input.count))
                    case 2 where !input.isEmpty: input.remove(at: position)
                    default: input = Array(input[..<min(position, input.count)])
                    }
                }
                Self.decodeToTheEnd(input, decoder, &outcomes)
            }
        }
        #expect(outcomes.values > 100)
        #expect(outcomes.errors > 100)
    }

    /// Decodes values until the decoder asks for more or throws; checks a value always consumes
    /// bytes and "need more" consumes none.
    private static func decodeToTheEnd(
        _ input: [UInt8], _ decoder: RESPValueDecoder, _ outcomes: inout (values: Int, needMore: Int, errors: Int)
    ) {
        var buffer = ByteBuffer(bytes: input)
        while true {
            let before = buffer.readerIndex
            do {
                guard try decoder.decode(&buffer) != nil else {
                    #expect(buffer.readerIndex == before)
                    outcomes.needMore += 1
                    return
                }
                outcomes.values += 1
                #expect(buffer.readerIndex > before)
            } catch {
                outcomes.errors += 1
                return
            }
        }
    }
}
