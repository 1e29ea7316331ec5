import Foundation
import NIOCore
import RESP
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The `broker` program as users start it: redis-server's flags, the port it reports, SHUTDOWN,
/// SIGTERM, a bad option, `--help`.
@Suite(.enabled(if: BrokerExecutable.path != nil, Comment(rawValue: BrokerExecutable.unavailableReason)))
struct BrokerExecutableTests {
    /// Starts `broker --port 0 --bind 127.0.0.1` and returns it with the port it printed.
    static func startBroker(_ extra: [String] = []) async throws -> (RunningProcess, Int) {
        let path = try #require(BrokerExecutable.path)
        let process = try RunningProcess.spawn(path, ["--port", "0", "--bind", "127.0.0.1"] + extra)
        let output = try await process.waitForOutput("the port line") {
            $0.firstMatch(of: #/broker listening on port \d+\n/#) != nil
        }
        let match = try #require(output.firstMatch(of: #/broker listening on port (\d+)\n/#))
        return (process, try #require(Int(match.1)))
    }

    @Test func shutdownCommandExitsZero() async throws {
        let (process, port) = try await Self.startBroker()
        let connection = try await RESPTestConnection.connect(port: port)
        #expect(try await connection.call(["PING"]).description == "+PONG\\r\\n")
        #expect(try await connection.call(["CONFIG", "GET", "port"]).description.contains("\(port)"))
        try await connection.send(["SHUTDOWN"])
        let rest = try await connection.readUntilClosed()
        #expect(rest.readableBytes == 0, "SHUTDOWN closes without a reply, as in Redis")
        #expect(try await process.waitForExit() == 0)
        #expect(process.output.text.contains("Ready to accept connections"))
    }

    @Test func sigtermExitsZero() async throws {
        let (process, port) = try await Self.startBroker()
        let connection = try await RESPTestConnection.connect(port: port)
        #expect(try await connection.call(["PING"]).description == "+PONG\\r\\n")
        process.signal(SIGTERM)
        #expect(try await process.waitForExit() == 0)
        _ = try await connection.readUntilClosed()
    }

    @Test(.enabled(if: RedisCLI.isAvailable, Comment(rawValue: RedisCLI.unavailableReason)))
    func redisCLIShutdown() async throws {
        let (process, port) = try await Self.startBroker()
        let result = try await RedisCLI.run(port: port, ["shutdown"])
        #expect(result.output == "")
        #expect(result.status == 0)
        #expect(try await process.waitForExit() == 0)
    }

    @Test func unknownOptionIsAFatalConfigError() async throws {
        let path = try #require(BrokerExecutable.path)
        let process = try RunningProcess.spawn(path, ["--port", "0", "--nosuch", "1"])
        let output = try await process.output.waitForEnd()
        #expect(try await process.waitForExit() != 0)
        #expect(output.contains("*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***"), "\(output)")
        #expect(output.contains(">>> 'nosuch \"1\"'"), "\(output)")
        #expect(output.contains("Bad directive or wrong number of arguments"), "\(output)")
        #expect(!output.contains("listening"))
    }

    @Test func badValueIsAFatalConfigError() async throws {
        let path = try #require(BrokerExecutable.path)
        let process = try RunningProcess.spawn(path, ["--port", "0", "--maxclients", "lots"])
        let output = try await process.output.waitForEnd()
        #expect(try await process.waitForExit() != 0)
        #expect(output.contains("*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***"), "\(output)")
        #expect(output.contains(">>> 'maxclients \"lots\"'"), "\(output)")
    }

    @Test func helpPrintsUsage() async throws {
        let path = try #require(BrokerExecutable.path)
        for flag in ["--help", "-h"] {
            let process = try RunningProcess.spawn(path, [flag])
            let output = try await process.output.waitForEnd()
            #expect(try await process.waitForExit() == 0)
            #expect(output.hasPrefix("Usage: broker [/path/to/redis.conf] [options] [-]\n"), "\(output)")
            #expect(output.contains("--port 0"))
        }
        let version = try RunningProcess.spawn(path, ["--version"])
        #expect(try await version.output.waitForEnd().contains("redis-compatible=7.0.15"))
        #expect(try await version.waitForExit() == 0)
    }

    /// `INFO memory` follows the data: `used_memory` grows with the keys and falls after
    /// `FLUSHALL`, while `used_memory_peak` keeps the high-water mark. The program runs in its own
    /// process, so its heap holds only the broker's data (an in-process broker shares the test
    /// process's heap with every other test running).
    @Test func infoMemoryFollowsTheData() async throws {
        let (process, port) = try await Self.startBroker()
        let connection = try await RESPTestConnection.connect(port: port)
        func memory() async throws -> (used: Int, peak: Int) {
            let info = try await connection.info("memory")
            return (Int(info["used_memory"] ?? "") ?? -1, Int(info["used_memory_peak"] ?? "") ?? -1)
        }
        let before = try await memory()
        do {
            var batch = ByteBuffer()
            for i in 0..<50_000 {
                batch.writeImmutableBuffer(RESPValue.command(["SET", "key:\(i)", String(repeating: "v", count: 100)]))
            }
            try await connection.send(raw: batch)
            _ = try await connection.readReplies(50_000)
        }
        let loaded = try await memory()
        // At least the 100-byte values themselves (each a heap array of its own).
        #expect(loaded.used - before.used > 50_000 * 100, "used_memory \(before.used) → \(loaded.used)")
        #expect(loaded.peak >= loaded.used)
        _ = try await connection.call(["FLUSHALL"])
        let flushed = try await memory()
        #expect(flushed.used < loaded.used - 50_000 * 100)
        #expect(flushed.peak >= loaded.used)
        await connection.close()
        _ = await process.terminate()
    }
}
