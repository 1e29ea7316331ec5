extension MessagePackValue: ExpressibleByNilLiteral {
    /// `nil`.
    public init(nilLiteral: ()) { self = .nil }
}

extension MessagePackValue: ExpressibleByBooleanLiteral {
    /// ``bool(_:)``.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension MessagePackValue: ExpressibleByIntegerLiteral {
    /// ``int(_:)``.
    public init(integerLiteral value: Int64) { self = .int(value) }
}

extension MessagePackValue: ExpressibleByFloatLiteral {
    /// ``double(_:)``.
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension MessagePackValue: ExpressibleByStringLiteral {
    /// ``string(_:)``.
    public init(stringLiteral value: String) { self = .string(value) }
}

extension MessagePackValue: ExpressibleByArrayLiteral {
    /// ``array(_:)``.
    public init(arrayLiteral elements: MessagePackValue...) { self = .array(elements) }
}

extension MessagePackValue: ExpressibleByDictionaryLiteral {
    /// ``map(_:)``, its pairs in the literal's order.
    public init(dictionaryLiteral elements: (MessagePackValue, MessagePackValue)...) {
        self = .map(elements.map { MessagePackMapEntry(key: $0.0, value: $0.1) })
    }
}
