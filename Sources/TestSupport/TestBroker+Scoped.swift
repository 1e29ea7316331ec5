import Broker

extension TestBroker {
    /// Starts a broker, runs `body` with it, and stops it whether `body` succeeds or throws.
    public static func with<T>(
        _ configure: (inout BrokerConfiguration) -> Void = { _ in }, _ body: (TestBroker) async throws -> T
    ) async throws -> T {
        let broker = try await start(configure)
        do {
            let result = try await body(broker)
            try await broker.stop()
            return result
        } catch {
            try? await broker.stop()
            throw error
        }
    }
}
