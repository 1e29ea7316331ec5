import NIOCore

extension MessagePackValue {
    /// Decodes exactly one value from the readable bytes of `buffer`; bytes left over throw
    /// ``MessagePackError/Code/trailingBytes``.
    public init(decoding buffer: ByteBuffer, maxDepth: Int = MessagePackReader.defaultMaxDepth) throws(MessagePackError)
    {
        var reader = MessagePackReader(buffer: buffer, maxDepth: maxDepth)
        self = try reader.readValue()
        guard reader.isAtEnd else {
            throw MessagePackError(
                .trailingBytes, "\(reader.readableBytes) bytes after the value", offset: reader.offset)
        }
    }

    /// Decodes exactly one value from `bytes`; bytes left over throw ``MessagePackError/Code/trailingBytes``.
    public init(
        decoding bytes: some Sequence<UInt8>, maxDepth: Int = MessagePackReader.defaultMaxDepth
    )
        throws(MessagePackError)
    {
        try self.init(decoding: ByteBuffer(bytes: bytes), maxDepth: maxDepth)
    }

    /// The value's encoding, in the smallest forms.
    public var encoded: [UInt8] {
        var writer = MessagePackWriter()
        writer.writeValue(self)
        return Array(writer.buffer.readableBytesView)
    }
}

extension MessagePackReader {
    /// Reads one whole value of any type as a ``MessagePackValue`` tree (for tests and tools; the hot
    /// paths use the typed reads). Checks nesting against ``maxDepth`` and UTF-8 of every string.
    public mutating func readValue() throws(MessagePackError) -> MessagePackValue {
        let maxDepth = maxDepth
        let start = offset
        // Check the structure first, so a hostile input fails before any tree is built.
        let end = try withCursor { cursor throws(MessagePackError) in
            try cursor.skipValue(depth: 0, maxDepth: maxDepth)
            return cursor.index
        }
        let value = try withCursor { cursor throws(MessagePackError) in try cursor.readValue() }
        moveTo(offset: start &+ end)
        return value
    }
}

extension MessagePackCursor {
    /// Reads a value whose structure is already checked (by `skipValue`).
    mutating func readValue() throws(MessagePackError) -> MessagePackValue {
        let header = try header()
        switch header.kind {
        case .nil:
            index &+= 1
            return .nil
        case .bool:
            index &+= 1
            return .bool(header.value != 0)
        case .nonNegativeInteger:
            index &+= header.size
            return header.value <= UInt64(Int64.max) ? .int(Int64(header.value)) : .uint(header.value)
        case .negativeInteger:
            index &+= header.size
            return .int(Int64(bitPattern: header.value))
        case .float32:
            index &+= header.size
            return .float(Float(bitPattern: UInt32(truncatingIfNeeded: header.value)))
        case .float64:
            index &+= header.size
            return .double(Double(bitPattern: header.value))
        case .string:
            return .string(try readString())
        case .binary:
            let (start, length) = try readBinary()
            return .binary(Array(UnsafeRawBufferPointer(rebasing: bytes[start..<(start &+ length)])))
        case .array:
            index &+= header.size
            let count = Int(truncatingIfNeeded: header.value)
            var elements: [MessagePackValue] = []
            elements.reserveCapacity(count)  // at most the input's length: checked by `header()`
            for _ in 0..<count {
                elements.append(try readValue())
            }
            return .array(elements)
        case .map:
            index &+= header.size
            let count = Int(truncatingIfNeeded: header.value)
            var entries: [MessagePackMapEntry] = []
            entries.reserveCapacity(count)
            for _ in 0..<count {
                let key = try readValue()
                let value = try readValue()
                entries.append(MessagePackMapEntry(key: key, value: value))
            }
            return .map(entries)
        case .extension:
            if header.extensionType == -1 {
                return .timestamp(try readTimestamp())
            }
            let (type, start, length) = try readExtension()
            return .extension(
                type: type, data: Array(UnsafeRawBufferPointer(rebasing: bytes[start..<(start &+ length)])))
        }
    }
}

extension MessagePackWriter {
    /// Writes a whole ``MessagePackValue`` tree in the smallest forms.
    public mutating func writeValue(_ value: MessagePackValue) {
        switch value {
        case .nil: writeNil()
        case .bool(let bool): writeBool(bool)
        case .int(let int): writeInteger(int)
        case .uint(let uint): writeInteger(uint)
        case .float(let float): writeFloat(float)
        case .double(let double): writeDouble(double)
        case .string(let string): writeString(string)
        case .binary(let bytes): writeBinary(bytes)
        case .array(let elements):
            writeArrayHeader(count: elements.count)
            for element in elements { writeValue(element) }
        case .map(let entries):
            writeMapHeader(count: entries.count)
            for entry in entries {
                writeValue(entry.key)
                writeValue(entry.value)
            }
        case .extension(let type, let data): writeExtension(type: type, data: data)
        case .timestamp(let timestamp): writeTimestamp(timestamp)
        }
    }
}
