import MessagePack
import NIOCore
import Testing

@Suite("Reader")
struct ReaderTests {
    @Test("typed reads walk a message and report what is left")
    func typedReads() throws {
        // [1, {"a": "b"}, nil, "Send", ["hello", 1.5, true], bin(2), ext(3, [1]), timestamp 1]
        var r = reader(
            hex(
                "98 01 81 a1 61 a1 62 c0 a4 53 65 6e 64 93 a5 68 65 6c 6c 6f cb 3f f8 00 00 00 00 00 00 c3"
                    + " c4 02 aa bb d4 03 01 d6 ff 00 00 00 01"))
        #expect(try r.readArrayHeader() == 8)
        #expect(try r.readInt64() == 1)
        #expect(try r.readMapHeader() == 1)
        #expect(try r.readString() == "a")
        #expect(try r.readString() == "b")
        #expect(try r.readNilIfPresent() == true)
        #expect(try r.readNilIfPresent() == false)
        #expect(try r.readOptionalString() == "Send")
        #expect(try r.readArrayHeader() == 3)
        #expect(String(buffer: try r.readStringBytes()) == "hello")
        #expect(try r.readDouble() == 1.5)
        #expect(try r.readBool() == true)
        #expect(Array(try r.readBinary().readableBytesView) == [0xaa, 0xbb])
        let (type, data) = try r.readExtension()
        #expect(type == 3)
        #expect(Array(data.readableBytesView) == [1])
        #expect(try r.peekType() == .timestamp)
        #expect(try r.readTimestamp() == MessagePackTimestamp(seconds: 1))
        #expect(r.isAtEnd)
        #expect(r.readableBytes == 0)
        #expect(errorCode { try r.peekType() } == .truncated)
        #expect(errorCode { try r.readNilIfPresent() } == .truncated)
    }

    @Test("readOptionalString takes nil")
    func optionalString() throws {
        var r = reader(hex("c0 a0"))
        #expect(try r.readOptionalString() == nil)
        #expect(try r.readOptionalString() == "")
    }

    @Test("a timestamp can also be read as a raw extension")
    func timestampAsExtension() throws {
        var r = reader(hex("d6 ff 00 00 00 01"))
        let (type, data) = try r.readExtension()
        #expect(type == -1)
        #expect(Array(data.readableBytesView) == [0, 0, 0, 1])
    }

    @Test("a failed typed read leaves the reader where it was")
    func failedReadDoesNotMove() throws {
        var r = reader(hex("a3 61 62 63"))
        #expect(errorCode { try r.readInt64() } == .typeMismatch)
        #expect(errorCode { try r.readBool() } == .typeMismatch)
        #expect(errorCode { try r.readNil() } == .typeMismatch)
        #expect(errorCode { try r.readBinary() } == .typeMismatch)
        #expect(errorCode { try r.readArrayHeader() } == .typeMismatch)
        #expect(errorCode { try r.readMapHeader() } == .typeMismatch)
        #expect(errorCode { try r.readExtension() } == .typeMismatch)
        #expect(errorCode { try r.readTimestamp() } == .typeMismatch)
        #expect(errorCode { try r.readDouble() } == .typeMismatch)
        #expect(r.offset == 0)
        #expect(try r.readString() == "abc")
    }

    @Test("integers that do not fit are overflow errors, not traps")
    func overflow() {
        var r = reader(hex("cf ff ff ff ff ff ff ff ff"))
        #expect(errorCode { try r.readInt64() } == .integerOverflow)
        #expect(errorCode { try r.readInteger(as: UInt32.self) } == .integerOverflow)
        r = reader(hex("ff"))
        #expect(errorCode { try r.readUInt64() } == .integerOverflow)
        #expect(errorCode { try r.readInteger(as: UInt8.self) } == .integerOverflow)
        r = reader(hex("cc 80"))
        #expect(errorCode { try r.readInteger(as: Int8.self) } == .integerOverflow)
        r = reader(hex("d1 ff 7f"))
        #expect(errorCode { try r.readInteger(as: Int8.self) } == .integerOverflow)
        r = reader(hex("cb 7f ef ff ff ff ff ff ff"))  // Double.greatestFiniteMagnitude
        #expect(errorCode { try r.readFloat() } == .integerOverflow)
        #expect(r.offset == 0)
    }

