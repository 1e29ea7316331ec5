import Foundation
import Testing
import TestSupport

/// tools/loopback-floor/loopback-floor.c, the C writer and reader behind bench-hub-ab's `floor`
/// variant: built with the toolchain's C compiler and run small. What is checked is that it reads
/// back every frame it wrote, no more and no fewer (the reader reads each connection to its end),
/// and reports the fields bench-hub-ab takes, never how fast it is.
@Suite(
    "loopback-floor (bench-hub-ab's kernel floor)",
    .enabled(if: RunningProcess.find("clang") ?? RunningProcess.find("cc") != nil, "needs a C compiler (clang or cc)"))
struct LoopbackFloorTests {
    static let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("tools/loopback-floor/loopback-floor.c")

    /// Compiles the tool into a fresh directory and runs it with `arguments`: (exit status, output).
    static func run(_ arguments: [String]) async throws -> (Int32, String) {
        let compiler = try #require(RunningProcess.find("clang") ?? RunningProcess.find("cc"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loopback-floor-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let binary = directory.appendingPathComponent("loopback-floor").path
        let build = try RunningProcess.spawn(compiler, ["-O2", "-o", binary, source.path])
        let buildOutput = try await build.output.waitForEnd(timeout: .seconds(60))
        #expect(try await build.waitForExit(timeout: .seconds(60)) == 0, "\(buildOutput)")
        let process = try RunningProcess.spawn(binary, arguments)
        let output = try await process.output.waitForEnd(timeout: .seconds(60))
        return (try await process.waitForExit(timeout: .seconds(60)), output)
    }

    @Test("every frame written is read back once, with the fields bench-hub-ab reads")
    func everyFrameReadBack() async throws {
        // 20 connections, 40 bursts (0.4 s at 100 a second), frames of 50 bytes.
        let (status, output) = try await Self.run([
            "--connections", "20", "--rate", "100", "--seconds", "0.4", "--size", "50",
        ])
        #expect(status == 0, "\(output)")
        let report = try jsonReport(output)
        #expect((report["framesWritten"] as? NSNumber)?.intValue == 20 * 40)
        #expect((report["framesRead"] as? NSNumber)?.intValue == 20 * 40)
        #expect((report["leftoverBytes"] as? NSNumber)?.intValue == 0)
        #expect(((report["writerSeconds"] as? NSNumber)?.doubleValue ?? -1) > 0)
        #expect(((report["writerMicrosecondsPerFrame"] as? NSNumber)?.doubleValue ?? -1) >= 0)
        #expect(((report["readerMicrosecondsPerFrame"] as? NSNumber)?.doubleValue ?? -1) >= 0)
        let latency = try #require(report["latencyMicroseconds"] as? [String: Any])
        let percentiles = ["p50", "p99", "p999"].map { (latency[$0] as? NSNumber)?.intValue ?? -1 }
        #expect(percentiles[0] >= 0 && percentiles[0] <= percentiles[1] && percentiles[1] <= percentiles[2])
    }

    @Test("a frame too small for its timestamp is refused with the usage line")
    func tooSmallAFrameIsRefused() async throws {
        let (status, output) = try await Self.run(["--size", "4"])
        #expect(status == 2)
        #expect(output.contains("usage: loopback-floor"), "\(output)")
    }
}
