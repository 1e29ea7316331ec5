import NIOCore

extension RESPValue {
    /// Writes the value's exact wire form (its own type bytes, whatever the protocol version).
    public func encode(into buffer: inout ByteBuffer) {
        switch self {
        case .simpleString(let b):
            buffer.writeInteger(UInt8(ascii: "+"))
            buffer.writeImmutableBuffer(b)
            buffer.writeCRLF()
        case .simpleError(let b):
            buffer.writeInteger(UInt8(ascii: "-"))
            buffer.writeImmutableBuffer(b)
            buffer.writeCRLF()
        case .integer(let n):
            buffer.writeRESPInteger(n)
        case .bulkString(let b):
            buffer.writeRESPBulkString(buffer: b)
        case .nullBulkString:
            buffer.writeStaticString("$-1\r\n")
        case .nullArray:
            buffer.writeStaticString("*-1\r\n")
        case .null:
            buffer.writeStaticString("_\r\n")
        case .array(let values):
            buffer.writeRESPHeader(UInt8(ascii: "*"), values.count)
            for v in values { v.encode(into: &buffer) }
        case .set(let values):
            buffer.writeRESPHeader(UInt8(ascii: "~"), values.count)
            for v in values { v.encode(into: &buffer) }
        case .push(let values):
            buffer.writeRESPHeader(UInt8(ascii: ">"), values.count)
            for v in values { v.encode(into: &buffer) }
        case .map(let pairs):
            buffer.writeRESPHeader(UInt8(ascii: "%"), pairs.count)
            for p in pairs {
                p.key.encode(into: &buffer)
                p.value.encode(into: &buffer)
            }
        case .attribute(let pairs, let value):
            buffer.writeRESPHeader(UInt8(ascii: "|"), pairs.count)
            for p in pairs {
                p.key.encode(into: &buffer)
                p.value.encode(into: &buffer)
            }
            value.encode(into: &buffer)
        case .double(let d):
            buffer.writeInteger(UInt8(ascii: ","))
            buffer.writeString(RESPDoubleFormatting.redisString(d))
            buffer.writeCRLF()
        case .boolean(let b):
            buffer.writeStaticString(b ? "#t\r\n" : "#f\r\n")
        case .bigNumber(let digits):
            buffer.writeInteger(UInt8(ascii: "("))
            buffer.writeImmutableBuffer(digits)
            buffer.writeCRLF()
        case .blobError(let b):
            buffer.writeRESPHeader(UInt8(ascii: "!"), b.readableBytes)
            buffer.writeImmutableBuffer(b)
            buffer.writeCRLF()
        case .verbatimString(let format, let text):
            buffer.writeRESPHeader(UInt8(ascii: "="), format.readableBytes + 1 + text.readableBytes)
            buffer.writeImmutableBuffer(format)
            buffer.writeInteger(UInt8(ascii: ":"))
            buffer.writeImmutableBuffer(text)
            buffer.writeCRLF()
        }
    }

    /// The value's wire bytes.
    public var encoded: ByteBuffer {
        var buffer = ByteBuffer()
        encode(into: &buffer)
        return buffer
    }

    /// A command as a client sends it: an array of bulk strings.
    public static func command(_ arguments: [String]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeRESPArrayHeader(arguments.count)
        for a in arguments { buffer.writeRESPBulkString(a) }
        return buffer
    }
}
