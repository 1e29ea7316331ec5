import MessagePack
import NIOCore
import Testing

// MARK: - Types under test

struct Address: Codable, Equatable {
    var street: String
    var city: String
    var zip: Int?
}

enum Mood: String, Codable {
    case happy
    case grumpy
}

enum Level: Int, Codable {
    case low = 1
    case high = 300
}

struct Person: Codable, Equatable {
    var name: String
    var age: Int
    var email: String?
    var tags: [String]
    var scores: [String: Double]
    var avatar: [UInt8]
    var mood: Mood
    var level: Level
    var home: Address
    var previous: [Address]
    var big: UInt64
    var small: Int8
    var negative: Int64
    var ratio: Float
    var precise: Double
    var flag: Bool
    var nothing: Int?
    var nested: [[Int?]]
    var when: MessagePackTimestamp
}

let samplePerson = Person(
    name: "Ada", age: 36, email: "ada@example.com", tags: ["math", "engines"],
    scores: ["algebra": 9.5, "poetry": 7.25], avatar: [0, 1, 2, 255], mood: .happy, level: .high,
    home: Address(street: "1 Analytical Way", city: "London", zip: nil),
    previous: [Address(street: "A", city: "B", zip: 12345), Address(street: "C", city: "D", zip: -1)],
    big: .max, small: -128, negative: .min, ratio: 0.5, precise: 0.1, flag: true, nothing: nil,
    nested: [[1, nil, 3], [], [nil]], when: try! MessagePackTimestamp(seconds: 1_700_000_000, nanoseconds: 5))

/// A type with a hand-written `Codable` implementation: a version number in front, then the fields
/// in an array, a nested keyed container and a super encoder.
struct Custom: Codable, Equatable {
    var id: Int
    var labels: [String]
    var extra: [String: Int]

    init(id: Int, labels: [String], extra: [String: Int]) {
        self.id = id
        self.labels = labels
        self.extra = extra
    }

    private enum Keys: String, CodingKey {
        case meta
    }

    private enum MetaKeys: String, CodingKey {
        case id
        case labels
    }

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        let version = try container.decode(Int.self)
        guard version == 2 else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "version \(version)")
        }
        let outer = try container.nestedContainer(keyedBy: Keys.self)
        let meta = try outer.nestedContainer(keyedBy: MetaKeys.self, forKey: .meta)
        id = try meta.decode(Int.self, forKey: .id)
        var labelsContainer = try meta.nestedUnkeyedContainer(forKey: .labels)
        var labels: [String] = []
        while !labelsContainer.isAtEnd {
            labels.append(try labelsContainer.decode(String.self))
        }
        self.labels = labels
        extra = try [String: Int](from: try container.superDecoder())
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(2)
        var outer = container.nestedContainer(keyedBy: Keys.self)
        var meta = outer.nestedContainer(keyedBy: MetaKeys.self, forKey: .meta)
        try meta.encode(id, forKey: .id)
        var labelsContainer = meta.nestedUnkeyedContainer(forKey: .labels)
        for label in labels { try labelsContainer.encode(label) }
        try extra.encode(to: container.superEncoder())
    }
}

/// A class hierarchy whose subclass shares its superclass's keyed container (synthesized style).
class Animal: Codable {
    var legs: Int

    init(legs: Int) {
        self.legs = legs
    }

    private enum CodingKeys: String, CodingKey {
        case legs
    }
}

final class Dog: Animal {
    var name: String

    init(name: String, legs: Int) {
        self.name = name
        super.init(legs: legs)
    }

    private enum CodingKeys: String, CodingKey {
        case name
    }

    required init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        try super.init(from: decoder)
    }

    override func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try super.encode(to: encoder)
    }
}

/// Stands in for Foundation's `Date`, which the HubProtocol module conforms to the hook.
struct UnixTime: Codable, Equatable, MessagePackTimestampRepresentable {
    var nanoseconds: Int64

    init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    init(messagePackTimestamp timestamp: MessagePackTimestamp) throws {
        let (seconds, overflow) = timestamp.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { throw MessagePackError(.integerOverflow, "too far") }
        nanoseconds = seconds + Int64(timestamp.nanoseconds)
    }

    var messagePackTimestamp: MessagePackTimestamp {
        get throws {
            let (seconds, remainder) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
            return remainder < 0
                ? try MessagePackTimestamp(seconds: seconds - 1, nanoseconds: UInt32(remainder + 1_000_000_000))
                : try MessagePackTimestamp(seconds: seconds, nanoseconds: UInt32(remainder))
        }
    }
}

