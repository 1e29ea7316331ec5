import Broker
import NIOCore
import RESP
import Testing
import TestSupport

/// The broker's bounds: past one, the offender gets Redis's error or is cut off, everyone else
/// keeps going, and a counter says so.
@Suite struct BrokerLimitTests {
    /// A subscriber that never reads is disconnected at the pub/sub hard limit, while a subscriber
    /// that reads gets every message in order and the publisher's replies keep coming.
    @Test func slowSubscriberIsCutOffAtTheOutputBufferLimit() async throws {
        try await TestBroker.with({ configuration in
            try? configuration.apply(configurationText: "client-output-buffer-limit pubsub 1mb 256kb 60")
        }) { broker in
            let admin = try await RESPTestConnection.connect(port: broker.port)
            let limits = try await admin.call(["CONFIG", "GET", "client-output-buffer-limit"])
            #expect(limits.description.contains("pubsub 1048576 262144 60"), "\(limits)")

            // A plain socket with a tiny receive window that is never read after subscribing.
            let slow = try BlockingSocket.connect(port: broker.port, receiveBufferSize: 4096)
            try slow.send("*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nfeed\r\n")
            let confirmation = "*3\r\n$9\r\nsubscribe\r\n$4\r\nfeed\r\n:1\r\n"
            let got = try await slow.receive { $0.count >= confirmation.utf8.count }
            #expect(String(decoding: got, as: UTF8.self) == confirmation)

            let fast = try await RESPTestConnection.connect(port: broker.port)
            #expect(
                try await fast.call(["SUBSCRIBE", "feed"]).description
                    == "*3\\r\\n$9\\r\\nsubscribe\\r\\n$4\\r\\nfeed\\r\\n:1\\r\\n")

            let publisher = try await RESPTestConnection.connect(port: broker.port)
            // 1 KB messages in batches until the slow subscriber is dropped, then some more. The
            // kernel takes up to a few MB for it first (the broker's socket send buffer).
            let batch = 250
            let padding = String(repeating: "x", count: 1024 - 8)
            func number(_ i: Int) -> String {  // message i: its number in 8 digits, then padding
                let digits = String(i)
                return String(repeating: "0", count: 8 - digits.count) + digits
            }
            var receivers: [Int] = []
            var droppedAt: Int? = nil
            var sent = 0
            while sent < 40_000 {
                if let droppedAt, sent >= droppedAt + 2000 { break }
                var commands = ByteBuffer()
                for i in sent..<(sent + batch) {
                    commands.writeString("*3\r\n$7\r\nPUBLISH\r\n$4\r\nfeed\r\n$1024\r\n")
                    commands.writeString(number(i))
                    commands.writeString(padding)
                    commands.writeString("\r\n")
                }
                try await publisher.send(raw: commands)
                for (i, reply) in zip(sent..<(sent + batch), try await publisher.readReplies(batch)) {
                    guard case .integer(let n) = reply.value else {
                        Issue.record("PUBLISH replied \(reply)")
                        return
                    }
                    receivers.append(Int(n))
                    if n == 1 && droppedAt == nil { droppedAt = i }
                }
                // Read this batch from the fast subscriber before the next, so it never lags far.
                for (i, push) in zip(sent..<(sent + batch), try await fast.readReplies(batch)) {
                    guard case .array(let parts) = push.value, parts.count == 3,
                        parts[0] == .bulkString(ByteBuffer(string: "message")),
                        parts[1] == .bulkString(ByteBuffer(string: "feed")),
                        case .bulkString(let message) = parts[2], message.readableBytes == 1024
                    else {
                        Issue.record("unexpected push \(push)")
                        return
                    }
                    let got = message.getString(at: message.readerIndex, length: 8) ?? ""
                    guard got == number(i), message.getString(at: message.readerIndex + 8, length: 1016) == padding
                    else {
                        Issue.record("message \(i) missing or out of order: got \(got)")
                        return
                    }
                }
                sent += batch
            }
            let dropped = try #require(droppedAt, "the slow subscriber was never dropped after \(sent) messages")
            #expect(receivers.count == sent)
            #expect(receivers[..<dropped].allSatisfy { $0 == 2 } && receivers[dropped...].allSatisfy { $0 == 1 })

            let stats = try await admin.call(["INFO", "stats"])
            #expect(stats.description.contains("client_output_buffer_limit_disconnections:1\\r\\n"), "\(stats)")
            let clients = try await admin.call(["CLIENT", "LIST"])
            guard case .bulkString(let list) = clients.value else {
                Issue.record("CLIENT LIST replied \(clients)")
                return
            }
            let subscribers = String(buffer: list).split(separator: "\n").filter { $0.contains(" flags=P ") }
            #expect(subscribers.count == 1, "only the fast subscriber is left: \(String(buffer: list))")
            #expect(try await admin.call(["PUBSUB", "NUMSUB", "feed"]).description.hasSuffix(":1\\r\\n"))

            // What the kernel had already taken is delivered, then the connection ends.
            let end = try await slow.drainUntilEnd(timeout: .seconds(10))
            #expect(end.bytes < sent * 1024)
            await admin.close()
            await fast.close()
            await publisher.close()
        }
    }

    /// Past the soft limit for longer than its seconds, a subscriber is cut off by the cron.
    @Test func subscriberOverTheSoftLimitIsCutOffAfterItsSeconds() async throws {
        try await TestBroker.with({ configuration in
            try? configuration.apply(configurationText: "client-output-buffer-limit pubsub 0 64kb 1")
        }) { broker in
            let slow = try BlockingSocket.connect(port: broker.port, receiveBufferSize: 4096)
            try slow.send("SUBSCRIBE feed\r\n")
            _ = try await slow.receive { $0.count >= "*3\r\n$9\r\nsubscribe\r\n$4\r\nfeed\r\n:1\r\n".utf8.count }
            let publisher = try await RESPTestConnection.connect(port: broker.port)
            // Keep publishing, each round waiting for its replies, until PUBLISH reaches nobody. Once
            // the kernel holds all it will, the broker holds more than 64 KB for the subscriber, and
            // more than 1 s later cuts it off. There is no hard limit.
            let message = String(repeating: "m", count: 1024)
            var commands = ByteBuffer()
            for _ in 0..<32 { commands.writeImmutableBuffer(RESPValue.command(["PUBLISH", "feed", message])) }
            let started = ContinuousClock.now
            var receivers: Int64 = 1
            // The bound is generous: on a loaded machine each round of the publisher is slow.
            while receivers == 1 && ContinuousClock.now - started < .seconds(30) {
                try await publisher.send(raw: commands)
                for reply in try await publisher.readReplies(32) {
                    guard case .integer(let n) = reply.value else { throw TestSupportError("PUBLISH replied \(reply)") }
                    receivers = n
                }
            }
            #expect(receivers == 0, "cut off within 30 s")
            #expect(ContinuousClock.now - started > .seconds(1), "not before the soft limit's second has passed")
            _ = try await slow.drainUntilEnd(timeout: .seconds(10))
            #expect(
                try await publisher.call(["INFO", "stats"]).description.contains(
                    "client_output_buffer_limit_disconnections:1\\r\\n"))
            #expect(try await publisher.call(["PUBLISH", "feed", "x"]).description == ":0\\r\\n")
            await publisher.close()
        }
    }

    /// `client-output-buffer-limit normal` bounds replies a client does not read, as in Redis.
    @Test func normalClientThatDoesNotReadIsCutOffAtTheNormalLimit() async throws {
        try await TestBroker.with({ configuration in
            try? configuration.apply(configurationText: "client-output-buffer-limit normal 1mb 0 0")
        }) { broker in
            let other = try await RESPTestConnection.connect(port: broker.port)
            let slow = try BlockingSocket.connect(port: broker.port, receiveBufferSize: 4096)
            // Pipelined ECHOs of 64 KB, 1 MB at a time, whose replies the client never reads, until
            // the broker cuts it off (sending then fails) — after the kernel's share, within 32 MB.
            let argument = String(repeating: "e", count: 65536)
            let echoes = String(repeating: "*2\r\n$4\r\nECHO\r\n$65536\r\n\(argument)\r\n", count: 16)
            var cutOff = false
            for _ in 0..<32 where !cutOff {
                do { try slow.send(echoes) } catch { cutOff = true }
            }
            #expect(cutOff)
            let end = try await slow.drainUntilEnd(timeout: .seconds(10))
            #expect(end.bytes < 32 << 20)
            let stats = try await other.call(["INFO", "stats"])
            #expect(stats.description.contains("client_output_buffer_limit_disconnections:1\\r\\n"), "\(stats)")
            #expect(try await other.call(["PING"]).description == "+PONG\\r\\n")
            await other.close()
        }
    }

    /// An unfinished command bigger than `client-query-buffer-limit` closes that client (no reply,
    /// as in Redis) and is counted; others carry on.
    @Test func queryBufferLimitClosesOnlyThatClient() async throws {
        try await TestBroker.with({ $0.clientQueryBufferLimit = 1 << 20 }) { broker in
            let other = try await RESPTestConnection.connect(port: broker.port)
            let greedy = try BlockingSocket.connect(port: broker.port)
            do {
                try greedy.send("*2\r\n$4\r\nECHO\r\n$2000000\r\n" + String(repeating: "a", count: 1_100_000))
            } catch {
                // Cut off before everything was sent.
            }
            let end = try await greedy.drainUntilEnd()
            #expect(end.bytes == 0)
            let stats = try await other.call(["INFO", "stats"])
            #expect(stats.description.contains("client_query_buffer_limit_disconnections:1\\r\\n"), "\(stats)")
            #expect(try await other.call(["PING"]).description == "+PONG\\r\\n")
            await other.close()
        }
    }

    @Test func maxClientsRefusesTheNextConnectionOnly() async throws {
        try await TestBroker.with({ $0.maxClients = 2 }) { broker in
            let first = try await RESPTestConnection.connect(port: broker.port)
            let second = try await RESPTestConnection.connect(port: broker.port)
            #expect(try await first.call(["PING"]).description == "+PONG\\r\\n")
            #expect(try await second.call(["PING"]).description == "+PONG\\r\\n")

            let third = try await RESPTestConnection.connect(port: broker.port)
            let refusal = try await third.readUntilClosed(timeout: .seconds(5))
            #expect(RESPTestConnection.escape(refusal) == "-ERR max number of clients reached\\r\\n")

            #expect(try await first.call(["PING"]).description == "+PONG\\r\\n")
            #expect(try await second.call(["ECHO", "still here"]).description == "$10\\r\\nstill here\\r\\n")
            let stats = try await second.call(["INFO", "stats"])
            #expect(stats.description.contains("rejected_connections:1\\r\\n"))

            // Freeing a slot (synchronously, through CLIENT KILL) admits the next one.
            guard case .integer(let firstID) = try await first.call(["CLIENT", "ID"]).value else {
                Issue.record("CLIENT ID did not reply an integer")
                return
            }
            #expect(try await second.call(["CLIENT", "KILL", "ID", String(firstID)]).description == ":1\\r\\n")
            let fourth = try await RESPTestConnection.connect(port: broker.port)
            #expect(try await fourth.call(["PING"]).description == "+PONG\\r\\n")
            for connection in [first, second, third, fourth] { await connection.close() }
        }
    }

    @Test func idleTimeoutClosesNormalClientsButNotSubscribers() async throws {
        // A 3 s timeout, so a loaded machine does not close the normal client before its first PING.
        try await TestBroker.with({ $0.timeout = 3 }) { broker in
            // The subscriber is idle longer than the normal client.
            let subscriber = try await RESPTestConnection.connect(port: broker.port)
            _ = try await subscriber.call(["SUBSCRIBE", "quiet"])
            let idle = try await RESPTestConnection.connect(port: broker.port)
            #expect(try await idle.call(["PING"]).description == "+PONG\\r\\n")

            let rest = try await idle.readUntilClosed(timeout: .seconds(20))
            #expect(rest.readableBytes == 0, "closed without a reply, as Redis does")

            #expect(try await subscriber.isClosed == false)
            #expect(
                try await subscriber.call(["PING"]).description == "*2\\r\\n$4\\r\\npong\\r\\n$0\\r\\n\\r\\n")
            await subscriber.close()
        }
    }

    @Test func protocolErrorClosesOnlyThatConnection() async throws {
        try await TestBroker.with { broker in
            let steady = try await RESPTestConnection.connect(port: broker.port)
            #expect(try await steady.call(["PING"]).description == "+PONG\\r\\n")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for _ in 0..<200 {
                        let reply = try await steady.call(["PING"])
                        #expect(reply.description == "+PONG\\r\\n")
                    }
                }
                group.addTask {
                    for (input, error) in Self.protocolErrors {
                        let offender = try await RESPTestConnection.connect(port: broker.port)
                        try await offender.send(raw: input)
                        let rest = try await offender.readUntilClosed(timeout: .seconds(5))
                        #expect(RESPTestConnection.escape(rest) == error, "after \(input.debugDescription)")
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await steady.call(["PING"]).description == "+PONG\\r\\n")
            await steady.close()
        }
    }

    /// Inputs and the exact reply (escaped) redis-server 7.0 sends before closing.
    static let protocolErrors: [(String, String)] = [
        ("*abc\r\n", "-ERR Protocol error: invalid multibulk length\\r\\n"),
        ("*1\r\n$abc\r\n", "-ERR Protocol error: invalid bulk length\\r\\n"),
        ("*1\r\n+PING\r\n", "-ERR Protocol error: expected '$', got '+'\\r\\n"),
        ("PING \"unbalanced\r\n", "-ERR Protocol error: unbalanced quotes in request\\r\\n"),
        // A pipelined good command is answered before the bad one closes the connection.
        ("PING\r\n*-x\r\n", "+PONG\\r\\n-ERR Protocol error: invalid multibulk length\\r\\n"),
    ]
}

