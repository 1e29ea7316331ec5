/// The coding keys the bridge makes itself: array indices in coding paths, and `super`. An enum of
/// at most three words, so it fits an existential's inline storage, with the index's text made only
/// when someone asks for it.
enum MessagePackCodingKey: CodingKey {
    case index(Int)
    case string(String)

    init(stringValue: String) {
        self = .string(stringValue)
    }

    init(intValue: Int) {
        self = .index(intValue)
    }

    var stringValue: String {
        switch self {
        case .index(let index): "Index \(index)"
        case .string(let string): string
        }
    }

    var intValue: Int? {
        switch self {
        case .index(let index): index
        case .string: nil
        }
    }

    static let `super` = MessagePackCodingKey.string("super")
}
