/// Reads an array through `Codable`'s unkeyed API, element by element. A failed decode does not
/// move on, so the caller may try the element as another type.
struct UnkeyedMessagePackDecodingContainer: UnkeyedDecodingContainer {
    let decoder: ValueDecoder
    private let elementCount: Int
    private(set) var currentIndex = 0
    /// Where the next element starts.
    private var offset: Int

    init(decoder: ValueDecoder) throws(DecodingError) {
        self.decoder = decoder
        (elementCount, offset) = try decoder.state.read([Any].self, at: decoder.offset, codingPath: decoder.codingPath)
        {
            cursor throws(MessagePackError) in try cursor.readArrayHeader()
        }
    }

    private var state: DecodingState { decoder.state }

    var codingPath: [any CodingKey] { decoder.codingPath }

    var count: Int? { elementCount }

    var isAtEnd: Bool { currentIndex >= elementCount }

    private var key: MessagePackCodingKey { MessagePackCodingKey(intValue: currentIndex) }

    private func checkNotAtEnd(_ type: Any.Type) throws(DecodingError) {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                type,
                DecodingError.Context(codingPath: codingPath + [key], debugDescription: "Unkeyed container is at end."))
        }
    }

    mutating func decodeNil() throws -> Bool {
        try checkNotAtEnd(Any?.self)
        guard state.isNil(at: offset) else { return false }
        offset &+= 1
        currentIndex &+= 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool {
        try decode(type, direct: ())
    }

    mutating func decode(_ type: String.Type) throws -> String {
        try decode(type, direct: ())
    }

    mutating func decode(_ type: Double.Type) throws -> Double {
        try decode(type, direct: ())
    }

    mutating func decode(_ type: Float.Type) throws -> Float {
        try decode(type, direct: ())
    }

    mutating func decode(_ type: Int.Type) throws -> Int {
        try decode(type, direct: ())
    }

    mutating func decode(_ type: Int8.Type) throws -> Int8 {
        try decode(type, direct: ())
    }

    mutating func decode(_ type: Int16.Type) throws -> Int16 {
        try decode(type, direct: ())
    }

    mutating func decode(_ type: Int32.Type) throws -> Int32 {
        try decode(type, direct: ())
    }

    mutating func decode(_ type: Int64.Type) throws -> Int64 {
        try decode(type, direct: ())
    }

    mutating func decode(_ type: UInt.Type) throws -> UInt {
        try decode(type, direct: ())
    }

    mutating func decode(_ type: UInt8.Type) throws -> UInt8 {
        try decode(type, direct: ())
    }

    mutating func decode(_ type: UInt16.Type) throws -> UInt16 {
        try decode(type, direct: ())
    }

    mutating func decode(_ type: UInt32.Type) throws -> UInt32 {
        try decode(type, direct: ())
    }

    mutating func decode(_ type: UInt64.Type) throws -> UInt64 {
        try decode(type, direct: ())
    }

    /// A type ``DecodingState/isDirect(_:)`` accepts.
    @inline(__always)
    private mutating func decode<T: Decodable>(_ type: T.Type, direct: Void) throws -> T {
        try checkNotAtEnd(T.self)
        var end = 0
        let value = try state.decodeDirectly(
            T.self, at: offset, depth: decoder.depth &+ 1, codingPath: codingPath + [key], end: &end)
        offset = end
        currentIndex &+= 1
        return value
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try checkNotAtEnd(T.self)
        let depth = decoder.depth &+ 1
        var end = 0
        let value = try state.decode(T.self, at: offset, depth: depth, parent: decoder, key: key, end: &end)
        offset = end >= 0 ? end : try state.end(ofValueAt: offset, depth: depth, codingPath: codingPath + [key])
        currentIndex &+= 1
        return value
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try checkNotAtEnd(KeyedDecodingContainer<NestedKey>.self)
        let container = try childDecoder().container(keyedBy: NestedKey.self)
        try advance()
        return container
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try checkNotAtEnd((any UnkeyedDecodingContainer).self)
        let container = try childDecoder().unkeyedContainer()
        try advance()
        return container
    }

    mutating func superDecoder() throws -> any Decoder {
        try checkNotAtEnd((any Decoder).self)
        let decoder = childDecoder()
        try advance()
        return decoder
    }

    private func childDecoder() -> ValueDecoder {
        ValueDecoder(state: state, offset: offset, depth: decoder.depth &+ 1, parent: decoder, key: key)
    }

    private mutating func advance() throws(DecodingError) {
        offset = try state.end(ofValueAt: offset, depth: decoder.depth &+ 1, codingPath: codingPath + [key])
        currentIndex &+= 1
    }
}
