/// The `Decoder` for one value of the input, found at `offset`; also its single value container.
final class ValueDecoder: Decoder, SingleValueDecodingContainer {
    let state: DecodingState
    /// Where the value starts in the input.
    let offset: Int
    /// How many containers enclose the value.
    let depth: Int
    private let parent: ValueDecoder?
    private let key: (any CodingKey)?

    init(state: DecodingState, offset: Int, depth: Int, parent: ValueDecoder?, key: (any CodingKey)?) {
        self.state = state
        self.offset = offset
        self.depth = depth
        self.parent = parent
        self.key = key
    }

    var codingPath: [any CodingKey] {
        var path: [any CodingKey] = []
        var node: ValueDecoder? = self
        while let current = node {
            if let key = current.key { path.append(key) }
            node = current.parent
        }
        return path.reversed()
    }

    var userInfo: [CodingUserInfoKey: Any] { state.userInfo }

    /// Throws if a container here would nest deeper than the limit.
    func checkDepth() throws(DecodingError) {
        guard depth < state.maxDepth else {
            let error = MessagePackError(
                .depthLimitExceeded, "containers nest deeper than \(state.maxDepth)", offset: offset)
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: codingPath, debugDescription: error.description, underlyingError: error))
        }
    }

    // MARK: - Decoder

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        try checkDepth()
        return KeyedDecodingContainer(try KeyedMessagePackDecodingContainer<Key>(decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try checkDepth()
        return try UnkeyedMessagePackDecodingContainer(decoder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    // MARK: - SingleValueDecodingContainer

    func decodeNil() -> Bool { state.isNil(at: offset) }

    func decode(_ type: Bool.Type) throws -> Bool { try decode(type, direct: ()) }
    func decode(_ type: String.Type) throws -> String { try decode(type, direct: ()) }
    func decode(_ type: Double.Type) throws -> Double { try decode(type, direct: ()) }
    func decode(_ type: Float.Type) throws -> Float { try decode(type, direct: ()) }
    func decode(_ type: Int.Type) throws -> Int { try decode(type, direct: ()) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decode(type, direct: ()) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decode(type, direct: ()) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decode(type, direct: ()) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decode(type, direct: ()) }
    func decode(_ type: UInt.Type) throws -> UInt { try decode(type, direct: ()) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decode(type, direct: ()) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decode(type, direct: ()) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decode(type, direct: ()) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decode(type, direct: ()) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if DecodingState.isDirect(T.self) { return try decode(T.self, direct: ()) }
        return try T(from: self)
    }

    /// A type ``DecodingState/isDirect(_:)`` accepts.
    @inline(__always)
    private func decode<T: Decodable>(_ type: T.Type, direct: Void) throws -> T {
        var end = 0
        return try state.decodeDirectly(T.self, at: offset, depth: depth, codingPath: codingPath, end: &end)
    }
}
