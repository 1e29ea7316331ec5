import Foundation
import NIOConcurrencyHelpers
import NIOCore
import RESP
import Testing
import TestSupport

@testable import Broker

/// The broker's own socket layer: output the socket does not take is kept and sent in order when
/// it drains, a final reply is sent whole before the close, a peer that vanishes with replies
/// pending costs no one else anything, and IPv4 and IPv6 listen side by side.
@Suite struct BrokerSocketTests {
    /// A value big enough that three replies of it overrun any loopback socket buffer here.
    static let bigSize = 2 * 1024 * 1024

    static func bigValue() -> String {
        // Not one repeated byte: an offset or a dropped chunk changes what arrives.
        var text = ""
        text.reserveCapacity(bigSize)
        var i = 0
        while text.utf8.count < bigSize {
            let line = String(i) + ","
            text +=
                line.utf8.count + text.utf8.count <= bigSize
                ? line : String(repeating: "x", count: bigSize - text.utf8.count)
            i += 1
        }
        return text
    }

    static func bulk(_ value: String) -> String { "$\(value.utf8.count)\r\n\(value)\r\n" }

    /// The `omem` of the client named `name` in `CLIENT LIST`, or nil if it is gone.
    static func outputMemory(_ admin: RESPTestConnection, of name: String) async throws -> Int? {
        let list = try await admin.call(["CLIENT", "LIST"])
        guard case .bulkString(let bytes) = list.value else { return nil }
        for line in String(buffer: bytes).split(separator: "\n") where line.contains(" name=\(name) ") {
            guard let field = line.split(separator: " ").first(where: { $0.hasPrefix("omem=") }) else { return nil }
            return Int(field.dropFirst(5))
        }
        return nil
    }

    /// Runs `body` against a broker holding `bigValue()` at `big`, with a connection to it.
    static func withBigValue(_ body: (TestBroker, RESPTestConnection, String) async throws -> Void) async throws {
        try await TestBroker.with { broker in
            let admin = try await RESPTestConnection.connect(port: broker.port)
            let value = bigValue()
            _ = try await admin.call(["SET", "big", value])
            try await body(broker, admin, value)
        }
    }

    /// The `omem` of the client named `name` once it is above 0 (the broker holds output the socket
    /// did not take), or 0 if it never is.
    static func heldOutput(_ admin: RESPTestConnection, of name: String) async throws -> Int {
        for _ in 0..<10_000 {
            let held = try await outputMemory(admin, of: name) ?? 0
            if held > 0 { return held }
        }
        return 0
    }

    @Test func repliesTheSocketCannotTakeYetArriveWholeAndInOrder() async throws {
        try await Self.withBigValue { broker, admin, value in
            let slow = try BlockingSocket.connect(port: broker.port, receiveBufferSize: 4096)
            try slow.send("CLIENT SETNAME slow\r\nGET big\r\nGET big\r\nGET big\r\nPING\r\n")
            // The broker holds what the socket did not take (and keeps serving others meanwhile).
            #expect(try await Self.heldOutput(admin, of: "slow") > 0, "the replies never backed up")
            #expect(try await admin.call(["PING"]).description == "+PONG\\r\\n")

            let expected = "+OK\r\n" + String(repeating: Self.bulk(value), count: 3) + "+PONG\r\n"
            let count = expected.utf8.count
            let got = try await slow.receive(timeout: .seconds(60)) { $0.count >= count }
            #expect(got.count == count)
            #expect(got == Array(expected.utf8), "the replies arrived changed or out of order")
            #expect(try await Self.outputMemory(admin, of: "slow") == 0)
        }
    }

    @Test func aFinalReplyIsSentWholeBeforeTheClose() async throws {
        try await Self.withBigValue { broker, _, value in
            let slow = try BlockingSocket.connect(port: broker.port, receiveBufferSize: 4096)
            try slow.send("GET big\r\nGET big\r\nQUIT\r\nPING\r\n")
            let drained = try await slow.drainUntilEnd(timeout: .seconds(60))
            #expect(drained.end == .closed)
            #expect(drained.bytes == 2 * Self.bulk(value).utf8.count + "+OK\r\n".utf8.count)
        }
    }

    @Test func aPeerThatVanishesWithRepliesPendingAffectsNoOneElse() async throws {
        try await Self.withBigValue { broker, admin, _ in
            try await {
                let gone = try BlockingSocket.connect(port: broker.port, receiveBufferSize: 4096)
                try gone.send("CLIENT SETNAME gone\r\n" + String(repeating: "GET big\r\n", count: 8))
                #expect(try await Self.heldOutput(admin, of: "gone") > 0)
            }()  // closed here, unread bytes and all: the peer resets the connection
            // Every command may be the one whose loop tick finds the broken socket.
            var present = true
            for _ in 0..<10_000 where present {
                _ = try await admin.call(["SET", "poke", "1"])
                present = try await Self.outputMemory(admin, of: "gone") != nil
            }
            #expect(!present, "the vanished client is still listed")
            #expect(try await admin.call(["PING"]).description == "+PONG\\r\\n")
            let fresh = try await RESPTestConnection.connect(port: broker.port)
            #expect(try await fresh.call(["GET", "poke"]).description == "$1\\r\\n1\\r\\n")
        }
    }

