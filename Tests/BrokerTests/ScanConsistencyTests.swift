import NIOCore
import RESP
import Testing
import TestSupport

/// SCAN's guarantee, over real connections to a running broker: every key present from the
/// first call to the last is returned at least once, and nothing is returned that was never
/// written, while other keys are added and deleted in numbers that make the table grow through
/// several rehashes and shrink again. (`KeyspaceScanTests` checks the same on the storage alone.)
///
/// Sizes. The table doubles once there are as many keys as buckets and shrinks once under 10%
/// of its buckets hold keys. The stable keys must therefore be under 10% of the largest table
/// the churn reaches, or deleting the churn never shrinks it (20,000 stable keys with 100,000
/// churn keys reach 2^17 buckets, of which 20,000 is 15%): so fewer stable keys than a tenth of
/// the churn. What matters is how many resizes happen, not how many keys, and the debug build
/// the tests run against serves about 30,000 writes a second here, so the sets are small.
/// The cases run one at a time: each keeps a broker busy, and side by side on two cores they
/// starved the suite's time-bound tests (a soft output-buffer limit that must cut off within 10 s).
@Suite(.serialized) struct ScanConsistencyTests {
    /// One SCAN iteration's options and how many stable keys it runs over.
    struct ScanCase: Sendable, CustomTestStringConvertible {
        var count: Int
        var match: String?
        var stable: Int
        /// Whether a stable key should be returned with this MATCH (written here, not a glob
        /// matcher, so the broker's matcher is not checked against itself).
        var selects: @Sendable (Int) -> Bool = { _ in true }
        var testDescription: String { "COUNT \(count)" + (match.map { " MATCH \($0)" } ?? "") + ", \(stable) keys" }
    }

    static let ok = RESPValue.simpleString(ByteBuffer(string: "OK"))

    static func stableKey(_ i: Int) -> [UInt8] { Array("stable:\(i)".utf8) }
    static func churnKey(_ i: Int) -> [UInt8] { Array("churn:\(i)".utf8) }

    /// The key a SCAN reply may hold: a stable key or a churn key below `churnLimit`.
    static func wasWritten(_ key: [UInt8], stable: Int, churnLimit: Int) -> Bool {
        let text = String(decoding: key, as: UTF8.self)
        if text.hasPrefix("stable:"), let i = Int(text.dropFirst(7)) { return i < stable && stableKey(i) == key }
        if text.hasPrefix("churn:"), let i = Int(text.dropFirst(6)) { return i < churnLimit && churnKey(i) == key }
        return false
    }

    /// Sets `stable:0` … `stable:<count - 1>`, a thousand commands per write.
    static func loadStableKeys(_ count: Int, on connection: RESPTestConnection) async throws {
        for start in stride(from: 0, to: count, by: 1000) {
            let replies = try await connection.pipeline(
                (start..<min(start + 1000, count)).map { [Array("SET".utf8), stableKey($0), Array("s".utf8)] })
            try #require(replies.allSatisfy { $0.value == ok })
        }
    }

    /// `SCAN cursor COUNT n [MATCH p]` as bytes.
    static func scanCommand(_ cursor: UInt64, _ options: ScanCase) -> [[UInt8]] {
        var command = ["SCAN", String(cursor), "COUNT", String(options.count)]
        if let match = options.match { command += ["MATCH", match] }
        return command.map { Array($0.utf8) }
    }

    /// The next cursor and the keys of a SCAN reply.
    static func parseScanReply(_ reply: RESPTestConnection.Reply) throws -> (cursor: UInt64, keys: [[UInt8]]) {
        guard case .array(let parts) = reply.value, parts.count == 2, let cursor = parts[0].string.flatMap(UInt64.init),
            case .array(let elements) = parts[1]
        else { throw TestSupportError("SCAN replied \(reply)") }
        return try (
            cursor,
            elements.map {
                guard case .bulkString(let key) = $0 else { throw TestSupportError("SCAN replied \(reply)") }
                return Array(key.readableBytesView)
            }
        )
    }