/// Stands in for Foundation's `Data`.
struct Blob: Codable, Equatable, MessagePackBinaryRepresentable {
    var bytes: [UInt8]

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    init(messagePackBinary bytes: ByteBuffer) {
        self.bytes = Array(bytes.readableBytesView)
    }

    func withMessagePackBinary<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try bytes.withUnsafeBytes(body)
    }
}

private func roundTrip<T: Codable & Equatable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let bytes = try MessagePackEncoder().encode(value)
    let decoded = try MessagePackDecoder().decode(T.self, from: bytes)
    #expect(decoded == value, sourceLocation: sourceLocation)
    // Every encoding is one well-formed value.
    _ = try MessagePackValue(decoding: bytes)
}

private func decodingError<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) -> (any Error)? {
    do {
        _ = try MessagePackDecoder().decode(T.self, from: bytes)
        return nil
    } catch {
        return error
    }
}

// MARK: - Tests

@Suite("Codable bridge")
struct CodableTests {
    @Test("a struct encodes to a map keyed by its property names, in declaration order")
    func structBytes() throws {
        struct Point: Codable, Equatable {
            var x: Int
            var y: Int
            var label: String
            var weight: Double?
        }
        let point = Point(x: 1, y: -300, label: "p", weight: nil)
        #expect(
            try MessagePackEncoder().encode(point)
                == hex("83 a1 78 01 a1 79 d1 fe d4 a5 6c 61 62 65 6c a1 70"))
        var withNil = MessagePackEncoder()
        withNil.encodesNilForAbsentOptionals = true
        #expect(
            try withNil.encode(point)
                == hex("84 a1 78 01 a1 79 d1 fe d4 a5 6c 61 62 65 6c a1 70 a6 77 65 69 67 68 74 c0"))
        // Both forms, and any key order, decode back.
        #expect(try MessagePackDecoder().decode(Point.self, from: try withNil.encode(point)) == point)
        #expect(
            try MessagePackDecoder().decode(
                Point.self,
                from: hex("84 a6 77 65 69 67 68 74 ca 3f c0 00 00 a5 6c 61 62 65 6c a1 70 a1 79 02 a1 78 01"))
                == Point(x: 1, y: 2, label: "p", weight: 1.5))
    }

    @Test("scalars, arrays and dictionaries take the conventional forms")
    func conventionalForms() throws {
        let encoder = MessagePackEncoder()
        #expect(try encoder.encode(5) == hex("05"))
        #expect(try encoder.encode(Int8(-1)) == hex("ff"))
        #expect(try encoder.encode(UInt16(300)) == hex("cd 01 2c"))
        #expect(try encoder.encode(Float(1.5)) == hex("ca 3f c0 00 00"))
        #expect(try encoder.encode(1.5) == hex("cb 3f f8 00 00 00 00 00 00"))
        #expect(try encoder.encode("hi") == hex("a2 68 69"))
        #expect(try encoder.encode(true) == hex("c3"))
        #expect(try encoder.encode(Int?.none) == hex("c0"))
        #expect(try encoder.encode([1, 2]) == hex("92 01 02"))
        #expect(try encoder.encode([Int?.none, 1]) == hex("92 c0 01"))
        #expect(try encoder.encode([UInt8]([1, 2])) == hex("c4 02 01 02"))
        #expect(try encoder.encode(["k": 1]) == hex("81 a1 6b 01"))
        #expect(try encoder.encode(Mood.grumpy) == hex("a6 67 72 75 6d 70 79"))
        #expect(try encoder.encode(Level.high) == hex("cd 01 2c"))
        #expect(try encoder.encode(try MessagePackTimestamp(seconds: 1)) == hex("d6 ff 00 00 00 01"))
        #expect(try encoder.encode(Blob(bytes: [9])) == hex("c4 01 09"))
        #expect(try encoder.encode(UnixTime(nanoseconds: -1)) == hex("c7 0c ff 3b 9a c9 ff ff ff ff ff ff ff ff ff"))
        #expect(try encoder.encode([String]()) == hex("90"))
        #expect(try encoder.encode([String: Int]()) == hex("80"))
    }

    @Test("a rich struct round-trips")
    func richRoundTrip() throws {
        try roundTrip(samplePerson)
        try roundTrip([samplePerson, samplePerson])
        try roundTrip(["a": samplePerson])
    }

    @Test("custom Codable implementations, nested containers and super encoders round-trip")
    func customRoundTrip() throws {
        let custom = Custom(id: 7, labels: ["x", "y"], extra: ["one": 1])
        let bytes = try MessagePackEncoder().encode(custom)
        #expect(
            bytes
                == hex("93 02 81 a4 6d 65 74 61 82 a2 69 64 07 a6 6c 61 62 65 6c 73 92 a1 78 a1 79 81 a3 6f 6e 65 01"))
        try roundTrip(custom)
        try roundTrip([custom, Custom(id: -1, labels: [], extra: [:])])
    }

    @Test("a subclass and its superclass share one map")
    func classHierarchy() throws {
        let bytes = try MessagePackEncoder().encode(Dog(name: "Rex", legs: 4))
        #expect(bytes == hex("82 a4 6e 61 6d 65 a3 52 65 78 a4 6c 65 67 73 04"))
        let dog = try MessagePackDecoder().decode(Dog.self, from: bytes)
        #expect(dog.name == "Rex")
        #expect(dog.legs == 4)
    }

    @Test("containers past 15 elements get 16- and 32-bit headers")
    func largeContainers() throws {
        let encoder = MessagePackEncoder()
        let sixteen = Array(0..<16)
        #expect(try encoder.encode(sixteen) == hex("dc 00 10") + (0..<16).map { UInt8($0) })
        let many = (0..<70_000).map { $0 % 100 }
        let manyBytes = try encoder.encode(many)
        #expect(Array(manyBytes.prefix(5)) == hex("dd 00 01 11 70"))
        #expect(try MessagePackDecoder().decode([Int].self, from: manyBytes) == many)

        var dictionary: [String: [Int]] = [:]
        for i in 0..<20 { dictionary["key\(i)"] = Array(0..<i) }
        let dictionaryBytes = try encoder.encode(dictionary)
        #expect(Array(dictionaryBytes.prefix(3)) == hex("de 00 14"))
        #expect(try MessagePackDecoder().decode([String: [Int]].self, from: dictionaryBytes) == dictionary)

        // Nested big containers inside small ones, and the reverse, all patched in place.
        let nested: [[Int]] = [Array(0..<20), [1], Array(0..<300), []]
        try roundTrip(nested)
        let people = Array(repeating: samplePerson, count: 17)
        try roundTrip(people)
        let value = try MessagePackValue(decoding: try encoder.encode(people))
        guard case .array(let elements) = value, case .map(let fields) = elements[16] else {
            Issue.record("not an array of maps")
            return
        }
        #expect(fields.count == 18)  // `nothing` is nil and left out
    }

    @Test("integers decode from any width that fits; overflow is an error")
    func integerDecoding() throws {
        let decoder = MessagePackDecoder()
        #expect(try decoder.decode(Int8.self, from: hex("cd 00 05")) == 5)
        #expect(try decoder.decode(UInt8.self, from: hex("d3 00 00 00 00 00 00 00 ff")) == 255)
        #expect(try decoder.decode(Int.self, from: hex("cf 7f ff ff ff ff ff ff ff")) == .max)
        #expect(try decoder.decode(UInt64.self, from: hex("cf ff ff ff ff ff ff ff ff")) == .max)
        #expect(try decoder.decode(Double.self, from: hex("ca 3f c0 00 00")) == 1.5)
        #expect(try decoder.decode(Double.self, from: hex("d0 9c")) == -100)
        #expect(try decoder.decode(Float.self, from: hex("cb 3f f8 00 00 00 00 00 00")) == 1.5)
        #expect(try decoder.decode(Level.self, from: hex("cd 01 2c")) == .high)
        for (type, bytes) in [
            (Int8.self as any Decodable.Type, "cc 80"), (UInt8.self, "ff"), (UInt64.self, "d0 ff"),
            (Int64.self, "cf ff ff ff ff ff ff ff ff"), (UInt16.self, "ce 00 01 00 00"),
            (Int32.self, "d3 00 00 00 01 00 00 00 00"),
        ] {
            let error = decodingError(type, hex(bytes))
            #expect(underlyingCode(error!) == .integerOverflow, "\(type) from \(bytes)")
            guard case .dataCorrupted = error as? DecodingError else {
                Issue.record("expected dataCorrupted, got \(String(describing: error))")
                continue
            }
        }
        // A raw value outside the enum's cases.
        #expect(decodingError(Level.self, hex("02")) is DecodingError)
    }

    @Test("type mismatches, nils and missing keys give the matching DecodingError")
    func decodingErrors() throws {
        guard case .typeMismatch(let type, let context) = decodingError(Int.self, hex("a1 61")) as? DecodingError else {
            Issue.record("expected typeMismatch")
            return
        }
        #expect(ObjectIdentifier(type) == ObjectIdentifier(Int.self))
        #expect((context.underlyingError as? MessagePackError)?.code == .typeMismatch)

        guard case .valueNotFound = decodingError(String.self, hex("c0")) as? DecodingError else {
            Issue.record("expected valueNotFound")
            return
        }
        guard
            case .keyNotFound(let key, _) = decodingError(Address.self, hex("81 a4 63 69 74 79 a1 78"))
                as? DecodingError
        else {
            Issue.record("expected keyNotFound")
            return
        }
        #expect(key.stringValue == "street")

        guard case .typeMismatch(_, let arrayContext) = decodingError(Address.self, hex("91 01")) as? DecodingError
        else {
            Issue.record("expected typeMismatch for an array where a map is needed")
            return
        }
        #expect(arrayContext.codingPath.isEmpty)

        // The coding path leads to the bad value.
        guard
            case .typeMismatch(_, let nested) = decodingError(
                [Address].self, hex("91 82 a6 73 74 72 65 65 74 01 a4 63 69 74 79 a1 78")) as? DecodingError
        else {
            Issue.record("expected typeMismatch inside an array")
            return
        }
        #expect(nested.codingPath.map(\.stringValue) == ["Index 0", "street"])

        // A key that is not a string or an integer cannot be a coding key.
        #expect(decodingError(Address.self, hex("81 c3 01")) is DecodingError)
        // Trailing bytes.
        #expect(underlyingCode(decodingError(Int.self, hex("01 02"))!) == .trailingBytes)
        // Strings with invalid UTF-8.
        #expect(underlyingCode(decodingError(String.self, hex("a1 ff"))!) == .invalidUTF8)
    }

    @Test("[UInt8] and binary types accept bin or an array of small integers")
    func bytesFromArrays() throws {
        let decoder = MessagePackDecoder()
        #expect(try decoder.decode([UInt8].self, from: hex("93 01 02 cc ff")) == [1, 2, 255])
        #expect(try decoder.decode([UInt8].self, from: hex("c4 02 01 02")) == [1, 2])
        #expect(try decoder.decode(Blob.self, from: hex("92 01 02")) == Blob(bytes: [1, 2]))
        #expect(try decoder.decode(Blob.self, from: hex("c5 00 01 07")) == Blob(bytes: [7]))
        #expect(underlyingCode(decodingError([UInt8].self, hex("91 cd 01 00"))!) == .integerOverflow)
        #expect(decodingError([UInt8].self, hex("a1 61")) is DecodingError)
        try roundTrip(Blob(bytes: Array(0...255)))
    }

    @Test("timestamp types go through the hook")
    func timestampHook() throws {
        for nanoseconds: Int64 in [
            0, 1, -1, 1_700_000_000_123_456_789, -1_700_000_000_000_000_001, .max, -9_000_000_000_000_000_000,
        ] {
            try roundTrip(UnixTime(nanoseconds: nanoseconds))
        }
        struct Event: Codable, Equatable {
            var at: UnixTime
            var stamps: [MessagePackTimestamp]
        }
        let event = Event(at: UnixTime(nanoseconds: 5), stamps: [try MessagePackTimestamp(seconds: -5)])
        #expect(
            try MessagePackEncoder().encode(event)
                == hex(
                    "82 a2 61 74 d7 ff 00 00 00 14 00 00 00 00 a6 73 74 61 6d 70 73 91 c7 0c ff 00 00 00 00 ff ff ff ff ff ff ff fb"
                ))
        try roundTrip(event)
        // A hook that refuses: dataCorrupted, with its error underneath.
        let far = hex("c7 0c ff 00 00 00 00 7f ff ff ff ff ff ff ff")
        guard case .dataCorrupted(let context) = decodingError(UnixTime.self, far) as? DecodingError else {
            Issue.record("expected dataCorrupted")
            return
        }
        #expect((context.underlyingError as? MessagePackError)?.code == .integerOverflow)
        #expect(decodingError(UnixTime.self, hex("01")) is DecodingError)
    }

    @Test("MessagePackValue and MessagePackRawValue fields")
    func dynamicFields() throws {
        struct Envelope: Codable, Equatable {
            var kind: String
            var payload: MessagePackValue
            var raw: MessagePackRawValue
        }
        let envelope = Envelope(kind: "k", payload: [1, ["x": .binary([2])]], raw: MessagePackRawValue(["y", nil]))
        let bytes = try MessagePackEncoder().encode(envelope)
        #expect(
            bytes
                == hex(
                    "83 a4 6b 69 6e 64 a1 6b a7 70 61 79 6c 6f 61 64 92 01 81 a1 78 c4 01 02 a3 72 61 77 92 a1 79 c0"))
        try roundTrip(envelope)
    }

    @Test("dictionaries with integer keys")
    func integerKeys() throws {
        try roundTrip([1: "one", -2: "minus two"])
        // Integer keys on the wire match coding keys by intValue.
        #expect(
            try MessagePackDecoder().decode([Int: String].self, from: hex("82 01 a1 61 ff a1 62")) == [1: "a", -1: "b"])
        // Non-minimal string and integer keys.
        #expect(
            try MessagePackDecoder().decode(
                Address.self, from: hex("82 d9 06 73 74 72 65 65 74 a1 61 da 00 04 63 69 74 79 a1 62"))
                == Address(street: "a", city: "b", zip: nil))
    }

    @Test("optionals: absent keys and nil values both decode to nil")
    func optionals() throws {
        let decoder = MessagePackDecoder()
        #expect(
            try decoder.decode(
                Address.self, from: hex("83 a6 73 74 72 65 65 74 a1 61 a4 63 69 74 79 a1 62 a3 7a 69 70 c0")
            ).zip == nil)
        #expect(
            try decoder.decode(Address.self, from: hex("82 a6 73 74 72 65 65 74 a1 61 a4 63 69 74 79 a1 62")).zip == nil
        )
        #expect(try decoder.decode([Int?].self, from: hex("93 c0 01 c0")) == [nil, 1, nil])
        #expect(try decoder.decode(Int?.self, from: hex("c0")) == nil)
        #expect(try decoder.decode(Int??.self, from: hex("05")) == 5)
    }

    @Test("an unkeyed container does not move on after a failed decode")
    func retryAfterFailure() throws {
        struct Either: Decodable, Equatable {
            var values: [String]
            init(from decoder: any Decoder) throws {
                var container = try decoder.unkeyedContainer()
                var values: [String] = []
                while !container.isAtEnd {
                    if let int = try? container.decode(Int.self) {
                        values.append("int \(int)")
                    } else if let string = try? container.decode(String.self) {
                        values.append("string \(string)")
                    } else if let address = try? container.decode(Address.self) {
                        values.append("address \(address.city)")
                    } else {
                        _ = try container.decode(MessagePackValue.self)
                        values.append("other")
                    }
                }
                #expect(container.count == values.count)
                self.values = values
            }
        }
        let bytes = hex("95 01 a1 78 82 a6 73 74 72 65 65 74 a1 61 a4 63 69 74 79 a1 62 c3 90")
        #expect(
            try MessagePackDecoder().decode(Either.self, from: bytes).values
                == ["int 1", "string x", "address b", "other", "other"])
    }

    @Test("userInfo reaches the values")
    func userInfo() throws {
        let key = CodingUserInfoKey(rawValue: "scale")!
        struct Scaled: Codable {
            var value: Int
            init(value: Int) { self.value = value }
            init(from decoder: any Decoder) throws {
                value =
                    try decoder.singleValueContainer().decode(Int.self)
                    / (decoder.userInfo[CodingUserInfoKey(rawValue: "scale")!] as! Int)
            }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(value * (encoder.userInfo[CodingUserInfoKey(rawValue: "scale")!] as! Int))
            }
        }
        var encoder = MessagePackEncoder()
        encoder.userInfo[key] = 10
        var decoder = MessagePackDecoder()
        decoder.userInfo[key] = 10
        let bytes = try encoder.encode([Scaled(value: 3)])
        #expect(bytes == hex("91 1e"))
        #expect(try decoder.decode([Scaled].self, from: bytes).map(\.value) == [3])
    }

    @Test("a value that encodes nothing becomes an empty map")
    func encodesNothing() throws {
        struct Nothing: Codable {
            init() {}
            init(from decoder: any Decoder) throws {}
            func encode(to encoder: any Encoder) throws {}
        }
        #expect(try MessagePackEncoder().encode(Nothing()) == hex("80"))
        #expect(try MessagePackEncoder().encode([Nothing(), Nothing()]) == hex("92 80 80"))
        struct Empty: Codable, Equatable {}
        #expect(try MessagePackEncoder().encode(Empty()) == hex("80"))
        try roundTrip(Empty())
    }

    @Test("writing to a container after a later sibling started throws instead of corrupting")
    func outOfOrderContainers() throws {
        struct OutOfOrder: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.unkeyedContainer()
                var first = container.nestedUnkeyedContainer()
                try first.encode(1)
                var second = container.nestedUnkeyedContainer()
                try second.encode(2)
                try first.encode(3)  // `first` was closed when `second` started
            }
        }
        #expect(throws: EncodingError.self) { try MessagePackEncoder().encode(OutOfOrder()) }
        do {
            _ = try MessagePackEncoder().encode(OutOfOrder())
        } catch {
            #expect(underlyingCode(error) == .unsupportedValue)
        }

        struct TwiceSingle: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(1)
                try container.encode(2)
            }
        }
        #expect(throws: EncodingError.self) { try MessagePackEncoder().encode(TwiceSingle()) }
    }

    @Test("an error caught inside encode(to:) leaves no half-written value behind")
    func rollback() throws {
        struct Failing: Encodable {
            struct Boom: Error {}
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: MessagePackCodingKeyForTests.self)
                try container.encode("x", forKey: .init("a"))
                throw Boom()
            }
        }
        struct Tolerant: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: MessagePackCodingKeyForTests.self)
                try container.encode(1, forKey: .init("ok"))
                _ = try? container.encode(Failing(), forKey: .init("bad"))
                var list = container.nestedUnkeyedContainer(forKey: .init("list"))
                try list.encode(2)
                _ = try? list.encode(Failing())
                try list.encode(3)
            }
        }
        let bytes = try MessagePackEncoder().encode(Tolerant())
        #expect(bytes == hex("82 a2 6f 6b 01 a4 6c 69 73 74 92 02 03"))
        // The caller's buffer is untouched when encoding fails.
        var buffer = ByteBuffer(bytes: [0x01])
        #expect(throws: Failing.Boom.self) { try MessagePackEncoder().encode(Failing(), into: &buffer) }
        #expect(Array(buffer.readableBytesView) == [0x01])
    }

    @Test("encoding appends to buffers and writers")
    func appending() throws {
        var buffer = ByteBuffer(bytes: [0x92])
        try MessagePackEncoder().encode("a", into: &buffer)
        try MessagePackEncoder().encode(1, into: &buffer)
        #expect(Array(buffer.readableBytesView) == hex("92 a1 61 01"))
        var writer = MessagePackWriter()
        writer.writeArrayHeader(count: 2)
        try MessagePackEncoder().encode(["x": [1]], into: &writer)
        writer.writeNil()
        #expect(Array(writer.buffer.readableBytesView) == hex("92 81 a1 78 91 01 c0"))
        #expect(Array(try MessagePackEncoder().encodeToByteBuffer(true).readableBytesView) == [0xc3])
    }

    @Test("decoding from a reader takes one value and moves past it")
    func decodingFromReader() throws {
        var r = reader(hex("92 a1 61 01 c3"))
        #expect(try MessagePackDecoder().decode([MessagePackValue].self, from: &r) == ["a", 1])
        #expect(try r.readBool())
        var broken = reader(hex("92 a1"))
        #expect(throws: DecodingError.self) { try MessagePackDecoder().decode([String].self, from: &broken) }
        #expect(broken.offset == 0)
    }

    @Test("MessagePackValue works with other coders through its Codable shape")
    func valueWithOtherCoders() throws {
        // Round trip through our own coders exercises the direct path; the generic path is what a
        // JSON coder would use, exercised here through a type that hides the MessagePack encoder.
        let value: MessagePackValue = ["a": [1, 2.5, "s", nil, true]]
        #expect(
            try MessagePackDecoder().decode(MessagePackValue.self, from: try MessagePackEncoder().encode(value))
                == value)
    }
}

/// A coding key made from any string, for tests.
struct MessagePackCodingKeyForTests: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