    @Test func aCommandArrivingAByteAtATimeRuns() async throws {
        try await TestBroker.with { broker in
            let socket = try BlockingSocket.connect(port: broker.port)
            for byte in "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".utf8 {
                try socket.send(String(UnicodeScalar(byte)))
            }
            let expected = "+OK\r\n$5\r\nvalue\r\n"
            let got = try await socket.receive { $0.count >= expected.utf8.count }
            #expect(String(decoding: got, as: UTF8.self) == expected)
        }
    }

    @Test func ipv4AndIPv6ListenOnOnePort() async throws {
        try await TestBroker.with({ configuration in
            configuration.bind = ["127.0.0.1", "::1"]
        }) { broker in
            let v4 = try await RESPTestConnection.connect(port: broker.port, host: "127.0.0.1")
            let v6 = try await RESPTestConnection.connect(port: broker.port, host: "::1")
            _ = try await v4.call(["CLIENT", "SETNAME", "four"])
            _ = try await v6.call(["CLIENT", "SETNAME", "six"])
            let list = try await v4.call(["CLIENT", "LIST"]).description
            #expect(list.contains("addr=127.0.0.1:"), "\(list)")
            // IPv6 addresses in brackets, as redis-server writes them.
            #expect(list.contains("addr=[::1]:"), "\(list)")
            #expect(list.contains("laddr=[::1]:\(broker.port)"), "\(list)")
            #expect(list.contains("laddr=127.0.0.1:\(broker.port)"), "\(list)")
        }
    }
}

/// The loop under the broker: tasks from other threads, timers in deadline order, cancelling,
/// and a shutdown that fails the timers it will never run.
@Suite struct BrokerEventLoopTests {
    @Test func tasksFromOtherThreadsRunOnTheLoop() async throws {
        let loop = try BrokerEventLoop()
        #expect(!loop.inEventLoop)
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<50 { group.addTask { try await loop.submit { loop.inEventLoop }.get() } }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 50 && results.allSatisfy { $0 })
        try await loop.shutdownGracefully()
    }

    @Test func timersFireInDeadlineOrderAndCancelledOnesDoNot() async throws {
        let loop = try BrokerEventLoop()
        let order = NIOLockedValueBox<[Int]>([])
        let third = loop.scheduleTask(in: .milliseconds(30)) { order.withLockedValue { $0.append(3) } }
        let first = loop.scheduleTask(in: .milliseconds(5)) { order.withLockedValue { $0.append(1) } }
        let cancelled = loop.scheduleTask(in: .milliseconds(10)) { order.withLockedValue { $0.append(99) } }
        let second = loop.scheduleTask(in: .milliseconds(20)) { order.withLockedValue { $0.append(2) } }
        cancelled.cancel()
        try await third.futureResult.get()
        try await first.futureResult.get()
        try await second.futureResult.get()
        await #expect(throws: EventLoopError.self) { try await cancelled.futureResult.get() }
        #expect(order.withLockedValue { $0 } == [1, 2, 3])
        try await loop.shutdownGracefully()
    }

    @Test func shutdownFailsTimersThatWillNeverFire() async throws {
        let loop = try BrokerEventLoop()
        let later = loop.scheduleTask(in: .hours(1)) { 1 }
        // Registered before the shutdown: a loop that has stopped runs no more callbacks (nor
        // does NIO's).
        let outcome = NIOLockedValueBox<Result<Int, Error>?>(nil)
        later.futureResult.whenComplete { result in outcome.withLockedValue { $0 = result } }
        try await loop.shutdownGracefully()
        switch outcome.withLockedValue({ $0 }) {
        case .failure(let error as EventLoopError): #expect(error == .shutdown)
        case let other: Issue.record("the timer an hour away ended with \(String(describing: other))")
        }
    }
}

/// When the broker's loop polls instead of sleeping: only after a window that was at least half
/// work, until a window less than a quarter work, only for `BusyPollPolicy.spin` after the last
/// ready descriptor, and never with `busy-poll no`.
@Suite struct BusyPollPolicyTests {
    static let ms: UInt64 = 1_000_000
    static let us: UInt64 = 1_000

    @Test func aLoopBusyHalfTheWindowPollsForTheSpinAfterItsLastReadyDescriptor() {
        var policy = BusyPollPolicy(enabled: true, now: 0)
        // Not busy before a whole window was seen.
        policy.turn(start: 0, end: 400 * Self.us, ready: true)
        #expect(!policy.busy)
        #expect(!policy.shouldPoll(now: 410 * Self.us))
        // 400 + 200 µs of work in a window of 1 ms: busy from now on.
        policy.turn(start: 800 * Self.us, end: Self.ms, ready: true)
        #expect(policy.busy)
        #expect(policy.shouldPoll(now: Self.ms))
        #expect(policy.shouldPoll(now: Self.ms + BusyPollPolicy.spin - 1))
        #expect(!policy.shouldPoll(now: Self.ms + BusyPollPolicy.spin))
        // A turn with nothing ready does not extend the spin.
        policy.turn(start: Self.ms + 10 * Self.us, end: Self.ms + 20 * Self.us, ready: false)
        #expect(!policy.shouldPoll(now: Self.ms + BusyPollPolicy.spin + Self.us))
    }