    /// Checks what one whole iteration returned: every selected stable key at least once, and
    /// only keys that were written and that MATCH selects.
    static func checkIteration(
        returned: [[UInt8]], stable: Int, churnLimit: Int, options: ScanCase
    ) {
        let seen = Set(returned)
        let missing = (0..<stable).filter { options.selects($0) && !seen.contains(stableKey($0)) }
        #expect(missing.count == 0, "\(missing.count) stable keys never returned, e.g. \(missing.prefix(5))")
        let unknown = seen.filter { !wasWritten($0, stable: stable, churnLimit: churnLimit) }
        #expect(
            unknown.count == 0,
            "returned but never written: \(unknown.prefix(5).map { String(decoding: $0, as: UTF8.self) })")
        if options.match != nil {
            let unselected = seen.subtracting((0..<stable).filter(options.selects).map(stableKey))
            #expect(
                unselected.count == 0,
                "returned but not matching: \(unselected.prefix(5).map { String(decoding: $0, as: UTF8.self) })")
        }
    }

    static let concurrentCases: [ScanCase] = [
        ScanCase(count: 10, stable: 500),
        ScanCase(count: 1000, stable: 2000),
        ScanCase(count: 100, match: "stable:1*", stable: 500) { String($0).hasPrefix("1") },
    ]

    /// One connection iterates SCAN while another, from its own task, adds 8 churn keys per
    /// stable key and then deletes them, in pipelined batches of 250. 500 stable keys sit in a
    /// table of 2^9 buckets; 4,000 churn keys grow it to 2^10, 2^11, 2^12 and 2^13 (four
    /// resizes, at 512, 1,024, 2,048 and 4,096 keys), and deleting them starts a shrink once
    /// under 820 keys (10% of 2^13) remain, to the 2^10 buckets that fit them. (2,000 stable
    /// keys: the same, two powers of two up.) COUNT 1000 gets the larger set, or its first call
    /// would return every key.
    ///
    /// The two run concurrently, but neither may run far ahead of the other:
    /// `ScanWriteInterleaving` holds the writer within a few percent of the scan's progress (the
    /// share of the cursor space covered) and makes the scan wait for the writer, so the writes
    /// are spread over the iteration whatever the scheduling.
    @Test(.timeLimit(.minutes(2)), arguments: concurrentCases)
    func scanWhileAnotherConnectionWrites(_ options: ScanCase) async throws {
        let stable = options.stable
        let churn = stable * 8
        let batch = 250
        try await TestBroker.with { broker in
            let scanner = try await RESPTestConnection.connect(port: broker.port)
            let writer = try await RESPTestConnection.connect(port: broker.port)
            try await Self.loadStableKeys(stable, on: scanner)
            let batches: [[[[UInt8]]]] =
                stride(from: 0, to: churn, by: batch).map { start in
                    (start..<(start + batch)).map { [Array("SET".utf8), Self.churnKey($0), Array("c".utf8)] }
                }
                + stride(from: 0, to: churn, by: batch).map { start in
                    (start..<(start + batch)).map { [Array("DEL".utf8), Self.churnKey($0)] }
                }
            let interleaving = ScanWriteInterleaving()
            let returned = try await withThrowingTaskGroup(of: [[UInt8]].self) { group in
                group.addTask {
                    do {
                        await interleaving.waitForScanStart()
                        for (index, commands) in batches.enumerated() {
                            let replies = try await writer.pipeline(commands)
                            let expected = index < batches.count / 2 ? Self.ok : .integer(1)
                            try #require(replies.allSatisfy { $0.value == expected }, "batch \(index)")
                            await interleaving.writes(reached: Double(index + 1) / Double(batches.count))
                        }
                    } catch {
                        await interleaving.writes(reached: .infinity)
                        throw error
                    }
                    await interleaving.writes(reached: .infinity)
                    return []
                }
                group.addTask {
                    var returned: [[UInt8]] = []
                    do {
                        var cursor: UInt64 = 0
                        var calls = 0
                        repeat {
                            let page = try Self.parseScanReply(
                                try await scanner.call(bytes: Self.scanCommand(cursor, options)))
                            returned += page.keys
                            cursor = page.cursor
                            calls += 1
                            // The cursor's bits reversed grow from 0 to 2^64 over an iteration,
                            // whatever the table size: the share of the table covered so far.
                            if cursor != 0 { await interleaving.scan(reached: Self.progress(cursor)) }
                        } while cursor != 0 && calls < 1_000_000
                        #expect(cursor == 0, "the iteration ends")
                    } catch {
                        await interleaving.scan(reached: .infinity)
                        throw error
                    }
                    await interleaving.scan(reached: .infinity)
                    return returned
                }
                var all: [[UInt8]] = []
                for try await keys in group { all += keys }
                return all
            }
            Self.checkIteration(returned: returned, stable: stable, churnLimit: churn, options: options)
            #expect(try await scanner.call(["DBSIZE"]).description == ":\(stable)\\r\\n")
            await scanner.close()
            await writer.close()
        }
    }

    /// How far through the cursor space `cursor` is, from 0 to 1.
    static func progress(_ cursor: UInt64) -> Double {
        var reversed: UInt64 = 0
        for bit in 0..<64 where cursor & (1 << bit) != 0 { reversed |= 1 << (63 - bit) }
        return Double(reversed) / 18_446_744_073_709_551_616.0
    }

    static let seededCases: [ScanCase] = [
        ScanCase(count: 10, stable: 500),
        ScanCase(count: 10, match: "stable:*7*", stable: 500) { String($0).contains("7") },
    ]

    /// One connection alternates, deterministically, a SCAN call and a seeded burst of writes
    /// sent with it in the same write (pipelined), so the broker runs them strictly in turn:
    /// SCAN, burst, SCAN, burst…
    ///
    /// 500 stable keys sit in 2^9 buckets. Bursts 0–4 add 800 to 1,200 churn keys each, 4,000
    /// to 6,000 in all, so the table grows to 2^10, 2^11, 2^12 and 2^13 (four resizes, each
    /// carried out bucket by bucket by the writes that follow and by the broker's rehash timer);
    /// bursts 5–9 delete them all in a seeded order, and once under 10% of the buckets hold keys
    /// (819 keys in 2^13) the table starts shrinking to the size that fits them. Both happen
    /// within the iteration for sure: it cannot end before it has returned all 500 stable keys,
    /// and a call with COUNT 10 stops once it has 10 keys, after the bucket (or, mid-resize, the
    /// few buckets) that got it there, so it returns little more than 10 keys and the iteration
    /// takes many more than 10 calls. The test checks that it took more calls than there were
    /// bursts. The table's size is not observable from outside (there is no DEBUG HTSTATS), so
    /// the sizes above are the argument that it grew and shrank; a linear cursor, which loses
    /// keys only when the table shrinks, fails this test.
    @Test(.timeLimit(.minutes(2)), arguments: seededCases)
    func scanInterleavedWithSeededWriteBursts(_ options: ScanCase) async throws {
        let stable = options.stable
        let bursts = 10
        try await TestBroker.with { broker in
            var generator = SeededRandomNumberGenerator(seed: 0x5CA2)
            let connection = try await RESPTestConnection.connect(port: broker.port)
            try await Self.loadStableKeys(stable, on: connection)
            var live: [Int] = []
            var nextChurn = 0
            /// The writes after SCAN call `step`.
            func burst(_ step: Int) -> [[[UInt8]]] {
                guard step < bursts else { return [] }
                if step < bursts / 2 {
                    let added = nextChurn..<(nextChurn + 800 + Int(generator.next() % 401))
                    nextChurn = added.upperBound
                    live += added
                    return added.map { [Array("SET".utf8), Self.churnKey($0), Array("c".utf8)] }
                }
                let n = step == bursts - 1 ? live.count : min(live.count, 800 + Int(generator.next() % 401))
                return (0..<n).map { _ in
                    let i = Int(generator.next() % UInt64(live.count))
                    live.swapAt(i, live.count - 1)
                    return [Array("DEL".utf8), Self.churnKey(live.removeLast())]
                }
            }
            var returned: [[UInt8]] = []
            var cursor: UInt64 = 0
            var calls = 0
            repeat {
                let writes = burst(calls)
                let replies = try await connection.pipeline([Self.scanCommand(cursor, options)] + writes)
                let page = try Self.parseScanReply(replies[0])
                let expected = writes.first?.first == Array("SET".utf8) ? Self.ok : .integer(1)
                try #require(replies.dropFirst().allSatisfy { $0.value == expected }, "burst \(calls)")
                returned += page.keys
                cursor = page.cursor
                calls += 1
            } while cursor != 0 && calls < 100_000
            #expect(cursor == 0, "the iteration ends")
            #expect(calls > bursts, "every burst ran between two calls of the iteration")
            #expect(live.isEmpty && nextChurn >= 4000, "\(nextChurn) churn keys were added and all deleted")
            Self.checkIteration(returned: returned, stable: stable, churnLimit: nextChurn, options: options)
            #expect(try await connection.call(["DBSIZE"]).description == ":\(stable)\\r\\n")
            await connection.close()
        }
    }
}
