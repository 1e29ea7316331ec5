extension MessagePackValue: Codable {
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Takes the value as it is with ``MessagePackDecoder``; with other decoders, tries nil, bool,
    /// integers, double, string, then an array, then a map with string keys.
    public init(from decoder: any Decoder) throws {
        if let decoder = decoder as? ValueDecoder {
            self = try decoder.decode(MessagePackValue.self)
            return
        }
        if let container = try? decoder.singleValueContainer() {
            if container.decodeNil() {
                self = .nil
                return
            }
            if let bool = try? container.decode(Bool.self) {
                self = .bool(bool)
                return
            }
            if let int = try? container.decode(Int64.self) {
                self = .int(int)
                return
            }
            if let uint = try? container.decode(UInt64.self) {
                self = .uint(uint)
                return
            }
            if let double = try? container.decode(Double.self) {
                self = .double(double)
                return
            }
            if let string = try? container.decode(String.self) {
                self = .string(string)
                return
            }
        }
        if var container = try? decoder.unkeyedContainer() {
            var elements: [MessagePackValue] = []
            while !container.isAtEnd {
                elements.append(try container.decode(MessagePackValue.self))
            }
            self = .array(elements)
            return
        }
        let container = try decoder.container(keyedBy: AnyKey.self)
        self = .map(
            try container.allKeys.map { key in
                MessagePackMapEntry(
                    key: .string(key.stringValue), value: try container.decode(MessagePackValue.self, forKey: key))
            })
    }

    /// Writes the value as it is with ``MessagePackEncoder``; other encoders get the nearest `Codable`
    /// shape (binary as `[UInt8]`, a map with only string keys as a keyed container, another map as
    /// an array of `[key, value]` pairs, an extension as `[type, data]`).
    public func encode(to encoder: any Encoder) throws {
        if let encoder = encoder as? ValueEncoder {
            try encoder.encodeRaw { $0.writeValue(self) }
            return
        }
        switch self {
        case .nil:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .int(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .uint(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .float(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .double(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .string(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .binary(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .array(let elements):
            var container = encoder.unkeyedContainer()
            for element in elements { try container.encode(element) }
        case .map(let entries):
            if entries.allSatisfy({ if case .string = $0.key { true } else { false } }) {
                var container = encoder.container(keyedBy: AnyKey.self)
                for entry in entries {
                    guard case .string(let key) = entry.key else { continue }
                    try container.encode(entry.value, forKey: AnyKey(stringValue: key))
                }
            } else {
                var container = encoder.unkeyedContainer()
                for entry in entries { try container.encode([entry.key, entry.value]) }
            }
        case .extension(let type, let data):
            var container = encoder.unkeyedContainer()
            try container.encode(type)
            try container.encode(data)
        case .timestamp(let timestamp):
            try timestamp.encode(to: encoder)
        }
    }
}
