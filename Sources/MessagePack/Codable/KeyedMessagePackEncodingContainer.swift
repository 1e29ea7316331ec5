/// Writes a map: each entry's key is the coding key's `stringValue`, in encoding order.
struct KeyedMessagePackEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: ValueEncoder
    /// The map's frame (`-1` if it could not be opened; writes then fail).
    let frame: Int

    private var state: EncodingState { encoder.state }

    var codingPath: [any CodingKey] { encoder.codingPath }

    /// Gets the map ready for one more entry and writes its key; returns the frame's index.
    @inline(__always)
    @discardableResult
    private func begin(_ key: Key) throws(EncodingError) -> Int {
        let index = try state.prepare(frame, codingPath: codingPath + [key])
        try state.writeString(key.stringValue, codingPath: codingPath + [key])
        state.countElement(inFrameAt: index)
        return index
    }

    mutating func encodeNil(forKey key: Key) throws {
        try begin(key)
        state.writer.writeNil()
    }

    mutating func encode(_ value: Bool, forKey key: Key) throws {
        try begin(key)
        state.writer.writeBool(value)
    }

    mutating func encode(_ value: String, forKey key: Key) throws {
        try state.checkStringLength(value, codingPath: codingPath + [key])
        try begin(key)
        state.writer.writeString(value)
    }

    mutating func encode(_ value: Double, forKey key: Key) throws {
        try begin(key)
        state.writer.writeDouble(value)
    }

    mutating func encode(_ value: Float, forKey key: Key) throws {
        try begin(key)
        state.writer.writeFloat(value)
    }

    mutating func encode(_ value: Int, forKey key: Key) throws {
        try begin(key)
        state.writer.writeInteger(value)
    }

    mutating func encode(_ value: Int8, forKey key: Key) throws {
        try begin(key)
        state.writer.writeInteger(value)
    }

    mutating func encode(_ value: Int16, forKey key: Key) throws {
        try begin(key)
        state.writer.writeInteger(value)
    }

    mutating func encode(_ value: Int32, forKey key: Key) throws {
        try begin(key)
        state.writer.writeInteger(value)
    }

    mutating func encode(_ value: Int64, forKey key: Key) throws {
        try begin(key)
        state.writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt, forKey key: Key) throws {
        try begin(key)
        state.writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt8, forKey key: Key) throws {
        try begin(key)
        state.writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt16, forKey key: Key) throws {
        try begin(key)
        state.writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt32, forKey key: Key) throws {
        try begin(key)
        state.writer.writeInteger(value)
    }

    mutating func encode(_ value: UInt64, forKey key: Key) throws {
        try begin(key)
        state.writer.writeInteger(value)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        let index = try state.prepare(frame, codingPath: codingPath + [key])
        let mark = state.mark(countingFrameAt: index)
        do {
            try begin(key)
            try state.encode(value, parentFrame: frame, parent: encoder, key: key)
        } catch {
            state.rollBack(to: mark)
            throw error
        }
    }

    // With `encodesNilForAbsentOptionals`, absent optionals are written as nil, as MessagePack-CSharp's
    // contractless resolver writes null members; by default their keys are left out, as `JSONEncoder` does.

    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws {
        if let value {
            try encode(value, forKey: key)
        } else if state.encodesNilForAbsentOptionals {
            try encodeNil(forKey: key)
        }
    }

    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws {
        if let value {
            try encode(value, forKey: key)
        } else if state.encodesNilForAbsentOptionals {
            try encodeNil(forKey: key)
        }
    }

    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws {
        if let value {
            try encode(value, forKey: key)
        } else if state.encodesNilForAbsentOptionals {
            try encodeNil(forKey: key)
        }
    }

    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws {
        if let value {
            try encode(value, forKey: key)
        } else if state.encodesNilForAbsentOptionals {
            try encodeNil(forKey: key)
        }
    }

    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws {
        if let value {
            try encode(value, forKey: key)
        } else if state.encodesNilForAbsentOptionals {
            try encodeNil(forKey: key)
        }
    }

    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws {
        if let value {
            try encode(value, forKey: key)
        } else if state.encodesNilForAbsentOptionals {
            try encodeNil(forKey: key)
        }
    }

    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws {
        if let value {
            try encode(value, forKey: key)
        } else if state.encodesNilForAbsentOptionals {
            try encodeNil(forKey: key)
        }
    }

    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws {
        if let value {
            try encode(value, forKey: key)
        } else if state.encodesNilForAbsentOptionals {
            try encodeNil(forKey: key)
        }
    }

    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws {
        if let value {
            try encode(value, forKey: key)
        } else if state.encodesNilForAbsentOptionals {
            try encodeNil(forKey: key)
        }
    }

    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws {
        if let value {
            try encode(value, forKey: key)
        } else if state.encodesNilForAbsentOptionals {
            try encodeNil(forKey: key)
        }
    }

    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws {
        if let value {
            try encode(value, forKey: key)
        } else if state.encodesNilForAbsentOptionals {
            try encodeNil(forKey: key)
        }
    }

    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws {
        if let value {
            try encode(value, forKey: key)
        } else if state.encodesNilForAbsentOptionals {
            try encodeNil(forKey: key)
        }
    }

    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws {
        if let value {
            try encode(value, forKey: key)
        } else if state.encodesNilForAbsentOptionals {
            try encodeNil(forKey: key)
        }
    }

    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws {
        if let value {
            try encode(value, forKey: key)
        } else if state.encodesNilForAbsentOptionals {
            try encodeNil(forKey: key)
        }
    }

    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value {
            try encode(value, forKey: key)
        } else if state.encodesNilForAbsentOptionals {
            try encodeNil(forKey: key)
        }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        nestedEncoder(key).container(keyedBy: NestedKey.self)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        nestedEncoder(key).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        do {
            let index = try state.prepare(frame, codingPath: codingPath)
            try state.writeString(MessagePackCodingKey.super.stringValue, codingPath: codingPath)
            state.countElement(inFrameAt: index)
        } catch {
            state.deferError(error)
            return ValueEncoder(state: state, parent: encoder, key: MessagePackCodingKey.super, parentFrame: -1)
        }
        return ValueEncoder(state: state, parent: encoder, key: MessagePackCodingKey.super, parentFrame: frame)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        nestedEncoder(key)
    }

    /// Writes `key` and returns the encoder of its value's slot.
    private func nestedEncoder(_ key: Key) -> ValueEncoder {
        do {
            try begin(key)
        } catch {
            state.deferError(error)
            return ValueEncoder(state: state, parent: encoder, key: key, parentFrame: -1)
        }
        return ValueEncoder(state: state, parent: encoder, key: key, parentFrame: frame)
    }
}
