import NIOCore
import RESP
import Testing
import TestSupport

/// The real `redis-cli` against the broker: one-shot commands, an interactive session on a
/// pseudo-terminal, commands piped on standard input, `--stat`, `subscribe`/`psubscribe` and
/// `monitor`. Expected texts were taken from redis-cli 7.0 against redis-server 7.0.
@Suite(.enabled(if: RedisCLI.isAvailable, Comment(rawValue: RedisCLI.unavailableReason)))
struct RedisCLITests {
    @Test func oneShotCommands() async throws {
        try await TestBroker.with { broker in
            func cli(_ arguments: String...) async throws -> String {
                let result = try await RedisCLI.run(port: broker.port, arguments)
                #expect(result.status == 0, "redis-cli \(arguments) exited with \(result.status)")
                return result.output
            }
            #expect(try await cli("ping") == "PONG\n")
            #expect(try await cli("--no-raw", "echo", "hello world") == "\"hello world\"\n")
            let info = try await cli("info", "server")
            #expect(info.hasPrefix("# Server\r\n"))
            #expect(info.contains("redis_version:7.0.15\r\n"))
            let memory = try await cli("info", "memory")
            let usedMemory = memory.firstMatch(of: #/used_memory:(\d+)\r\n/#).flatMap { Int($0.1) }
            #expect((usedMemory ?? 0) > 0, "used_memory (what --stat shows as mem): \(memory)")
            #expect(try await cli("client", "setname", "cli-test") == "OK\n")
            #expect(try await cli("--no-raw", "config", "get", "maxclients") == "1) \"maxclients\"\n2) \"10000\"\n")
            #expect(
                try await cli("--no-raw", "nosuch", "a", "b")
                    == "(error) ERR unknown command 'nosuch', with args beginning with: 'a' 'b' \n")
            let hello = try await cli("-3", "--no-raw", "hello")
            let lines = hello.split(separator: "\n").map(String.init)
            #expect(lines.count == 7, "\(hello)")
            #expect(lines.first == "1# \"server\" => \"redis\"")
            #expect(lines.contains("2# \"version\" => \"7.0.15\""))
            #expect(lines.contains("3# \"proto\" => (integer) 3"))
            #expect(lines.contains { $0.hasPrefix("4# \"id\" => (integer) ") })
            #expect(lines.contains("5# \"mode\" => \"standalone\""))
            #expect(lines.contains("6# \"role\" => \"master\""))
            #expect(lines.last == "7# \"modules\" => (empty array)")
            #expect(try await cli("--raw", "echo", "hi") == "hi\n")
            #expect(try await cli("--raw", "config", "get", "maxclients") == "maxclients\n10000\n")
        }
    }

