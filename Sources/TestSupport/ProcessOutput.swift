import Foundation
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a child process prints on one descriptor (a pipe or a pseudo-terminal), read by a thread of
/// its own until end of output so the child never blocks on a full pipe.
public final class ProcessOutput: Sendable {
    struct State: Sendable {
        var bytes: [UInt8] = []
        var ended = false
    }

    private let state = WaitableState(State())

    /// Starts reading `descriptor`, which this object then owns and closes at end of output.
    init(descriptor: Int32) {
        let state = self.state
        let thread = Thread {
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(descriptor, &chunk, chunk.count)
                if n < 0 && errno == EINTR { continue }
                // 0 is end of file on a pipe; a terminal whose child has gone reports EIO instead.
                if n <= 0 { break }
                state.update { $0.bytes += chunk[0..<n] }
            }
            close(descriptor)
            state.update { $0.ended = true }
        }
        thread.start()
    }

    /// Everything read so far, as text.
    public var text: String { String(decoding: state.value.bytes, as: UTF8.self) }

    /// Whether the output has ended (the child closed it, usually by exiting).
    public var hasEnded: Bool { state.value.ended }

    /// Waits until `attempt` returns a result for the text so far; fails on timeout or when the output
    /// ends first, with the text read in the error.
    func wait<T: Sendable>(
        for what: String, timeout: TimeAmount, _ attempt: @escaping @Sendable (String) -> T?
    ) async throws -> T {
        let result: Result<T, TestSupportError> = try await state.wait(
            timeout: timeout, what: what,
            describe: { "; output so far: \(String(decoding: $0.bytes, as: UTF8.self).debugDescription)" }
        ) { state in
            let text = String(decoding: state.bytes, as: UTF8.self)
            if let result = attempt(text) { return .success(result) }
            if state.ended {
                return .failure(TestSupportError("output ended before \(what); output: \(text.debugDescription)"))
            }
            return nil
        }
        return try result.get()
    }

    /// Waits until the output ends; returns all of it.
    @discardableResult
    public func waitForEnd(timeout: TimeAmount = .seconds(10)) async throws -> String {
        try await state.wait(timeout: timeout, what: "end of output") { state in
            state.ended ? String(decoding: state.bytes, as: UTF8.self) : nil
        }
    }
}
