import Foundation
import MessagePack
import NIOCore
import Testing

/// msgpack-python, an independent implementation, as an oracle. CI installs it (`python3-msgpack`
/// in `.ci/run`); where no Python with `msgpack` is found these tests are skipped and say why.
enum PythonMsgpack {
    /// The script shared with these tests, next to this file.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Resources/msgpack_interop.py").path

    /// A Python that can `import msgpack` (Debian's python3-msgpack lives in /usr/bin/python3's
    /// path, which a pyenv `python3` first on PATH does not see, so both are tried).
    static let interpreter: String? = {
        for candidate in ["/usr/bin/python3", "/usr/local/bin/python3", "python3"] {
            if (try? run(candidate, ["-c", "import msgpack"]))?.status == 0 { return candidate }
        }
        print(
            "note: skipping the msgpack-python interop tests: no python3 with the msgpack package "
                + "(apt-get install python3-msgpack, or pip install msgpack)")
        return nil
    }()

    /// Runs `program` (a path, or a name looked up on PATH) and returns its exit status and output.
    static func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        if program.contains("/") {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [program] + arguments
        }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// ``script(_:)`` on a Dispatch thread: waiting for Python must not block one of the few threads
    /// every other test's tasks share.
    static func scriptOffPool(_ arguments: [String]) async throws -> [[String]] {
        guard let interpreter else { return [] }
        let (status, output) = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try run(interpreter, [script] + arguments) })
            }
        }
        #expect(status == 0, "msgpack_interop.py \(arguments) exited with \(status)")
        return output.split(separator: "\n").map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
    }

    /// Runs the script in `mode` and returns its output lines split at tabs.
    static func script(_ arguments: [String]) throws -> [[String]] {
        guard let interpreter else { return [] }
        let (status, output) = try run(interpreter, [script] + arguments)
        #expect(status == 0, "msgpack_interop.py \(arguments) exited with \(status)")
        return output.split(separator: "\n").map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
    }
}

@Suite("Interop with msgpack-python", .enabled(if: PythonMsgpack.interpreter != nil, "python3 with msgpack not found"))
struct PythonInteropTests {
    @Test("what msgpack-python packs, we decode to the same values and re-encode byte for byte")
    func decodesPythonBytes() async throws {
        let lines = try await PythonMsgpack.scriptOffPool(["vectors"])
        #expect(lines.count > 100)
        for line in lines {
            guard line.count == 3 else {
                Issue.record("bad line \(line.prefix(2))")
                continue
            }
            let (name, bytes, expected) = (line[0], hex(line[1]), line[2])
            let value = try MessagePackValue(decoding: bytes)
            #expect(canonical(value) == expected, "\(name)")
            #expect(value.encoded == bytes, "\(name): our encoding differs")
            #expect(try MessagePackDecoder().decode(MessagePackValue.self, from: bytes) == value, "\(name)")
            var r = reader(bytes)
            #expect(Array(try r.readRawValue().readableBytesView) == bytes, "\(name)")
        }
    }

    @Test("what we encode, msgpack-python decodes to the same values")
    func pythonDecodesOurBytes() async throws {
        struct Point: Encodable {
            var x = 1
            var y = -300
            var label = "p"
            var tags: [String: [UInt8]] = ["raw": [1, 2]]
            var at = try! MessagePackTimestamp(seconds: -1, nanoseconds: 5)
            var ratio: Float = 0.5
        }
        var cases: [(name: String, bytes: [UInt8], expected: String)] = []
        for vector in formatVectors {
            // msgpack-python refuses negative extension types other than -1, and turns maps into
            // dicts (array keys are unhashable, repeated keys collapse).
            if case .extension(let type, _) = vector.value, type < 0 { continue }
            if vector.name == "map mixed keys" || vector.name == "map repeated key" { continue }
            cases.append((vector.name, vector.bytes, canonical(vector.value)))
        }
        for example in signalRExamples {
            cases.append((example.name, example.bytes, canonical(example.value)))
        }
        cases.append(
            (
                "Codable struct", try MessagePackEncoder().encode(Point()),
                "{str:78=int:1,str:79=int:-300,str:6c6162656c=str:70,str:74616773={str:726177=bin:0102},"
                    + "str:6174=ts:-1:5,str:726174696f=float:3fe0000000000000}"
            ))
        let person = try MessagePackEncoder().encode(samplePerson)
        cases.append(("Codable person", person, canonical(try MessagePackValue(decoding: person))))
        let many = try MessagePackEncoder().encode(Array(repeating: samplePerson, count: 20))
        cases.append(("Codable people", many, canonical(try MessagePackValue(decoding: many))))

        let input = FileManager.default.temporaryDirectory.appendingPathComponent("msgpack-interop-\(UUID()).txt")
        defer { try? FileManager.default.removeItem(at: input) }
        try cases.map { "\($0.name)\t\(compactHex($0.bytes))\n" }.joined().write(
            to: input, atomically: true, encoding: .utf8)
        let lines = try await PythonMsgpack.scriptOffPool(["decode", input.path])
        #expect(lines.count == cases.count)
        for (line, testCase) in zip(lines, cases) {
            #expect(line.first == testCase.name)
            #expect(line.last == testCase.expected, "\(testCase.name)")
        }
    }
}
