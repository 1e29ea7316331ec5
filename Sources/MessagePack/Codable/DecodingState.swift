import NIOCore

/// The input of one ``MessagePackDecoder`` run, shared by every decoder and container of that run.
///
/// Decoders and containers refer to values by their offset in the input and read them through a
/// ``MessagePackCursor`` over the input's bytes, so nothing is copied and no tree is built: a
/// keyed container scans its map once to index the keys, an unkeyed one walks its array.
final class DecodingState {
    /// The whole input; offsets count from its reader index.
    let input: ByteBuffer
    let maxDepth: Int
    let userInfo: [CodingUserInfoKey: Any]

    init(input: ByteBuffer, maxDepth: Int, userInfo: [CodingUserInfoKey: Any]) {
        self.input = input
        self.maxDepth = maxDepth
        self.userInfo = userInfo
    }

    /// Runs `body` with a cursor at `offset`; returns its result and the offset it ended at.
    @inline(__always)
    func withCursor<T>(
        at offset: Int, _ body: (inout MessagePackCursor) throws(MessagePackError) -> T
    ) throws(MessagePackError) -> (value: T, end: Int) {
        let result = input.withUnsafeReadableBytes { bytes -> Result<(T, Int), MessagePackError> in
            var cursor = MessagePackCursor(bytes: bytes, index: offset)
            do throws(MessagePackError) {
                let value = try body(&cursor)
                return .success((value, cursor.index))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Like ``withCursor(at:_:)``, with a reader error turned into the `DecodingError` a `Codable`
    /// caller expects for `type`.
    @inline(__always)
    func read<T>(
        _ type: Any.Type, at offset: Int, codingPath: @autoclosure () -> [any CodingKey],
        _ body: (inout MessagePackCursor) throws(MessagePackError) -> T
    ) throws(DecodingError) -> (value: T, end: Int) {
        do {
            return try withCursor(at: offset, body)
        } catch {
            throw decodingError(error, expecting: type, at: offset, codingPath: codingPath())
        }
    }

    /// Whether the value at `offset` is nil.
    func isNil(at offset: Int) -> Bool {
        input.getInteger(at: input.readerIndex &+ offset, as: UInt8.self) == 0xc0
    }

    /// The offset just past the whole value at `offset`, whose enclosing containers number `depth`.
    func end(
        ofValueAt offset: Int, depth: Int, codingPath: @autoclosure () -> [any CodingKey]
    ) throws(DecodingError)
        -> Int
    {
        let maxDepth = maxDepth
        return try read(Any.self, at: offset, codingPath: codingPath()) { cursor throws(MessagePackError) in
            try cursor.skipValue(depth: depth, maxDepth: maxDepth)
        }.end
    }

    /// The input bytes `start..<start+length` as a slice.
    func slice(_ start: Int, _ length: Int) -> ByteBuffer {
        // In range by construction: a cursor checked it against the input.
        input.getSlice(at: input.readerIndex &+ start, length: length) ?? ByteBuffer()
    }

    /// The `DecodingError` for a reader error: nil where a value was expected → `valueNotFound`,
    /// another type → `typeMismatch`, anything else → `dataCorrupted`; the ``MessagePackError`` is
    /// the `underlyingError`.
    func decodingError(
        _ error: MessagePackError, expecting type: Any.Type, at offset: Int, codingPath: [any CodingKey]
    ) -> DecodingError {
        let context = DecodingError.Context(
            codingPath: codingPath, debugDescription: error.description, underlyingError: error)
        guard error.code == .typeMismatch else { return .dataCorrupted(context) }
        if isNil(at: offset) {
            return .valueNotFound(
                type,
                DecodingError.Context(
                    codingPath: codingPath, debugDescription: "expected \(type), found nil", underlyingError: error))
        }
        return .typeMismatch(type, context)
    }

    // MARK: - Values
    //
    // These run unspecialized for most values (the standard library's `Codable` code calls them
    // through existentials), so they avoid what costs a metadata lookup there: no optionals or
    // tuples of `T` are returned, ends come back through `inout`.

    /// Decodes a `T` from the value at `offset`: directly if its type has a fixed form, else through
    /// `T(from:)`. Sets `end` to the offset just past the value when that is known without a skip,
    /// else to -1.
    func decode<T: Decodable>(
        _ type: T.Type, at offset: Int, depth: Int, parent: ValueDecoder?, key: (any CodingKey)?, end: inout Int
    ) throws -> T {
        if Self.isDirect(T.self) {
            return try decodeDirectly(T.self, at: offset, depth: depth, codingPath: path(parent, key), end: &end)
        }
        end = -1
        return try T(from: ValueDecoder(state: self, offset: offset, depth: depth, parent: parent, key: key))
    }

    /// Decodes a `T` from the value at `offset`, when the end does not matter.
    func decode<T: Decodable>(
        _ type: T.Type, at offset: Int, depth: Int, parent: ValueDecoder?, key: (any CodingKey)?
    ) throws -> T {
        var end = 0
        return try decode(T.self, at: offset, depth: depth, parent: parent, key: key, end: &end)
    }

    private func path(_ parent: ValueDecoder?, _ key: (any CodingKey)?) -> [any CodingKey] {
        (parent?.codingPath ?? []) + (key.map { [$0] } ?? [])
    }

    /// Whether values of `type` are read directly: the standard scalars, `[UInt8]`, the hook protocols,
    /// ``MessagePackRawValue`` and ``MessagePackValue``.
    static func isDirect<T>(_ type: T.Type) -> Bool {
        T.self == String.self || T.self == Int.self || T.self == Bool.self || T.self == Double.self
            || T.self == Float.self || T.self == Int64.self || T.self == UInt64.self || T.self == Int32.self
            || T.self == UInt32.self || T.self == UInt.self || T.self == Int16.self || T.self == UInt16.self
            || T.self == Int8.self || T.self == UInt8.self || T.self == [UInt8].self
            || T.self == MessagePackRawValue.self || T.self == MessagePackValue.self
            || T.self is any MessagePackTimestampRepresentable.Type || T.self is any MessagePackBinaryRepresentable.Type
    }

    /// Decodes a value of a type ``isDirect(_:)`` accepts and sets `end` past it.
    func decodeDirectly<T: Decodable>(
        _ type: T.Type, at offset: Int, depth: Int, codingPath: @autoclosure () -> [any CodingKey], end: inout Int
    ) throws -> T {
        if T.self == String.self {
            let result = try read(T.self, at: offset, codingPath: codingPath()) { cursor throws(MessagePackError) in
                try cursor.readString()
            }
            end = result.end
            return identityCast(result.value, to: T.self)
        } else if T.self == Int.self {
            return try integer(Int.self, T.self, at: offset, codingPath(), end: &end)
        } else if T.self == Bool.self {
            let result = try read(T.self, at: offset, codingPath: codingPath()) { cursor throws(MessagePackError) in
                try cursor.readBool()
            }
            end = result.end
            return identityCast(result.value, to: T.self)
        } else if T.self == Double.self {
            let result = try read(T.self, at: offset, codingPath: codingPath()) { cursor throws(MessagePackError) in
                try cursor.readDouble()
            }
            end = result.end
            return identityCast(result.value, to: T.self)
        } else if T.self == Float.self {
            let result = try read(T.self, at: offset, codingPath: codingPath()) { cursor throws(MessagePackError) in
                try cursor.readFloat()
            }
            end = result.end
            return identityCast(result.value, to: T.self)
        } else if T.self == Int64.self {
            return try integer(Int64.self, T.self, at: offset, codingPath(), end: &end)
        } else if T.self == UInt64.self {
            return try integer(UInt64.self, T.self, at: offset, codingPath(), end: &end)
        } else if T.self == Int32.self {
            return try integer(Int32.self, T.self, at: offset, codingPath(), end: &end)
        } else if T.self == UInt32.self {
            return try integer(UInt32.self, T.self, at: offset, codingPath(), end: &end)
        } else if T.self == UInt.self {
            return try integer(UInt.self, T.self, at: offset, codingPath(), end: &end)
        } else if T.self == Int16.self {
            return try integer(Int16.self, T.self, at: offset, codingPath(), end: &end)
        } else if T.self == UInt16.self {
            return try integer(UInt16.self, T.self, at: offset, codingPath(), end: &end)
        } else if T.self == Int8.self {
            return try integer(Int8.self, T.self, at: offset, codingPath(), end: &end)
        } else if T.self == UInt8.self {
            return try integer(UInt8.self, T.self, at: offset, codingPath(), end: &end)
        } else if T.self == [UInt8].self {
            let (bytes, bytesEnd) = try byteArray(at: offset, codingPath: codingPath())
            end = bytesEnd
            return identityCast(bytes, to: T.self)
        } else if T.self == MessagePackRawValue.self {
            let maxDepth = maxDepth
            end = try read(T.self, at: offset, codingPath: codingPath()) { cursor throws(MessagePackError) in
                try cursor.skipValue(depth: depth, maxDepth: maxDepth)
            }.end
            return identityCast(MessagePackRawValue(checked: slice(offset, end &- offset)), to: T.self)
        } else if T.self == MessagePackValue.self {
            let maxDepth = maxDepth
            let result = try read(T.self, at: offset, codingPath: codingPath()) { cursor throws(MessagePackError) in
                let start = cursor.index
                try cursor.skipValue(depth: depth, maxDepth: maxDepth)
                cursor.index = start
                return try cursor.readValue()
            }
            end = result.end
            return identityCast(result.value, to: T.self)
        } else if let timestampType = T.self as? any MessagePackTimestampRepresentable.Type {
            if let found = try timestampText(at: offset, codingPath: codingPath()) {
                let text = found.0
                end = found.1
                return try hook(T.self, codingPath()) { () throws -> Any in
                    guard let value = timestampType.init(messagePackTimestampText: text) else {
                        throw DecodingError.typeMismatch(
                            T.self,
                            DecodingError.Context(
                                codingPath: codingPath(), debugDescription: "\(T.self) refused the string '\(text)'"))
                    }
                    return value
                }
            }
            let result = try read(T.self, at: offset, codingPath: codingPath()) { cursor throws(MessagePackError) in
                try cursor.readTimestampOrDateTimeOffset()
            }
            end = result.end
            return try hook(T.self, codingPath()) { try timestampType.init(messagePackTimestamp: result.value) }
        } else if let binaryType = T.self as? any MessagePackBinaryRepresentable.Type {
            let (bytes, bytesEnd) = try byteBuffer(at: offset, codingPath: codingPath())
            end = bytesEnd
            return try hook(T.self, codingPath()) { try binaryType.init(messagePackBinary: bytes) }
        }
        preconditionFailure("\(T.self) is not decoded directly")
    }

    @inline(__always)
    private func integer<I: FixedWidthInteger, T>(
        _ integerType: I.Type, _ type: T.Type, at offset: Int, _ codingPath: @autoclosure () -> [any CodingKey],
        end: inout Int
    ) throws(DecodingError) -> T {
        let result = try read(I.self, at: offset, codingPath: codingPath()) { cursor throws(MessagePackError) in
            try cursor.readInteger(as: I.self)
        }
        end = result.end
        return identityCast(result.value, to: T.self)
    }

    /// Runs a hook protocol's initializer; its errors become `dataCorrupted` (a `DecodingError` passes).
    private func hook<T>(_ type: T.Type, _ codingPath: [any CodingKey], _ make: () throws -> Any) throws -> T {
        let made: Any
        do {
            made = try make()
        } catch let error as DecodingError {
            throw error
        } catch {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: codingPath, debugDescription: "\(T.self) refused the value: \(error)",
                    underlyingError: error))
        }
        guard let value = made as? T else {
            throw DecodingError.typeMismatch(
                T.self,
                DecodingError.Context(codingPath: codingPath, debugDescription: "hook made \(Swift.type(of: made))"))
        }
        return value
    }

    /// The string at `offset` and the offset past it, or `nil` when the value there is not a string.
    private func timestampText(
        at offset: Int, codingPath: @autoclosure () -> [any CodingKey]
    ) throws(DecodingError) -> (String, Int)? {
        let (text, end) = try read(String.self, at: offset, codingPath: codingPath()) {
            cursor throws(MessagePackError) -> String? in
            guard try cursor.header().kind == .string else { return nil }
            return try cursor.readString()
        }
        return text.map { ($0, end) }
    }

    /// `bin` bytes, or an array of integers in `0...255`, as `[UInt8]`.
    func byteArray(
        at offset: Int, codingPath: @autoclosure () -> [any CodingKey]
    ) throws(DecodingError) -> ([UInt8], Int) {
        try read([UInt8].self, at: offset, codingPath: codingPath()) { cursor throws(MessagePackError) in
            let header = try cursor.header()
            if header.kind == .array {
                let count = try cursor.readArrayHeader()
                var bytes: [UInt8] = []
                bytes.reserveCapacity(count)  // at most the input's length: checked by `header()`
                for _ in 0..<count {
                    bytes.append(try cursor.readInteger(as: UInt8.self))
                }
                return bytes
            }
            let (start, length) = try cursor.readBinary()
            return Array(UnsafeRawBufferPointer(rebasing: cursor.bytes[start..<(start &+ length)]))
        }
    }

    /// `bin` bytes (a slice of the input), or an array of integers in `0...255` (copied), as a buffer.
    func byteBuffer(
        at offset: Int, codingPath: @autoclosure () -> [any CodingKey]
    ) throws(DecodingError) -> (ByteBuffer, Int) {
        let ((start, length), end) = try read(ByteBuffer.self, at: offset, codingPath: codingPath()) {
            cursor throws(MessagePackError) -> (Int, Int) in
            let header = try cursor.header()
            if header.kind == .array {
                let start = cursor.index
                let count = try cursor.readArrayHeader()
                for _ in 0..<count {
                    _ = try cursor.readInteger(as: UInt8.self)
                }
                return (start, -1)
            }
            return try cursor.readBinary()
        }
        if length >= 0 { return (slice(start, length), end) }
        let (bytes, _) = try byteArray(at: start, codingPath: codingPath())
        return (ByteBuffer(bytes: bytes), end)
    }
}
