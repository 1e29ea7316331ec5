/// The arguments of an Invocation or StreamInvocation: received raw values or Swift values to send.
///
/// Received arguments are validated slices of the input; ``decode(_:at:)`` decodes one of them,
/// once, into the parameter's type. An index past the end throws (the count comes from a peer, so
/// it is input, not a programmer mistake).
public struct HubArguments: Sendable, RandomAccessCollection, ExpressibleByArrayLiteral {
    /// The values, in order.
    public var values: [HubValue]

    /// Arguments from values.
    public init(_ values: [HubValue]) {
        self.values = values
    }

    /// Arguments from values.
    public init(arrayLiteral elements: HubValue...) {
        self.values = elements
    }

    /// No arguments.
    public static let empty = HubArguments([])

    /// The index of the first argument (0).
    public var startIndex: Int { values.startIndex }
    /// The number of arguments.
    public var endIndex: Int { values.endIndex }

    /// The argument at `index`.
    public subscript(index: Int) -> HubValue { values[index] }

    /// Decodes the argument at `index` into `T` (see ``HubValue/decode(_:)``).
    public func decode<T: Decodable>(_ type: T.Type = T.self, at index: Int) throws(HubProtocolError) -> T {
        guard values.indices.contains(index) else {
            throw HubProtocolError(
                .argumentIndexOutOfRange,
                "Invocation provides \(values.count) argument(s); argument \(index) does not exist.")
        }
        return try values[index].decode(type)
    }
}