/// Buffers a big command or reply grew are not kept for the rest of the connection.
@Suite struct BrokerBufferReuseTests {
    @Test func bigQueryAndReplyBuffersAreLetGoAfterward() async throws {
        try await TestBroker.with { broker in
            let client = try await RESPTestConnection.connect(port: broker.port)
            let big = String(repeating: "v", count: 300_000)
            #expect(try await client.call(["SET", "big", big]).description == "+OK\\r\\n")
            let reply = try await client.call(["GET", "big"])
            #expect(reply.raw.readableBytes == 300_000 + "$300000\r\n\r\n".utf8.count)
            // This connection's own line of CLIENT LIST, after both buffers went back to small ones.
            guard case .integer(let id) = try await client.call(["CLIENT", "ID"]).value else {
                Issue.record("CLIENT ID is not an integer")
                return
            }
            let list = try await client.call(["CLIENT", "LIST", "ID", "\(id)"])
            let line = String(decoding: list.raw.readableBytesView, as: UTF8.self)
            func field(_ name: String) -> Int? {
                line.split(separator: " ").first { $0.hasPrefix(name + "=") }.flatMap {
                    Int($0.dropFirst(name.count + 1))
                }
            }
            let rbs = try #require(field("rbs"), "\(line)")
            let totalMemory = try #require(field("tot-mem"), "\(line)")
            #expect(rbs <= 64 * 1024, "\(line)")
            #expect(totalMemory < 200_000, "\(line)")
        }
    }
}
