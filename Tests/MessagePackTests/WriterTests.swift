import MessagePack
import NIOCore
import Testing

/// A write through one of the writer's typed methods and the bytes it must give.
struct WriteCase: Sendable, CustomTestStringConvertible {
    var name: String
    var write: @Sendable (inout MessagePackWriter) -> Void
    var bytes: [UInt8]

    init(_ name: String, _ hexBytes: String, _ write: @escaping @Sendable (inout MessagePackWriter) -> Void) {
        self.name = name
        self.write = write
        self.bytes = hex(hexBytes)
    }

    var testDescription: String { "\(name) → \(hexString(bytes))" }
}

/// Every integer type takes the smallest form for its value, whatever its width.
let integerWriteCases: [WriteCase] = [
    WriteCase("Int8 5", "05") { $0.writeInteger(Int8(5)) },
    WriteCase("Int8 -1", "ff") { $0.writeInteger(Int8(-1)) },
    WriteCase("Int8 -33", "d0 df") { $0.writeInteger(Int8(-33)) },
    WriteCase("Int8 min", "d0 80") { $0.writeInteger(Int8.min) },
    WriteCase("Int8 max", "7f") { $0.writeInteger(Int8.max) },
    WriteCase("UInt8 200", "cc c8") { $0.writeInteger(UInt8(200)) },
    WriteCase("Int16 -1", "ff") { $0.writeInteger(Int16(-1)) },
    WriteCase("Int16 200", "cc c8") { $0.writeInteger(Int16(200)) },
    WriteCase("Int16 min", "d1 80 00") { $0.writeInteger(Int16.min) },
    WriteCase("UInt16 5", "05") { $0.writeInteger(UInt16(5)) },
    WriteCase("UInt16 max", "cd ff ff") { $0.writeInteger(UInt16.max) },
    WriteCase("Int32 65536", "ce 00 01 00 00") { $0.writeInteger(Int32(65536)) },
    WriteCase("Int32 -129", "d1 ff 7f") { $0.writeInteger(Int32(-129)) },
    WriteCase("UInt32 max", "ce ff ff ff ff") { $0.writeInteger(UInt32.max) },
    WriteCase("Int64 5", "05") { $0.writeInteger(Int64(5)) },
    WriteCase("Int64 -32", "e0") { $0.writeInteger(Int64(-32)) },
    WriteCase("Int64 -32769", "d2 ff ff 7f ff") { $0.writeInteger(Int64(-32769)) },
    WriteCase("Int64 min", "d3 80 00 00 00 00 00 00 00") { $0.writeInteger(Int64.min) },
    WriteCase("UInt64 5", "05") { $0.writeInteger(UInt64(5)) },
    WriteCase("UInt64 2^32", "cf 00 00 00 01 00 00 00 00") { $0.writeInteger(UInt64(1) << 32) },
    WriteCase("UInt64 max", "cf ff ff ff ff ff ff ff ff") { $0.writeInteger(UInt64.max) },
    WriteCase("Int 128", "cc 80") { $0.writeInteger(128) },
    WriteCase("Int -128", "d0 80") { $0.writeInteger(-128) },
    WriteCase("UInt 256", "cd 01 00") { $0.writeInteger(UInt(256)) },
]

