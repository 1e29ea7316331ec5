import NIOCore

/// Reads a map through `Codable`'s keyed API. The map is scanned once, when the container is made,
/// to index where each key and value sit; lookups compare the key's UTF-8 bytes with the coding
/// key's `stringValue` (no `String` is made per key), starting where the last lookup ended, so
/// decoding in encoding order costs one comparison per key. Integer map keys match coding keys with
/// that `intValue` or that decimal `stringValue`; keys of other types are refused.
struct KeyedMessagePackDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: ValueDecoder
    private let index: MapIndex

    init(decoder: ValueDecoder) throws(DecodingError) {
        self.decoder = decoder
        let depth = decoder.depth
        let maxDepth = decoder.state.maxDepth
        let entries = try decoder.state.read(
            [String: Any].self, at: decoder.offset, codingPath: decoder.codingPath
        ) { cursor throws(MessagePackError) -> [MapIndex.Entry] in
            let count = try cursor.readMapHeader()
            var entries: [MapIndex.Entry] = []
            entries.reserveCapacity(count)  // at most half the input's length: checked by `header()`
            for _ in 0..<count {
                let header = try cursor.header()
                var entry: MapIndex.Entry
                switch header.kind {
                case .string:
                    let (start, length) = try cursor.readStringBytes()
                    entry = MapIndex.Entry(keyStart: start, keyLength: length, integerKey: 0, valueOffset: 0)
                case .nonNegativeInteger, .negativeInteger:
                    let (bits, negative) = try cursor.readInteger()
                    entry = MapIndex.Entry(
                        keyStart: 0, keyLength: negative ? MapIndex.negativeIntegerKey : MapIndex.integerKey,
                        integerKey: bits, valueOffset: 0)
                default:
                    throw MessagePackError(
                        .typeMismatch, "a map key of type \(header.kind.name) cannot be a coding key",
                        offset: cursor.index)
                }
                entry.valueOffset = cursor.index
                try cursor.skipValue(depth: depth &+ 1, maxDepth: maxDepth)
                entries.append(entry)
            }
            return entries
        }.value
        self.index = MapIndex(entries: entries)
    }

    private var state: DecodingState { decoder.state }

    var codingPath: [any CodingKey] { decoder.codingPath }

    var allKeys: [Key] {
        index.entries.compactMap { entry in
            switch entry.keyLength {
            case MapIndex.integerKey:
                return Int(exactly: entry.integerKey).flatMap { Key(intValue: $0) }
                    ?? Key(stringValue: String(entry.integerKey))
            case MapIndex.negativeIntegerKey:
                let value = Int64(bitPattern: entry.integerKey)
                return Int(exactly: value).flatMap { Key(intValue: $0) } ?? Key(stringValue: String(value))
            default:
                // A key that is not UTF-8 cannot be named by a coding key: left out.
                guard
                    let name = try? state.withCursor(
                        at: 0,
                        { cursor throws(MessagePackError) in
                            cursor.makeString(start: entry.keyStart, length: entry.keyLength)
                        }
                    ).value
                else { return nil }
                return Key(stringValue: name)
            }
        }
    }

    func contains(_ key: Key) -> Bool {
        index.find(key, in: state.input) != nil
    }

    /// The entry of `key`, or `keyNotFound`.
    @inline(__always)
    private func valueOffset(_ key: Key) throws(DecodingError) -> Int {
        guard let i = index.find(key, in: state.input) else {
            throw DecodingError.keyNotFound(
                key,
                DecodingError.Context(
                    codingPath: codingPath,
                    debugDescription: "No value associated with key \(key) (\"\(key.stringValue)\")."))
        }
        return index.entries[i].valueOffset
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        state.isNil(at: try valueOffset(key))
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        try decodeDirect(type, at: try valueOffset(key), key: key)
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        try decodeDirect(type, at: try valueOffset(key), key: key)
    }

    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        try decodeDirect(type, at: try valueOffset(key), key: key)
    }

    func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
        try decodeDirect(type, at: try valueOffset(key), key: key)
    }

    func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
        try decodeDirect(type, at: try valueOffset(key), key: key)
    }

    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 {
        try decodeDirect(type, at: try valueOffset(key), key: key)
    }

    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 {
        try decodeDirect(type, at: try valueOffset(key), key: key)
    }

    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 {
        try decodeDirect(type, at: try valueOffset(key), key: key)
    }

    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 {
        try decodeDirect(type, at: try valueOffset(key), key: key)
    }

    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt {
        try decodeDirect(type, at: try valueOffset(key), key: key)
    }

    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 {
        try decodeDirect(type, at: try valueOffset(key), key: key)
    }

    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 {
        try decodeDirect(type, at: try valueOffset(key), key: key)
    }

    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 {
        try decodeDirect(type, at: try valueOffset(key), key: key)
    }

    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 {
        try decodeDirect(type, at: try valueOffset(key), key: key)
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try state.decode(T.self, at: try valueOffset(key), depth: decoder.depth &+ 1, parent: decoder, key: key)
    }

    /// A type ``DecodingState/isDirect(_:)`` accepts.
    @inline(__always)
    private func decodeDirect<T: Decodable>(_ type: T.Type, at offset: Int, key: Key) throws -> T {
        var end = 0
        return try state.decodeDirectly(
            T.self, at: offset, depth: decoder.depth &+ 1, codingPath: codingPath + [key], end: &end)
    }

    /// The value's offset, or `nil` when the key is missing or its value is nil.
    @inline(__always)
    private func presentValueOffset(_ key: Key) -> Int? {
        guard let i = index.find(key, in: state.input) else { return nil }
        let offset = index.entries[i].valueOffset
        return state.isNil(at: offset) ? nil : offset
    }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? {
        guard let offset = presentValueOffset(key) else { return nil }
        return try decodeDirect(type, at: offset, key: key)
    }

    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        guard let offset = presentValueOffset(key) else { return nil }
        return try decodeDirect(type, at: offset, key: key)
    }

    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? {
        guard let offset = presentValueOffset(key) else { return nil }
        return try decodeDirect(type, at: offset, key: key)
    }

    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? {
        guard let offset = presentValueOffset(key) else { return nil }
        return try decodeDirect(type, at: offset, key: key)
    }

    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? {
        guard let offset = presentValueOffset(key) else { return nil }
        return try decodeDirect(type, at: offset, key: key)
    }

    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? {
        guard let offset = presentValueOffset(key) else { return nil }
        return try decodeDirect(type, at: offset, key: key)
    }

    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? {
        guard let offset = presentValueOffset(key) else { return nil }
        return try decodeDirect(type, at: offset, key: key)
    }

    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? {
        guard let offset = presentValueOffset(key) else { return nil }
        return try decodeDirect(type, at: offset, key: key)
    }

    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? {
        guard let offset = presentValueOffset(key) else { return nil }
        return try decodeDirect(type, at: offset, key: key)
    }

    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? {
        guard let offset = presentValueOffset(key) else { return nil }
        return try decodeDirect(type, at: offset, key: key)
    }

    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? {
        guard let offset = presentValueOffset(key) else { return nil }
        return try decodeDirect(type, at: offset, key: key)
    }

    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? {
        guard let offset = presentValueOffset(key) else { return nil }
        return try decodeDirect(type, at: offset, key: key)
    }

    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? {
        guard let offset = presentValueOffset(key) else { return nil }
        return try decodeDirect(type, at: offset, key: key)
    }

    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? {
        guard let offset = presentValueOffset(key) else { return nil }
        return try decodeDirect(type, at: offset, key: key)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let offset = presentValueOffset(key) else { return nil }
        return try state.decode(T.self, at: offset, depth: decoder.depth &+ 1, parent: decoder, key: key)
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try childDecoder(at: try valueOffset(key), key: key).container(keyedBy: NestedKey.self)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try childDecoder(at: try valueOffset(key), key: key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        guard let i = index.find(MessagePackCodingKey.super, in: state.input) else {
            throw DecodingError.keyNotFound(
                MessagePackCodingKey.super,
                DecodingError.Context(
                    codingPath: codingPath, debugDescription: "No value associated with key \"super\"."))
        }
        return childDecoder(at: index.entries[i].valueOffset, key: MessagePackCodingKey.super)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        childDecoder(at: try valueOffset(key), key: key)
    }

    private func childDecoder(at offset: Int, key: any CodingKey) -> ValueDecoder {
        ValueDecoder(state: state, offset: offset, depth: decoder.depth &+ 1, parent: decoder, key: key)
    }
}