    @Test("errors say where they happened")
    func errorOffsets() throws {
        var buffer = ByteBuffer(bytes: [0xee, 0xee])
        buffer.writeBytes(hex("92 01 c1"))
        buffer.moveReaderIndex(forwardBy: 2)
        var r = MessagePackReader(buffer: buffer)
        #expect(try r.readArrayHeader() == 2)
        #expect(try r.readInt64() == 1)
        do {
            _ = try r.readInt64()
            Issue.record("0xc1 was accepted")
        } catch {
            #expect(error.code == .invalidFormatByte)
            #expect(error.offset == 2)
        }
        r = MessagePackReader(buffer: buffer)
        do {
            try r.skipValue()
            Issue.record("0xc1 was accepted")
        } catch {
            #expect(error.code == .invalidFormatByte)
            #expect(error.offset == 2)
        }
    }

    @Test("invalid UTF-8 is refused by readString and readStringBytes alike")
    func invalidUTF8() {
        for bad in ["a2 c3 28", "a1 80", "a2 c0 af", "a3 ed a0 80", "a4 f4 90 80 80", "a1 ff", "a2 e2 82"] {
            var r = reader(hex(bad))
            #expect(errorCode { try r.readString() } == .invalidUTF8, "\(bad)")
            #expect(errorCode { try r.readStringBytes() } == .invalidUTF8, "\(bad)")
            #expect(r.offset == 0)
            // Structure only: skipping does not look inside strings.
            #expect(errorCode { try r.skipValue() } == nil)
        }
    }