/// Headers written alone, and the other typed writes.
let otherWriteCases: [WriteCase] = [
    WriteCase("nil", "c0") { $0.writeNil() },
    WriteCase("bool", "c3 c2") {
        $0.writeBool(true)
        $0.writeBool(false)
    },
    WriteCase("float", "ca bf 80 00 00") { $0.writeFloat(-1) },
    WriteCase("double", "cb 40 09 21 fb 54 44 2d 18") { $0.writeDouble(.pi) },
    WriteCase("string", "a5 68 65 6c 6c 6f") { $0.writeString("hello") },
    WriteCase("string utf8 buffer", "a2 68 69") { $0.writeString(utf8: ByteBuffer(string: "hi")) },
    WriteCase("string header 31", "bf") { $0.writeStringHeader(length: 31) },
    WriteCase("string header 32", "d9 20") { $0.writeStringHeader(length: 32) },
    WriteCase("string header 65536", "db 00 01 00 00") { $0.writeStringHeader(length: 65536) },
    WriteCase("binary header 0", "c4 00") { $0.writeBinaryHeader(length: 0) },
    WriteCase("binary header 70000", "c6 00 01 11 70") { $0.writeBinaryHeader(length: 70000) },
    WriteCase("binary buffer", "c4 02 01 02") { $0.writeBinary(ByteBuffer(bytes: [1, 2])) },
    WriteCase("binary pointer", "c4 01 09") { writer in [UInt8(9)].withUnsafeBytes { writer.writeBinary($0) } },
    WriteCase("array header 15", "9f") { $0.writeArrayHeader(count: 15) },
    WriteCase("array header 16", "dc 00 10") { $0.writeArrayHeader(count: 16) },
    WriteCase("array header 2^32-1", "dd ff ff ff ff") { $0.writeArrayHeader(count: Int(UInt32.max)) },
    WriteCase("map header 15", "8f") { $0.writeMapHeader(count: 15) },
    WriteCase("map header 16", "de 00 10") { $0.writeMapHeader(count: 16) },
    WriteCase("map header 65536", "df 00 01 00 00") { $0.writeMapHeader(count: 65536) },
    WriteCase("extension header 1", "d4 07") { $0.writeExtensionHeader(type: 7, length: 1) },
    WriteCase("extension header 3", "c7 03 07") { $0.writeExtensionHeader(type: 7, length: 3) },
    WriteCase("extension buffer", "d5 f0 aa bb") {
        $0.writeExtension(type: -16, data: ByteBuffer(bytes: [0xaa, 0xbb]))
    },
    WriteCase("timestamp 32", "d6 ff 00 00 00 01") { $0.writeTimestamp(try! MessagePackTimestamp(seconds: 1)) },
    WriteCase("raw bytes", "92 01 02") {
        $0.writeArrayHeader(count: 2)
        $0.writeRaw([0x01])
        $0.writeRaw(ByteBuffer(bytes: [0x02]))
    },
]

@Suite("Writer")
struct WriterTests {
    @Test("integers of every type take the smallest form", arguments: integerWriteCases)
    func integers(_ testCase: WriteCase) {
        #expect(written(testCase.write) == testCase.bytes)
    }

    @Test("typed writes and headers", arguments: otherWriteCases)
    func others(_ testCase: WriteCase) {
        #expect(written(testCase.write) == testCase.bytes)
    }

    @Test("writeMessagePack appends to a buffer in place")
    func appendsInPlace() {
        var buffer = ByteBuffer(bytes: [0xaa])
        buffer.moveReaderIndex(forwardBy: 1)
        let result = buffer.writeMessagePack { writer in
            writer.writeArrayHeader(count: 1)
            writer.writeString("x")
            return 7
        }
        #expect(result == 7)
        #expect(Array(buffer.readableBytesView) == hex("91 a1 78"))
        #expect(buffer.readerIndex == 1)
    }

    @Test("a writer over an existing buffer appends after its bytes")
    func appendsAfterExisting() {
        var writer = MessagePackWriter(buffer: ByteBuffer(bytes: [0x11]))
        writer.writeNil()
        #expect(Array(writer.buffer.readableBytesView) == hex("11 c0"))
    }

    @Test("an invocation written by hand matches the SignalR example")
    func invocationByHand() {
        let bytes = written { writer in
            writer.writeArrayHeader(count: 6)
            writer.writeInteger(1)
            writer.writeMapHeader(count: 0)
            writer.writeNil()
            writer.writeString("Send")
            writer.writeArrayHeader(count: 1)
            writer.writeString("hello")
            writer.writeArrayHeader(count: 0)
        }
        #expect(bytes == hex("96 01 80 c0 a4 53 65 6e 64 91 a5 68 65 6c 6c 6f 90"))
    }
}
