import ArgumentParser

/// `redis-client-bench`: throughput of the `RedisClient` module against a Redis server, printed as
/// JSON lines for `tools/bench-client` to read.
@main
struct RedisClientBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis-client-bench",
        abstract: "Measures the RedisClient module against a Redis server (JSON lines on stdout).",
        discussion: """
            `throughput` mirrors `redis-benchmark -c C -P P -n N` for SET, GET and PUBLISH, once with C \
            RedisConnections that each send P commands and wait for their replies (redis-benchmark's \
            model), and once with one RedisClient shared by C×P tasks (automatic pipelining).

            `subscribe` counts the messages one RedisSubscriber connection receives while something \
            else publishes.

            tools/bench-client runs both side by side with redis-benchmark on one redis-server.
            """,
        subcommands: [ThroughputCommand.self, SubscribeCommand.self]
    )
}
