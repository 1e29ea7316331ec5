/// Fixed facts the broker reports about itself.
public enum BrokerInfo {
    /// The Redis version whose behaviour the broker follows, reported in `INFO` and `HELLO` so that
    /// clients choose Redis 7 features.
    public static let redisVersion = "7.0.15"
    /// Switchboard's own version, reported in `INFO server` as `switchboard_version`.
    public static let version = "0.1.0"
}
