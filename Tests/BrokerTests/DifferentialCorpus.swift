import Testing
import TestSupport

/// The corpus: command sequences whose replies must match Redis 7.0 byte for byte.
enum DifferentialCorpus {
    static let cases: [DifferentialCase] = connection + pubsub

    static let connection: [DifferentialCase] = [
        DifferentialCase(name: "PING, ECHO and arity errors") { s in
            try await s.call("PING")
            try await s.call("ping", "hello")
            try await s.call("PING", "a", "b")
            try await s.call("ECHO", "x y")
            try await s.call("ECHO")
        },
        DifferentialCase(name: "unknown command text") { s in
            try await s.call("NOSUCH", "a", "b")
            try await s.call("nosuch")
            try await s.call("CLIENT", "NOSUCH")
        },
    ]

    static let pubsub: [DifferentialCase] = [
        DifferentialCase(name: "subscribe, publish, receive in RESP2") { s in
            try await s.call("SUBSCRIBE", "news", "sport", on: 1)
            try await s.read(on: 1)
            try await s.call("PUBLISH", "news", "hello")
            try await s.read(on: 1)
            try await s.call("ECHO", "x", on: 1)
            try await s.call("PING", on: 1)
            // UNSUBSCRIBE without names walks Redis's channel dict, whose order is seeded at random
            // per process, so channels are named one by one here.
            try await s.call("UNSUBSCRIBE", "news", "sport", on: 1)
            try await s.read(on: 1)
        },
    ]
}