    @Test func aLoopWorkingLessThanHalfTheWindowSleeps() {
        var policy = BusyPollPolicy(enabled: true, now: 0)
        policy.turn(start: 0, end: 498 * Self.us, ready: true)
        policy.turn(start: 999 * Self.us, end: Self.ms, ready: true)
        #expect(!policy.busy)
        #expect(!policy.shouldPoll(now: Self.ms))
        // Busy for a window, then a long sleep: the first turn after it ends the spinning.
        policy.turn(start: Self.ms, end: 2 * Self.ms, ready: true)
        #expect(policy.shouldPoll(now: 2 * Self.ms))
        policy.turn(start: 50 * Self.ms, end: 50 * Self.ms + Self.us, ready: true)
        #expect(!policy.busy)
        #expect(!policy.shouldPoll(now: 50 * Self.ms + 2 * Self.us))
    }

    @Test func aBusyLoopKeepsPollingUntilAWindowIsLessThanAQuarterWork() {
        var policy = BusyPollPolicy(enabled: true, now: 0)
        policy.turn(start: 0, end: Self.ms, ready: true)
        #expect(policy.busy)
        // 300 µs of work in the next window: below a half, not below a quarter; still busy.
        policy.turn(start: 1700 * Self.us, end: 2 * Self.ms, ready: true)
        #expect(policy.busy)
        #expect(policy.shouldPoll(now: 2 * Self.ms + Self.us))
        // Exactly a quarter: still busy.
        policy.turn(start: 2750 * Self.us, end: 3 * Self.ms, ready: true)
        #expect(policy.busy)
        // 240 µs: below a quarter, so the loop sleeps again.
        policy.turn(start: 3760 * Self.us, end: 4 * Self.ms, ready: true)
        #expect(!policy.busy)
        #expect(!policy.shouldPoll(now: 4 * Self.ms + Self.us))
        // And a loop that is not busy needs half a window again, not a quarter.
        policy.turn(start: 4600 * Self.us, end: 5 * Self.ms, ready: true)
        #expect(!policy.busy)
        policy.turn(start: 5500 * Self.us, end: 6 * Self.ms, ready: true)
        #expect(policy.busy)
    }

    @Test func busyPollOffNeverPolls() {
        var policy = BusyPollPolicy(enabled: false, now: 0)
        policy.turn(start: 0, end: 2 * Self.ms, ready: true)
        #expect(policy.busy)
        #expect(!policy.shouldPoll(now: 2 * Self.ms))
        policy.enabled = true
        #expect(policy.shouldPoll(now: 2 * Self.ms))
    }

    /// Turns of 200 µs of work, one after another, on the loop; notes whether the loop saw
    /// itself busy in any of them.
    final class BusyChain: @unchecked Sendable {
        // @unchecked: touched on the loop only.
        let loop: BrokerEventLoop
        let done: EventLoopPromise<Bool>
        var left = 40
        var busy = false

        init(loop: BrokerEventLoop) {
            self.loop = loop
            done = loop.makePromise()
        }

        func step() {
            busy = busy || loop.busyPoll.busy
            left -= 1
            guard left > 0 else { return done.succeed(busy) }
            let until = DispatchTime.now().uptimeNanoseconds + 200_000
            while DispatchTime.now().uptimeNanoseconds < until {}
            loop.execute { self.step() }
        }
    }

    /// The real loop measures its work: a chain of tasks that keeps it busy makes it busy.
    @Test func theBrokerLoopSeesItselfBusyWhileItWorks() async throws {
        let loop = try BrokerEventLoop()
        let idle = try await loop.submit { loop.busyPoll.busy }.get()
        #expect(!idle)
        let chain = BusyChain(loop: loop)
        loop.execute { chain.step() }
        #expect(try await chain.done.futureResult.get())
        try await loop.shutdownGracefully()
    }

    @Test func configSetBusyPollReachesTheLoop() async throws {
        try await TestBroker.with { broker in
            let client = try await RESPTestConnection.connect(port: broker.port)
            #expect(
                try await client.call(["CONFIG", "GET", "busy-poll"]).description
                    == "*2\\r\\n$9\\r\\nbusy-poll\\r\\n$3\\r\\nyes\\r\\n")
            #expect(try await broker.server.loopBusyPollEnabled == true)
            #expect(try await client.call(["CONFIG", "SET", "busy-poll", "no"]).description == "+OK\\r\\n")
            #expect(
                try await client.call(["CONFIG", "GET", "busy-poll"]).description
                    == "*2\\r\\n$9\\r\\nbusy-poll\\r\\n$2\\r\\nno\\r\\n")
            #expect(try await broker.server.loopBusyPollEnabled == false)
            await client.close()
        }
        let enabled = try await TestBroker.with({ $0.busyPoll = false }) { broker in
            try await broker.server.loopBusyPollEnabled
        }
        #expect(!enabled)
    }
}
