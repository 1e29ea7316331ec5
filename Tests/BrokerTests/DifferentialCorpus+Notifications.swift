import TestSupport

extension DifferentialCorpus {
    /// Keyspace notifications (`notify-keyspace-events`, Redis 7.0's `notify.c`).
    ///
    /// Connection 1 listens on the one pattern `__key*__:*` (several matching patterns would arrive
    /// in Redis's random dict order). A command's pushes are queued before its reply is sent, so
    /// after connection 0's reply the script reads exactly the pushes expected on connection 1; a
    /// final `PING` on connection 1 shows that nothing more was queued.
    static let notifications: [DifferentialCase] = [
        DifferentialCase(name: "keyspace events of SET, DEL, EXPIRE and PERSIST") { s in
            try await s.call("PSUBSCRIBE", "__key*__:*", on: 1)
            try await s.call("CONFIG", "SET", "notify-keyspace-events", "KEA")
            try await s.call("SET", "k", "v")
            try await s.read(2, on: 1)
            try await s.call("SET", "k", "v", "EX", "100")
            try await s.read(4, on: 1)
            try await s.call("SET", "k", "v", "NX")
            try await s.call("SET", "k2", "v", "KEEPTTL")
            try await s.read(2, on: 1)
            try await s.call("PERSIST", "k")
            try await s.read(2, on: 1)
            try await s.call("PERSIST", "k")
            try await s.call("EXPIRE", "k", "100")
            try await s.read(2, on: 1)
            try await s.call("EXPIRE", "k", "100", "NX")
            try await s.call("PEXPIREAT", "k", "1")
            try await s.read(2, on: 1)
            try await s.call("SET", "k", "v", "GET")
            try await s.read(2, on: 1)
            try await s.call("DEL", "k", "k2", "missing")
            try await s.read(4, on: 1)
            try await s.call("GET", "missing")
            try await s.call("SET", "k", "v", "PX", "100000", "GET")
            try await s.read(4, on: 1)
            try await s.call("PING", on: 1)
        },
        DifferentialCase(name: "keyspace events of new keys, misses and lazy expiry") { s in
            try await s.call("PSUBSCRIBE", "__key*__:*", on: 1)
            try await s.call("CONFIG", "SET", "notify-keyspace-events", "KEAmn")
            try await s.call("GET", "missing")
            try await s.read(2, on: 1)
            try await s.call("SET", "n", "v")
            try await s.read(4, on: 1)
            try await s.call("SET", "n", "v")
            try await s.read(2, on: 1)
            try await s.call("SET", "k3", "v", "PXAT", "1")
            try await s.read(6, on: 1)
            try await s.call("GET", "k3")
            try await s.read(4, on: 1)
            try await s.call("EXISTS", "k3", "n")
            try await s.read(2, on: 1)
            try await s.call("TTL", "missing")
            try await s.read(2, on: 1)
            try await s.call("TYPE", "missing")
            try await s.read(2, on: 1)
            try await s.call("SET", "k4", "v", "PXAT", "1")
            try await s.read(6, on: 1)
            try await s.call("DEL", "k4")
            try await s.read(2, on: 1)
            try await s.call("SET", "k5", "v", "PXAT", "1")
            try await s.read(6, on: 1)
            try await s.call("SET", "k5", "w", "GET")
            try await s.read(8, on: 1)
            try await s.call("PING", on: 1)
        },
        DifferentialCase(name: "keyspace event classes and channels") { s in
            try await s.call("PSUBSCRIBE", "__key*__:*", on: 1)
            try await s.call("CONFIG", "SET", "notify-keyspace-events", "Kg")
            try await s.call("SET", "k", "v")
            try await s.call("DEL", "k")
            try await s.read(on: 1)
            try await s.call("EXPIRE", "missing", "10")
            try await s.call("CONFIG", "SET", "notify-keyspace-events", "E$")
            try await s.call("SET", "k", "v", "EX", "10")
            try await s.read(on: 1)
            try await s.call("DEL", "k")
            try await s.call("CONFIG", "SET", "notify-keyspace-events", "Ex")
            try await s.call("SET", "k", "v", "PXAT", "1")
            try await s.call("GET", "k")
            try await s.read(on: 1)
            try await s.call("CONFIG", "SET", "notify-keyspace-events", "K")
            try await s.call("SET", "k", "v")
            try await s.call("CONFIG", "SET", "notify-keyspace-events", "gx$")
            try await s.call("SET", "k", "v")
            try await s.call("CONFIG", "SET", "notify-keyspace-events", "")
            try await s.call("SET", "k", "v")
            try await s.call("DEL", "k")
            try await s.call("CONFIG", "SET", "notify-keyspace-events", "AKE")
            try await s.call("SELECT", "3")
            try await s.call("SET", "key with spaces", "v")
            try await s.read(2, on: 1)
            try await s.call("HELLO", "3", on: 1)
            try await s.call("DEL", "key with spaces")
            try await s.read(2, on: 1)
            try await s.call("PING", on: 1)
        },
        DifferentialCase(name: "keyspace event on active expiry") { s in
            try await s.call("PSUBSCRIBE", "__key*__:*", on: 1)
            try await s.call("CONFIG", "SET", "notify-keyspace-events", "Kx")
            try await s.call("SET", "k", "v", "PX", "20")
            try await s.read(on: 1)
            try await s.call("PING", on: 1)
        },
        DifferentialCase(name: "notify-keyspace-events canonical text") { s in
            for flags in [
                "KEA", "AKE", "gK", "$lshzxetdKE", "g$lshzxetd", "nmKE", "An", "EK", "xg", "", "mn", "Ag", "KEAmn",
                "K", "E",
            ] {
                try await s.call("CONFIG", "SET", "notify-keyspace-events", flags)
                try await s.call("CONFIG", "GET", "notify-keyspace-events")
            }
            try await s.call("CONFIG", "SET", "notify-keyspace-events", "KEw")
            try await s.call("CONFIG", "GET", "notify-keyspace-events")
        },
    ]
}