/// Where each key and value of a map sit in the input, and where the last lookup ended.
final class MapIndex {
    struct Entry {
        /// The offset of the key's UTF-8 bytes (string keys).
        var keyStart: Int
        /// The key's UTF-8 length; ``MapIndex/integerKey`` or ``MapIndex/negativeIntegerKey`` for integer keys.
        var keyLength: Int
        /// An integer key: the value (≥ 0) or its `Int64` bit pattern (< 0).
        var integerKey: UInt64
        /// The offset of the value.
        var valueOffset: Int
    }

    static let integerKey = -1
    static let negativeIntegerKey = -2

    let entries: [Entry]
    private let hasIntegerKeys: Bool
    /// The index of the last key found: lookups in encoding order find the next one at once.
    private var hint = 0

    init(entries: [Entry]) {
        self.entries = entries
        self.hasIntegerKeys = entries.contains { $0.keyLength < 0 }
    }

    /// The index of the first entry (searching from the hint on, wrapping around) whose key is `key`.
    func find(_ key: some CodingKey, in input: ByteBuffer) -> Int? {
        let count = entries.count
        guard count > 0 else { return nil }
        let integer = hasIntegerKeys ? Self.integerForm(of: key) : nil
        var name = key.stringValue
        let found = name.withUTF8 { name -> Int? in
            input.withUnsafeReadableBytes { bytes -> Int? in
                var i = hint
                for _ in 0..<count {
                    let entry = entries[i]
                    if entry.keyLength == name.count {
                        if Self.equal(bytes, entry.keyStart, name) { return i }
                    } else if entry.keyLength < 0, let integer,
                        integer.negative == (entry.keyLength == Self.negativeIntegerKey),
                        integer.bits == entry.integerKey
                    {
                        return i
                    }
                    i &+= 1
                    if i == count { i = 0 }
                }
                return nil
            }
        }
        if let found { hint = found }
        return found
    }

    @inline(__always)
    private static func equal(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ name: UnsafeBufferPointer<UInt8>) -> Bool
    {
        var j = 0
        while j < name.count {
            guard bytes[start &+ j] == name[j] else { return false }
            j &+= 1
        }
        return true
    }

    /// The integer a coding key names: its `intValue`, else its `stringValue` if that is a decimal integer.
    private static func integerForm(of key: some CodingKey) -> (bits: UInt64, negative: Bool)? {
        if let int = key.intValue { return (UInt64(bitPattern: Int64(int)), int < 0) }
        if let int = Int64(key.stringValue) { return (UInt64(bitPattern: int), int < 0) }
        if let uint = UInt64(key.stringValue) { return (uint, false) }
        return nil
    }
}
