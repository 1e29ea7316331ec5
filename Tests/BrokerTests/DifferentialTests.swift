import RESP
import Testing
import TestSupport

/// The same scripted exchanges against a real redis-server and against our broker: replies must be
/// byte-identical, except where a case says why not (and normalizes only that difference).
@Suite(.serialized) struct DifferentialTests {
    @Test(arguments: DifferentialCorpus.cases)
    func sameBytesAsRedis(_ testCase: DifferentialCase) async throws {
        guard RedisServerProcess.isAvailable else {
            print("skipped: redis-server is not installed (CI installs it)")
            return
        }
        let redis = try await RedisServerProcess.start(arguments: testCase.serverArguments)
        defer { redis.stop() }
        let broker = try await TestBroker.start(arguments: testCase.serverArguments)
        let expected = TranscriptSession(port: redis.port)
        let actual = TranscriptSession(port: broker.port)
        // A script that stops (a read timed out, a connection closed early) is recorded in the
        // transcript, so the broker is still stopped and both transcripts are still compared.
        for session in [expected, actual] {
            do {
                try await testCase.script(session)
            } catch {
                session.note("<script stopped: \(error)>")
            }
        }
        await expected.close()
        await actual.close()
        try await broker.stop()
        let want = expected.transcript.map(testCase.normalize)
        let got = actual.transcript.map(testCase.normalize)
        #expect(
            !want.contains { $0.hasPrefix("<script stopped") },
            "the script stopped against redis-server: the case itself is wrong")
        #expect(got == want, "\(testCase.name)")
        if got != want {
            for (i, (g, w)) in zip(got, want).enumerated() where g != w {
                Issue.record("reply \(i) differs:\n  redis:  \(w)\n  broker: \(g)")
                break  // later replies usually differ only because this one did; both transcripts follow
            }
            let redisText = want.joined(separator: "\n    ")
            let brokerText = got.joined(separator: "\n    ")
            Issue.record("transcripts of \(testCase.name):\n  redis:\n    \(redisText)\n  broker:\n    \(brokerText)")
        }
    }
}

/// One scripted exchange of the differential corpus.
struct DifferentialCase: Sendable, CustomTestStringConvertible {
    /// What the case checks.
    var name: String
    /// Extra server options, given to both servers (`["--requirepass", "secret"]`).
    var serverArguments: [String] = []
    /// Applied to every transcript line of both servers; only for differences the case documents.
    var normalize: @Sendable (String) -> String = { $0 }
    /// The exchange.
    var script: @Sendable (TranscriptSession) async throws -> Void

    var testDescription: String { name }
}
