import NIOCore

/// Reinterprets `value` as `U`; only called after checking `T.self == U.self`, where it is an identity
/// that avoids a dynamic cast in unspecialized generic code.
@inline(__always)
func identityCast<T, U>(_ value: T, to type: U.Type) -> U {
    unsafeBitCast(value, to: U.self)
}

extension EncodingState {
    /// Encodes one value at the end of the output, for the slot its container has just counted.
    /// Types with a fixed MessagePack form are written directly; anything else goes through its
    /// `encode(to:)` with a ``ValueEncoder`` for the slot.
    func encode<T: Encodable>(
        _ value: T, parentFrame: Int, parent: ValueEncoder?, key: (any CodingKey)?
    ) throws {
        if try writeDirectly(value, codingPath: parent.map { $0.codingPath + (key.map { [$0] } ?? []) } ?? []) {
            return
        }
        let child = ValueEncoder(state: self, parent: parent, key: key, parentFrame: parentFrame)
        try value.encode(to: child)
    }

    /// Throws unless MessagePack can hold the string's length (under 2³² bytes).
    @inline(__always)
    func checkStringLength(_ string: String, codingPath: @autoclosure () -> [any CodingKey]) throws(EncodingError) {
        guard UInt64(string.utf8.count) <= UInt64(UInt32.max) else {
            throw Self.error(
                "a string of 2^32 bytes or more is too long for MessagePack", codingPath(), .lengthLimitExceeded)
        }
    }

    /// Writes a string, first checking that MessagePack can hold its length (nothing is written if not).
    @inline(__always)
    func writeString(_ string: String, codingPath: @autoclosure () -> [any CodingKey]) throws(EncodingError) {
        try checkStringLength(string, codingPath: codingPath())
        writer.writeString(string)
    }

    /// Writes `value` if its type has a fixed form — the standard scalars, `[UInt8]`, the hook
    /// protocols, ``MessagePackRawValue`` and ``MessagePackValue`` — and returns `true`; returns
    /// `false` for everything else, which then goes through `Codable`.
    @inline(__always)
    func writeDirectly<T: Encodable>(
        _ value: T, codingPath: @autoclosure () -> [any CodingKey]
    ) throws -> Bool {
        if T.self == String.self {
            try writeString(identityCast(value, to: String.self), codingPath: codingPath())
        } else if T.self == Int.self {
            writer.writeInteger(identityCast(value, to: Int.self))
        } else if T.self == Bool.self {
            writer.writeBool(identityCast(value, to: Bool.self))
        } else if T.self == Double.self {
            writer.writeDouble(identityCast(value, to: Double.self))
        } else if T.self == Float.self {
            writer.writeFloat(identityCast(value, to: Float.self))
        } else if T.self == Int64.self {
            writer.writeInteger(identityCast(value, to: Int64.self))
        } else if T.self == UInt64.self {
            writer.writeInteger(identityCast(value, to: UInt64.self))
        } else if T.self == Int32.self {
            writer.writeInteger(identityCast(value, to: Int32.self))
        } else if T.self == UInt32.self {
            writer.writeInteger(identityCast(value, to: UInt32.self))
        } else if T.self == UInt.self {
            writer.writeInteger(identityCast(value, to: UInt.self))
        } else if T.self == Int16.self {
            writer.writeInteger(identityCast(value, to: Int16.self))
        } else if T.self == UInt16.self {
            writer.writeInteger(identityCast(value, to: UInt16.self))
        } else if T.self == Int8.self {
            writer.writeInteger(identityCast(value, to: Int8.self))
        } else if T.self == UInt8.self {
            writer.writeInteger(identityCast(value, to: UInt8.self))
        } else if T.self == [UInt8].self {
            let bytes = identityCast(value, to: [UInt8].self)
            try checkLength(bytes.count, codingPath())
            writer.writeBinary(bytes)
        } else if T.self == MessagePackRawValue.self {
            writer.writeRaw(identityCast(value, to: MessagePackRawValue.self).bytes)
        } else if T.self == MessagePackValue.self {
            writer.writeValue(identityCast(value, to: MessagePackValue.self))
        } else if let timestamp = value as? any MessagePackTimestampRepresentable {
            writer.writeTimestamp(try timestamp.messagePackTimestamp)
        } else if let binary = value as? any MessagePackBinaryRepresentable {
            try binary.withMessagePackBinary { bytes in
                try checkLength(bytes.count, codingPath())
                writer.writeBinary(bytes)
            }
        } else {
            return false
        }
        return true
    }

    private func checkLength(_ length: Int, _ codingPath: @autoclosure () -> [any CodingKey]) throws(EncodingError) {
        guard UInt64(length) <= UInt64(UInt32.max) else {
            throw Self.error(
                "a binary of 2^32 bytes or more is too long for MessagePack", codingPath(), .lengthLimitExceeded)
        }
    }
}