    @Test("readStringBytes validates exactly as String(validating:) does")
    func utf8ValidatorAgreesWithStandardLibrary() {
        var generator = SeededGenerator(seed: 0x5eed_0f_0f)
        let interesting: [UInt8] = [
            0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed,
            0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff,
        ]
        var valid = 0
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...12, using: &generator)
            var bytes = (0..<length).map { _ in interesting.randomElement(using: &generator)! }
            if Bool.random(using: &generator) {
                bytes = Array(repeating: 0x61, count: Int.random(in: 0...9, using: &generator)) + bytes
            }
            let expected = String(validating: bytes, as: UTF8.self)
            var r = reader(written { $0.writeString(utf8: ByteBuffer(bytes: bytes)) })
            let viaBytes = try? r.readStringBytes()
            r = reader(written { $0.writeString(utf8: ByteBuffer(bytes: bytes)) })
            let viaString = try? r.readString()
            #expect((viaBytes != nil) == (expected != nil), "\(hexString(bytes))")
            #expect(viaString == expected, "\(hexString(bytes))")
            if expected != nil { valid += 1 }
        }
        #expect(valid > 1000)
    }

    @Test("readRawValue returns exactly the bytes of each nested value")
    func rawValues() throws {
        // [1, {"k": [2, [3, {}]]}, "s", bin(1), ext, [[[]]]]
        let elements = [
            "01", "81 a1 6b 92 02 92 03 80", "a1 73", "c4 01 ff", "c7 02 07 aa bb", "91 91 90",
        ]
        let bytes = hex("96 " + elements.joined(separator: " "))
        var r = reader(bytes)
        #expect(try r.readArrayHeader() == elements.count)
        for element in elements {
            let raw = try r.readRawValue()
            #expect(Array(raw.readableBytesView) == hex(element))
        }
        #expect(r.isAtEnd)

        // Inside the map, the value [2, [3, {}]] alone.
        r = reader(bytes)
        _ = try r.readArrayHeader()
        try r.skipValue()
        #expect(try r.readMapHeader() == 1)
        #expect(try r.readString() == "k")
        let inner = try r.readRawValue()
        #expect(Array(inner.readableBytesView) == hex("92 02 92 03 80"))
        var innerReader = MessagePackReader(buffer: inner)
        #expect(try innerReader.readArrayHeader() == 2)
        #expect(try innerReader.readInt64() == 2)
        #expect(Array(try innerReader.readRawValue().readableBytesView) == hex("92 03 80"))

        // The whole thing.
        r = reader(bytes)
        #expect(Array(try r.readRawValue().readableBytesView) == bytes)
    }

    @Test("skipValue passes over every type, one after another")
    func skipsEveryType() throws {
        let all = formatVectors.filter { $0.bytes.count < 1000 }
        let bytes = all.flatMap(\.bytes)
        var r = reader(bytes)
        for vector in all {
            let start = r.offset
            try r.skipValue()
            #expect(r.offset - start == vector.bytes.count, "\(vector.name)")
        }
        #expect(r.isAtEnd)
        r = reader(bytes)
        for vector in all {
            #expect(try r.readValue() == vector.value, "\(vector.name)")
        }
    }

    @Test("timestamps with bad lengths or nanoseconds are invalid when read")
    func invalidTimestamps() throws {
        for bad in [
            "d4 ff 00", "d5 ff 00 00", "c7 03 ff 00 00 00", "d8 ff 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
            "d7 ff ff ff ff ff 00 00 00 00",  // nanoseconds 2^30-1
            "c7 0c ff 3b 9a ca 00 00 00 00 00 00 00 00 00",  // nanoseconds 1e9
        ] {
            var r = reader(hex(bad))
            #expect(errorCode { try r.readTimestamp() } == .invalidTimestamp, "\(bad)")
            r = reader(hex(bad))
            #expect(errorCode { try r.readValue() } == .invalidTimestamp, "\(bad)")
            r = reader(hex(bad))
            #expect(errorCode { try r.skipValue() } == nil, "\(bad)")
        }
        #expect(errorCode { try MessagePackTimestamp(seconds: 0, nanoseconds: 1_000_000_000) } == .invalidTimestamp)
    }

    @Test("0xc1 is never valid")
    func neverUsed() {
        var r = reader([0xc1])
        #expect(errorCode { try r.peekType() } == .invalidFormatByte)
        #expect(errorCode { try r.skipValue() } == .invalidFormatByte)
        #expect(errorCode { try r.readValue() } == .invalidFormatByte)
        #expect(errorCode { try MessagePackValue(decoding: [0x91, 0xc1]) } == .invalidFormatByte)
    }

    @Test("whole-input decoding refuses trailing bytes")
    func trailingBytes() {
        #expect(errorCode { try MessagePackValue(decoding: hex("01 02")) } == .trailingBytes)
        #expect(errorCode { try MessagePackRawValue(validating: ByteBuffer(bytes: hex("c0 c0"))) } == .trailingBytes)
    }

    @Test("MessagePackRawValue checks and keeps bytes")
    func rawValueType() throws {
        let raw = try MessagePackRawValue(validating: ByteBuffer(bytes: hex("92 01 a1 78")))
        #expect(try raw.value == [1, "x"])
        #expect(MessagePackRawValue([1, "x"]) == raw)
        #expect(try raw.decode([MessagePackValue].self) == [1, "x"])
        #expect(raw.description == "MessagePackRawValue(92 01 a1 78)")
        #expect(errorCode { try MessagePackRawValue(validating: ByteBuffer(bytes: hex("92 01"))) } == .truncated)
    }

    @Test("value subscripts")
    func valueSubscripts() {
        let value: MessagePackValue = ["a": [1, 2], "b": nil]
        #expect(value["a"]?[1] == 2)
        #expect(value["b"] == .nil)
        #expect(value["c"] == nil)
        #expect(value[0] == nil)
    }
}
