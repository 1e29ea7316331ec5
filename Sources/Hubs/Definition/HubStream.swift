import HubProtocol
import Synchronization

/// A client-to-server stream parameter of a hub method: the items a client uploads, as an
/// `AsyncSequence` of `Element`.
///
/// Declare it as a parameter (`(hub: HubCallerContext, items: HubStream<String>)`); it binds to one
/// of the invocation's `streamIds`, not to an argument. Each item is decoded into `Element` when it
/// is read; the sequence ends when the client completes the stream and throws when the client
/// completes it with an error (``HubError/Code-swift.enum/hubException`` with the client's text).
public struct HubStream<Element: Decodable & Sendable>: AsyncSequence, Sendable, Decodable {
    let source: HubStreamSource

    init(source: HubStreamSource) {
        self.source = source
    }

    /// Never used: a stream parameter is bound from the invocation's stream ids, not decoded.
    public init(from decoder: any Decoder) throws {
        throw DecodingError.typeMismatch(
            HubStream.self,
            .init(codingPath: decoder.codingPath, debugDescription: "A stream parameter is not an argument."))
    }

    /// Reads the items in order.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let source: HubStreamSource

        /// The next item, `nil` at the end.
        public mutating func next() async throws -> Element? {
            guard let value = try await source.next() else { return nil }
            return try value.decode(Element.self)
        }
    }

    /// An iterator.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(source: source) }
}

/// Lets the argument binder recognise stream parameters among a method's parameter types.
protocol HubStreamParameter {
    init(source: HubStreamSource)
}

extension HubStream: HubStreamParameter {}

/// The buffer behind one client-to-server stream: the event loop appends items, the hub method
/// reads them. Past ``capacity`` buffered items the session stops reading the connection until the
/// method catches up.
final class HubStreamSource: Sendable {
    private struct State {
        var items: [HubValue] = []
        var head = 0
        var finished = false
        var failure: String?
        var waiter: CheckedContinuation<(HubValue?, Bool), any Error>?
        var paused = false
        let capacity: Int
    }

    let streamId: String
    let capacity: Int
    /// Called (from the reader's task) when the buffer drained after the source asked to pause.
    private let resume: @Sendable () -> Void
    private let state: Mutex<State>

    init(streamId: String, capacity: Int, resume: @escaping @Sendable () -> Void) {
        self.streamId = streamId
        self.capacity = max(1, capacity)
        self.resume = resume
        self.state = Mutex(State(capacity: max(1, capacity)))
    }

    /// Appends an item; returns `true` when the buffer is now full and reading should pause.
    func yield(_ value: HubValue) -> Bool {
        let (waiter, pause) = state.withLock { state -> (CheckedContinuation<(HubValue?, Bool), any Error>?, Bool) in
            guard !state.finished else { return (nil, false) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, false)
            }
            state.items.append(value)
            let pause = state.items.count - state.head >= capacity && !state.paused
            if pause { state.paused = true }
            return (nil, pause)
        }
        waiter?.resume(returning: (value, false))
        return pause
    }

    /// Ends the stream, with the client's error text or none. Items already buffered are still read.
    func finish(error: String? = nil) {
        let waiter = state.withLock { state -> CheckedContinuation<(HubValue?, Bool), any Error>? in
            guard !state.finished else { return nil }
            state.finished = true
            state.failure = error
            defer { state.waiter = nil }
            return state.waiter
        }
        guard let waiter else { return }
        if let error { waiter.resume(throwing: HubError(error)) } else { waiter.resume(returning: (nil, false)) }
    }

    /// Ends the stream from the server's side (the method returned, the connection closed):
    /// buffered items are dropped, and a paused connection resumes reading.
    func close(error: String? = nil) {
        let resume = state.withLock { state -> Bool in
            state.items.removeAll()
            state.head = 0
            defer { state.paused = false }
            return state.paused
        }
        finish(error: error)
        if resume { self.resume() }
    }

    private enum Step {
        case item(HubValue, resume: Bool)
        case end(String?)
        case wait
    }

    /// Takes the next buffered item, or says the stream ended; clears the pause once the buffer
    /// has room again.
    private static func take(_ state: inout State) -> Step {
        if state.head < state.items.count {
            let item = state.items[state.head]
            state.head += 1
            if state.head == state.items.count {
                state.items.removeAll(keepingCapacity: true)
                state.head = 0
            }
            var resume = false
            if state.paused && state.items.count - state.head < state.capacity {
                state.paused = false
                resume = true
            }
            return .item(item, resume: resume)
        }
        return state.finished ? .end(state.failure) : .wait
    }

    func next() async throws -> HubValue? {
        switch state.withLock({ Self.take(&$0) }) {
        case .item(let item, let resume):
            if resume { self.resume() }
            return item
        case .end(let failure):
            if let failure { throw HubError(failure) }
            return nil
        case .wait:
            let (item, resume) = try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<(HubValue?, Bool), any Error>) in
                let step = state.withLock { state -> Step in
                    let step = Self.take(&state)
                    if case .wait = step {
                        precondition(state.waiter == nil, "A HubStream is read by one task at a time.")
                        state.waiter = continuation
                    }
                    return step
                }
                switch step {
                case .item(let item, let resume): continuation.resume(returning: (item, resume))
                case .end(let failure?): continuation.resume(throwing: HubError(failure))
                case .end(nil): continuation.resume(returning: (nil, false))
                case .wait: break
                }
            }
            if resume { self.resume() }
            return item
        }
    }
}
