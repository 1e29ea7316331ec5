/// The `Encoder` for one slot of the output: the top-level value, or one element or map value of a
/// container. Its parent wrote a one-byte placeholder (`80`, an empty map) where the value goes;
/// the first write replaces it. A value that encodes nothing stays an empty map, as `JSONEncoder`
/// writes `{}`.
final class ValueEncoder: Encoder, SingleValueEncodingContainer {
    let state: EncodingState
    private let parent: ValueEncoder?
    private let key: (any CodingKey)?
    /// The frame of the container holding this slot (``EncodingState/rootFrameID`` at the top).
    private let parentFrame: Int
    /// Where the placeholder, and so the value, starts.
    private let placeholder: Int

    private enum Use {
        case unused
        case singleValue
        case keyed(frame: Int)
        case unkeyed(frame: Int)
    }
    private var use = Use.unused

    init(state: EncodingState, parent: ValueEncoder?, key: (any CodingKey)?, parentFrame: Int) {
        self.state = state
        self.parent = parent
        self.key = key
        self.parentFrame = parentFrame
        self.placeholder = state.writer.buffer.writerIndex
        state.writer.buffer.writeInteger(UInt8(0x80))
    }

    var codingPath: [any CodingKey] {
        var path: [any CodingKey] = []
        var node: ValueEncoder? = self
        while let current = node {
            if let key = current.key { path.append(key) }
            node = current.parent
        }
        return path.reversed()
    }

    var userInfo: [CodingUserInfoKey: Any] { state.userInfo }

    /// Takes the slot over for a value: checks that nothing was written after the placeholder (the
    /// value must come next in the output) and removes it.
    private func claim() throws(EncodingError) {
        guard case .unused = use else {
            throw EncodingState.error("a value was encoded twice into one single value container", codingPath)
        }
        _ = try state.prepare(parentFrame, codingPath: self.codingPath)
        guard state.writer.buffer.writerIndex == placeholder &+ 1 else {
            throw EncodingState.error(
                "an encoder was used after later values were written; MessagePackEncoder writes in order",
                codingPath)
        }
        state.writer.buffer.moveWriterIndex(to: placeholder)
    }

    // MARK: - Encoder

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedMessagePackEncodingContainer<Key>(encoder: self, frame: keyedFrame()))
    }

    private func keyedFrame() -> Int { frame(isMap: true) }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        UnkeyedMessagePackEncodingContainer(encoder: self, frame: unkeyedFrame())
    }

    private func unkeyedFrame() -> Int { frame(isMap: false) }

    /// The frame of this encoder's map (`isMap`) or array: opened on first use, the same one when
    /// asked again (a subclass and its superclass sharing one encoder); after another kind of value,
    /// a deferred error and -1.
    private func frame(isMap: Bool) -> Int {
        switch (use, isMap) {
        case (.keyed(let frame), true) where state.isOpenFrame(frame, at: placeholder),
            (.unkeyed(let frame), false) where state.isOpenFrame(frame, at: placeholder):
            return frame
        case (.unused, _):
            do {
                try claim()
            } catch {
                state.deferError(error)
                return -1
            }
            let frame = state.openFrame(isMap: isMap)
            use = isMap ? .keyed(frame: frame) : .unkeyed(frame: frame)
            return frame
        default:
            let kind = isMap ? "a keyed" : "an unkeyed"
            state.deferError(
                EncodingState.error("\(kind) container was requested after another kind of value", codingPath))
            return -1
        }
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { self }

    // MARK: - SingleValueEncodingContainer

    private func single() throws(EncodingError) {
        try claim()
        use = .singleValue
    }

    func encodeNil() throws {
        try single()
        state.writer.writeNil()
    }

    func encode(_ value: Bool) throws {
        try single()
        state.writer.writeBool(value)
    }

    func encode(_ value: String) throws {
        try single()
        try state.writeString(value, codingPath: codingPath)
    }

    func encode(_ value: Double) throws {
        try single()
        state.writer.writeDouble(value)
    }

    func encode(_ value: Float) throws {
        try single()
        state.writer.writeFloat(value)
    }

    func encode(_ value: Int) throws {
        try single()
        state.writer.writeInteger(value)
    }

    func encode(_ value: Int8) throws {
        try single()
        state.writer.writeInteger(value)
    }

    func encode(_ value: Int16) throws {
        try single()
        state.writer.writeInteger(value)
    }

    func encode(_ value: Int32) throws {
        try single()
        state.writer.writeInteger(value)
    }

    func encode(_ value: Int64) throws {
        try single()
        state.writer.writeInteger(value)
    }

    func encode(_ value: UInt) throws {
        try single()
        state.writer.writeInteger(value)
    }

    func encode(_ value: UInt8) throws {
        try single()
        state.writer.writeInteger(value)
    }

    func encode(_ value: UInt16) throws {
        try single()
        state.writer.writeInteger(value)
    }

    func encode(_ value: UInt32) throws {
        try single()
        state.writer.writeInteger(value)
    }

    func encode(_ value: UInt64) throws {
        try single()
        state.writer.writeInteger(value)
    }

    func encode<T: Encodable>(_ value: T) throws {
        try single()
        let mark = state.mark(countingFrameAt: -1)
        do {
            if try state.writeDirectly(value, codingPath: codingPath) { return }
            // Its own slot, so that a value encoding nothing still leaves a value behind.
            let child = ValueEncoder(state: state, parent: self, key: nil, parentFrame: parentFrame)
            try value.encode(to: child)
        } catch {
            if state.rollBack(to: mark) {
                state.writer.buffer.writeInteger(UInt8(0x80))  // the placeholder again
                use = .unused
            }
            throw error
        }
    }

    // MARK: - Hooks for types that write themselves

    /// Writes already-encoded bytes as this slot's value (``MessagePackRawValue``'s `encode(to:)`).
    func encodeRaw(_ write: (inout MessagePackWriter) -> Void) throws {
        try single()
        write(&state.writer)
    }
}
