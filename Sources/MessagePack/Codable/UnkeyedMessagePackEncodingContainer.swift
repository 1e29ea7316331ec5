/// Writes an array, element by element.
struct UnkeyedMessagePackEncodingContainer: UnkeyedEncodingContainer {
    let encoder: ValueEncoder
    /// The array's frame (`-1` if it could not be opened; writes then fail).
    let frame: Int
    /// Elements written through this container (the frame's count while it is open).
    private var written = 0

    init(encoder: ValueEncoder, frame: Int) {
        self.encoder = encoder
        self.frame = frame
        self.written = encoder.state.count(ofFrame: frame) ?? 0
    }

    private var state: EncodingState { encoder.state }

    var codingPath: [any CodingKey] { encoder.codingPath }

    var count: Int { state.count(ofFrame: frame) ?? written }

    private var nextKey: MessagePackCodingKey { .index(written) }

    /// Gets the array ready for one more element; returns the frame's index.
    @inline(__always)
    @discardableResult
    private mutating func begin() throws(EncodingError) -> Int {
        let index = try state.prepare(frame, codingPath: codingPath + [nextKey])
        state.countElement(inFrameAt: index)
        written &+= 1
        return index
    }

    mutating func encodeNil() throws {
        try begin()
        state.writer.writeNil()
    }

    mutating func encode(_ value: Bool) throws {
        try begin()
        state.writer.writeBool(value)
    }

    mutating func encode(_ value: String) throws {
        try state.checkStringLength(value, codingPath: codingPath + [nextKey])
        try begin()
        state.writer.writeString(value)
    }

    mutating func encode(_ value: Double) throws {
        try begin()
        state.writer.writeDouble(value)
    }

    mutating func encode(_ value: Float) throws {
        try begin()
        state.writer.writeFloat(value)
    }

    mutating func encode(_ value: Int) throws {
        try begin()
        state.writer.writeInteger(value)
    }

    mutating func encode(_ value: Int8) throws {
        try begin()
        state.writer.writeInteger(value)
    }

    mutating func encode(_ value: Int16) throws {
        try begin()
        state.writer.writeInteger(value)
    }

    mutating func encode(_ value: Int32) throws {
        try begin()
        state.writer.writeInteger(value)
    }

    mutating func encode(_ value: Int64) throws {
        try begin()
        state.writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt) throws {
        try begin()
        state.writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt8) throws {
        try begin()
        state.writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt16) throws {
        try begin()
        state.writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt32) throws {
        try begin()
        state.writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt64) throws {
        try begin()
        state.writer.writeInteger(value)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let key = nextKey
        let index = try state.prepare(frame, codingPath: codingPath + [key])
        let mark = state.mark(countingFrameAt: index)
        do {
            try begin()
            try state.encode(value, parentFrame: frame, parent: encoder, key: key)
        } catch {
            if state.rollBack(to: mark) { written &-= 1 }
            throw error
        }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    ) -> KeyedEncodingContainer<NestedKey> {
        nestedEncoder().container(keyedBy: NestedKey.self)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        nestedEncoder().unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        nestedEncoder()
    }

    /// Counts one more element and returns the encoder of its slot.
    private mutating func nestedEncoder() -> ValueEncoder {
        let key = nextKey
        do {
            try begin()
        } catch {
            state.deferError(error)
            return ValueEncoder(state: state, parent: encoder, key: key, parentFrame: -1)
        }
        return ValueEncoder(state: state, parent: encoder, key: key, parentFrame: frame)
    }
}
