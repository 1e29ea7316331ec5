/// Who is on the other end of a connection, as the authentication hook established it.
public struct HubUser: Sendable, Hashable {
    /// One claim: a type (such as `role`) and a value.
    public struct Claim: Sendable, Hashable {
        /// The claim type.
        public var type: String
        /// The claim value.
        public var value: String

        /// Makes a claim.
        public init(type: String, value: String) {
            self.type = type
            self.value = value
        }
    }

    /// The user id that `Clients.User(id)` addresses; `nil` for none (the connection has no
    /// user channel).
    public var identifier: String?
    /// The claims, in order.
    public var claims: [Claim]

    /// Makes a user.
    public init(identifier: String?, claims: [Claim] = []) {
        self.identifier = identifier
        self.claims = claims
    }

    /// An anonymous connection: no id, no claims.
    public static let anonymous = HubUser(identifier: nil)

    /// The values of every claim of `type`, in order.
    public func claimValues(_ type: String) -> [String] {
        claims.filter { $0.type == type }.map(\.value)
    }

    /// Whether a claim of `type` has `value`.
    public func hasClaim(_ type: String, value: String) -> Bool {
        claims.contains { $0.type == type && $0.value == value }
    }
}
