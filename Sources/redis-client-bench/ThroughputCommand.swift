import ArgumentParser
import NIOCore
import NIOPosix
import RedisClient

/// `redis-client-bench throughput`: requests per second of SET, GET and PUBLISH through the client.
struct ThroughputCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "throughput",
        abstract: "SET, GET and PUBLISH requests per second, redis-benchmark's way (one JSON line per test).",
        discussion: """
            Models (--models, comma-separated):
            - connections: C RedisConnections; each sends P commands with pipeline() and waits for \
            all P replies before the next P (redis-benchmark -c C -P P).
            - shared: one RedisClient shared by C×P tasks, each sending one command at a time with \
            send(), so the client pipelines them on its one connection.

            The commands are redis-benchmark's: SET key:__rand_int__ <d bytes of x>, GET \
            key:__rand_int__, PUBLISH bench-channel hello. Connections are made before the clock \
            starts. The client uses its default configuration (RESP2, 30 s command timeout).
            """
    )

    /// How the commands reach the server.
    enum Model: String, CaseIterable {
        case connections, shared
    }

    /// Which command is measured.
    enum Test: String, CaseIterable {
        case set, get, publish
    }

    @OptionGroup var server: ServerOptions

    @Option(name: [.customShort("n"), .long], help: "Requests per test.")
    var requests = 1_000_000

    @Option(
        name: [.customShort("c"), .long],
        help: "Connections (connections model); C×P tasks share one client (shared model).")
    var clients = 50

    @Option(name: [.customShort("P"), .long], help: "Commands each client has in flight.")
    var pipeline = 16

    @Option(name: [.customShort("d"), .customLong("data-size")], help: "SET's value size in bytes.")
    var dataSize = 3

    @Option(name: [.customShort("t"), .long], help: "Tests, comma-separated: set, get, publish.")
    var tests = "set,get,publish"

    @Option(help: "Models, comma-separated: connections, shared.")
    var models = "connections,shared"

    func validate() throws {
        guard requests >= 1, clients >= 1, pipeline >= 1, dataSize >= 0 else {
            throw ValidationError("--requests, --clients and --pipeline must be at least 1")
        }
        _ = try parsedTests()
        _ = try parsedModels()
    }

    func parsedTests() throws -> [Test] {
        try tests.split(separator: ",").map { name in
            guard let test = Test(rawValue: name.lowercased()) else { throw ValidationError("unknown test \(name)") }
            return test
        }
    }

    func parsedModels() throws -> [Model] {
        try models.split(separator: ",").map { name in
            guard let model = Model(rawValue: name.lowercased()) else { throw ValidationError("unknown model \(name)") }
            return model
        }
    }

    func command(_ test: Test) -> RedisCommand {
        switch test {
        case .set:
            RedisCommand("SET", ["key:__rand_int__", .bytes(Array(repeating: UInt8(ascii: "x"), count: dataSize))])
        case .get: RedisCommand("GET", ["key:__rand_int__"])
        case .publish: RedisCommand("PUBLISH", ["bench-channel", "hello"])
        }
    }

    func run() async throws {
        let configuration = try server.configuration()
        let group = server.eventLoopGroup()
        do {
            for model in try parsedModels() {
                for test in try parsedTests() {
                    let cpuBefore = processCPUSeconds()
                    let (seconds, errors) =
                        switch model {
                        case .connections: try await runConnections(command(test), configuration, group)
                        case .shared: try await runShared(command(test), configuration, group)
                        }
                    let cpu = processCPUSeconds() - cpuBefore
                    print(
                        jsonLine([
                            ("model", .string(model.rawValue)), ("test", .string(test.rawValue.uppercased())),
                            ("requests", .int(requests)), ("clients", .int(clients)), ("pipeline", .int(pipeline)),
                            ("threads", .int(server.threads)), ("executor", .string(server.executor.rawValue)),
                            ("seconds", .double(seconds)),
                            ("requests_per_sec", .double(Double(requests) / seconds)),
                            ("cpu_us_per_request", .double(cpu * 1e6 / Double(requests))), ("errors", .int(errors)),
                        ]))
                    if errors > 0 { throw ValidationError("\(errors) \(test) commands got an error reply") }
                }
            }
        } catch {
            try? await server.shutdown(group)
            throw error
        }
        try await server.shutdown(group)
    }

    /// `count` split as evenly as possible into `parts`.
    static func shares(_ count: Int, _ parts: Int) -> [Int] {
        (0..<parts).map { count / parts + ($0 < count % parts ? 1 : 0) }
    }

    /// C connections, each sending P commands at a time and waiting for their replies.
    func runConnections(
        _ command: RedisCommand, _ configuration: RedisClientConfiguration, _ group: EventLoopGroup
    ) async throws -> (seconds: Double, errors: Int) {
        var connections: [RedisConnection] = []
        for _ in 0..<clients {
            connections.append(try await RedisConnection.connect(configuration: configuration, eventLoop: group.next()))
        }
        let pipeline = self.pipeline
        let full = Array(repeating: command, count: pipeline)
        let start = ContinuousClock.now
        let errors = try await withThrowingTaskGroup(of: Int.self) { tasks in
            for (connection, share) in zip(connections, Self.shares(requests, clients)) {
                let preference = server.executor == .loop ? connection.taskExecutor : nil
                tasks.addTask(executorPreference: preference) {
                    var remaining = share
                    var errors = 0
                    while remaining > 0 {
                        let n = min(pipeline, remaining)
                        for result in try await connection.pipeline(n == pipeline ? full : Array(full.prefix(n))) {
                            if case .failure = result { errors += 1 }
                        }
                        remaining -= n
                    }
                    return errors
                }
            }
            return try await tasks.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - start
        for connection in connections { await connection.close() }
        return (elapsed.seconds, errors)
    }

    /// One client shared by C×P tasks, each sending one command at a time.
    func runShared(
        _ command: RedisCommand, _ configuration: RedisClientConfiguration, _ group: EventLoopGroup
    ) async throws -> (seconds: Double, errors: Int) {
        let client = RedisClient(configuration: configuration, eventLoopGroup: group)
        try await client.connect()
        let start = ContinuousClock.now
        let errors = try await withThrowingTaskGroup(of: Int.self) { tasks in
            let preference = server.executor == .loop ? client.taskExecutor : nil
            for share in Self.shares(requests, clients * pipeline) {
                tasks.addTask(executorPreference: preference) {
                    var errors = 0
                    for _ in 0..<share {
                        do {
                            try await client.send(command)
                        } catch let error as RedisClientError where error.code == .serverError {
                            errors += 1
                        }
                    }
                    return errors
                }
            }
            return try await tasks.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - start
        await client.close()
        return (elapsed.seconds, errors)
    }
}
