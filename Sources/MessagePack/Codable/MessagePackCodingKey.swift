/// The coding keys the bridge makes itself: array indices in coding paths, and `super`.
struct MessagePackCodingKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = nil
    }

    init(intValue: Int) {
        self.stringValue = "Index \(intValue)"
        self.intValue = intValue
    }

    static let `super` = MessagePackCodingKey(stringValue: "super")
}