    /// The same invocations print the same text against redis-server (connection ids aside).
    @Test(.enabled(if: RedisServerProcess.isAvailable, "redis-server is not installed; CI installs it"))
    func oneShotOutputMatchesRedisServer() async throws {
        let invocations: [[String]] = [
            ["ping"], ["--no-raw", "ping", "hello"], ["--no-raw", "echo", "a\"b"], ["echo", ""],
            ["--no-raw", "config", "get", "maxclients"], ["--no-raw", "nosuch", "x"],
            ["--no-raw", "client", "getname"],
            ["-3", "--no-raw", "hello"], ["--no-raw", "hello", "2"], ["--raw", "config", "get", "timeout"],
            ["--no-raw", "client", "no-evict", "maybe"], ["--no-raw", "publish", "ch", "m"],
            ["--no-raw", "pubsub", "numsub", "a", "b"],
        ]
        let reference = try await RedisServerProcess.start()
        defer { reference.stop() }
        try await TestBroker.with { broker in
            for arguments in invocations {
                let expected = try await RedisCLI.run(port: reference.port, arguments)
                let actual = try await RedisCLI.run(port: broker.port, arguments)
                #expect(
                    Self.withoutIDs(actual.output) == Self.withoutIDs(expected.output),
                    "redis-cli \(arguments.joined(separator: " "))")
                #expect(actual.status == expected.status, "redis-cli \(arguments.joined(separator: " "))")
            }
        }
    }

    @Test func interactiveSessionOnATerminal() async throws {
        try await TestBroker.with { broker in
            let cli = try RedisCLI.startInTerminal(port: broker.port)
            let prompt = "127.0.0.1:\(broker.port)> "
            try await cli.waitForOutput(containing: prompt)
            try cli.write("ping\r")
            try await cli.waitForOutput(containing: "\r\nPONG\r\n\(prompt)")
            try cli.write("echo hi\r")
            try await cli.waitForOutput(containing: "\r\n\"hi\"\r\n\(prompt)")
            try cli.write("client setname tty-client\r")
            try await cli.waitForOutput(containing: "\r\nOK\r\n\(prompt)")
            try cli.write("client getname\r")
            try await cli.waitForOutput(containing: "\r\n\"tty-client\"\r\n\(prompt)")
            try cli.write("config get maxclients\r")
            try await cli.waitForOutput(containing: "\r\n1) \"maxclients\"\r\n2) \"10000\"\r\n\(prompt)")
            try cli.write("nosuch\r")
            try await cli.waitForOutput(
                containing: "\r\n(error) ERR unknown command 'nosuch', with args beginning with: \r\n\(prompt)")
            try cli.write("quit\r")
            #expect(try await cli.waitForExit() == 0)
        }
    }

    @Test func commandsPipedOnStandardInput() async throws {
        try await TestBroker.with { broker in
            let result = try await RedisCLI.run(
                port: broker.port, [],
                input: "ping\necho hi\nclient setname piped\nclient getname\nnosuch\nconfig get maxclients\n")
            #expect(
                result.output
                    == "PONG\nhi\nOK\npiped\nERR unknown command 'nosuch', with args beginning with: \n\nmaxclients\n10000\n"
            )
            // (redis-cli prints an error's line and then an empty one when its output is not a terminal.)
        }
    }

    /// `--stat` reads INFO's keys, used_memory, connected_clients, blocked_clients,
    /// total_commands_processed and total_connections_received once per interval. On a pipe
    /// redis-cli buffers it, so it runs on a terminal as people use it.
    @Test func statMode() async throws {
        try await TestBroker.with { broker in
            let cli = try RedisCLI.startInTerminal(port: broker.port, ["--stat", "-i", "0.1"])
            let output = try await cli.waitForOutput("a header and two data lines") {
                Self.statDataLines($0).count >= 2
            }
            await cli.terminate()
            #expect(output.contains("------- data ------ --------------------- load -------------------- - child -"))
            #expect(output.contains("keys       mem      clients blocked requests            connections"))
            let rows = Self.statDataLines(output)
            for row in rows.prefix(2) {
                #expect(row[0] == "0", "keys: \(row)")
                #expect(row[1] != "0B", "used_memory must be reported: \(row)")
                #expect(Int(row[2]).map { $0 >= 1 } == true, "clients: \(row)")
                #expect(row[3] == "0", "blocked: \(row)")
            }
            // Each sample's INFO is one more processed request.
            #expect(Int(rows[1][4]) == Int(rows[0][4]).map { $0 + 1 }, "\(rows.prefix(2))")
        }
    }

    @Test(arguments: [false, true])
    func subscribeProcessReceivesAPublish(onTerminal: Bool) async throws {
        try await TestBroker.with { broker in
            let cli =
                onTerminal
                ? try RedisCLI.startInTerminal(port: broker.port, ["subscribe", "news"])
                : try RedisCLI.start(port: broker.port, ["subscribe", "news"])
            try await cli.waitForOutput(
                containing: onTerminal
                    ? "Reading messages... (press Ctrl-C to quit)\r\n1) \"subscribe\"\r\n2) \"news\"\r\n3) (integer) 1\r\n"
                    : "subscribe\nnews\n1\n")
            let publisher = try await RESPTestConnection.connect(port: broker.port)
            #expect(try await publisher.call(["PUBLISH", "news", "hello there"]).description == ":1\\r\\n")
            #expect(try await publisher.call(["PUBLISH", "other", "not for it"]).description == ":0\\r\\n")
            #expect(try await publisher.call(["PUBLISH", "news", "second"]).description == ":1\\r\\n")
            let output = try await cli.waitForOutput(
                containing: onTerminal
                    ? "1) \"message\"\r\n2) \"news\"\r\n3) \"hello there\"\r\n1) \"message\"\r\n2) \"news\"\r\n3) \"second\"\r\n"
                    : "message\nnews\nhello there\nmessage\nnews\nsecond\n")
            #expect(!output.contains("not for it"))
            await publisher.close()
            await cli.terminate()
        }
    }

    @Test(arguments: [false, true])
    func psubscribeProcessReceivesAPublish(onTerminal: Bool) async throws {
        try await TestBroker.with { broker in
            let cli =
                onTerminal
                ? try RedisCLI.startInTerminal(port: broker.port, ["psubscribe", "news.*"])
                : try RedisCLI.start(port: broker.port, ["psubscribe", "news.*"])
            try await cli.waitForOutput(
                containing: onTerminal
                    ? "1) \"psubscribe\"\r\n2) \"news.*\"\r\n3) (integer) 1\r\n" : "psubscribe\nnews.*\n1\n")
            let publisher = try await RESPTestConnection.connect(port: broker.port)
            #expect(try await publisher.call(["PUBLISH", "news.tech", "swift 6"]).description == ":1\\r\\n")
            #expect(try await publisher.call(["PUBLISH", "sports", "no"]).description == ":0\\r\\n")
            try await cli.waitForOutput(
                containing: onTerminal
                    ? "1) \"pmessage\"\r\n2) \"news.*\"\r\n3) \"news.tech\"\r\n4) \"swift 6\"\r\n"
                    : "pmessage\nnews.*\nnews.tech\nswift 6\n")
            await publisher.close()
            await cli.terminate()
        }
    }

    @Test func monitorShowsOtherClientsCommands() async throws {
        try await TestBroker.with { broker in
            let cli = try RedisCLI.start(port: broker.port, ["monitor"])
            try await cli.waitForOutput(containing: "OK\n")
            let other = try await RESPTestConnection.connect(port: broker.port)
            #expect(try await other.call(["PING"]).description == "+PONG\\r\\n")
            #expect(try await other.call(["ECHO", "x"]).description == "$1\\r\\nx\\r\\n")
            #expect(try await other.call(["ECHO", "a \"quoted\"\nline"]).description.hasPrefix("$"))
            let port = try #require(other.localPort)
            let output = try await cli.waitForOutput("three monitor lines") {
                $0.split(separator: "\n").count >= 4
            }
            let lines = output.split(separator: "\n").dropFirst().map(String.init)
            let prefix = #/^\d{10}\.\d{6} \[0 127\.0\.0\.1:(\d+)\] /#
            for line in lines.prefix(3) {
                let match = try #require(line.firstMatch(of: prefix), "\(line)")
                #expect(Int(match.1) == port, "\(line)")
            }
            // Arguments as the client sent them (upper case here), quoted and escaped like sdscatrepr.
            #expect(lines[0].hasSuffix("] \"PING\""))
            #expect(lines[1].hasSuffix("] \"ECHO\" \"x\""))
            #expect(lines[2].hasSuffix(#"] "ECHO" "a \"quoted\"\nline""#))
            await other.close()
            await cli.terminate()
        }
    }

    /// `--stat` rows: whitespace-separated columns whose first is the key count.
    static func statDataLines(_ output: String) -> [[String]] {
        output.split(whereSeparator: \.isNewline).compactMap { line in
            let columns = line.split(separator: " ").map(String.init)
            guard columns.count >= 6, Int(columns[0]) != nil, columns[5].hasPrefix("(+") else { return nil }
            return columns
        }
    }

    static func withoutIDs(_ text: String) -> String {
        text.replacing(#/("id"(?:\n *\d+\) | => )\(integer\) )\d+/#) { $0.1 + "N" }
    }
}
