import TestSupport

extension DifferentialCorpus {
    static let connection: [DifferentialCase] = [
        DifferentialCase(name: "PING, ECHO and arity errors") { s in
            try await s.call("PING")
            try await s.call("ping", "hello")
            try await s.call("PING", "a", "b")
            try await s.call("PING", "")
            try await s.call("ECHO", "x y")
            try await s.call("ECHO", "")
            try await s.call("echo", "a\r\nb\u{0}c")
            try await s.call("ECHO")
            try await s.call("ECHO", "a", "b")
        },
        DifferentialCase(name: "PING and ECHO in RESP3", normalize: clientID) { s in
            try await s.call("HELLO", "3")
            try await s.call("PING")
            try await s.call("PING", "x")
            try await s.call("ECHO", "y")
            try await s.call("PING", "a", "b")
        },
        DifferentialCase(name: "arity errors of plain commands and subcommands", normalize: clientID) { s in
            try await s.call("SELECT")
            try await s.call("SELECT", "1", "2")
            try await s.call("DBSIZE", "x")
            try await s.call("TIME", "x")
            try await s.call("RESET", "x")
            try await s.call("PUBLISH", "a")
            try await s.call("PUBLISH", "a", "b", "c")
            try await s.call("SPUBLISH", "a")
            try await s.call("SUBSCRIBE")
            try await s.call("PSUBSCRIBE")
            try await s.call("SSUBSCRIBE")
            try await s.call("CLIENT")
            try await s.call("CLIENT", "ID", "x")
            try await s.call("CLIENT", "SETNAME")
            try await s.call("CLIENT", "SETNAME", "a", "b")
            try await s.call("CLIENT", "GETNAME", "x")
            try await s.call("CLIENT", "REPLY")
            try await s.call("CLIENT", "NO-EVICT")
            try await s.call("CLIENT", "PAUSE")
            try await s.call("CLIENT", "UNPAUSE", "x")
            try await s.call("CLIENT", "KILL")
            try await s.call("CLIENT", "INFO", "x")
            try await s.call("CONFIG")
            try await s.call("CONFIG", "GET")
            try await s.call("CONFIG", "SET", "a")
            try await s.call("CONFIG", "RESETSTAT", "x")
            try await s.call("COMMAND", "COUNT", "x")
            try await s.call("COMMAND", "GETKEYS")
            try await s.call("PUBSUB")
            try await s.call("PUBSUB", "NUMPAT", "x")
            try await s.call("FUNCTION")
            try await s.call("DEBUG")
            try await s.call("AUTH")
            try await s.call("MONITOR", "x")
            try await s.call("FLUSHALL", "a", "b")
            try await s.call("HELLO", "3", "SETNAME")
        },
        DifferentialCase(name: "unknown command text") { s in
            try await s.call("NOSUCH", "a", "b")
            try await s.call("nosuch")
            try await s.call("NoSuch", "")
            try await s.call("CLIENT", "NOSUCH")
            try await s.call("client", "nosuch", "a")
            try await s.call("CONFIG", "nosuch")
            try await s.call("PUBSUB", "Nosuch")
            try await s.call("COMMAND", "NOSUCH")
            try await s.call("", "x")
        },
        DifferentialCase(name: "unknown command with long and many arguments") { s in
            let long = String(repeating: "abcdefghij", count: 20)
            try await s.call(long)
            try await s.call(long, long)
            try await s.call("nosuch", long, "x")
            try await s.call("nosuch", String(repeating: "y", count: 120), "zzzzzzzzzzzz", "w")
            try await s.call(["nosuch"] + (1...60).map { "a\($0)" })
            try await s.call("nosuch", "a b", "c\r\nd", "e'f")
            try await s.call("CLIENT", long)
            try await s.call("CONFIG", String(repeating: "q", count: 300))
        },
        DifferentialCase(name: "SELECT") { s in
            try await s.call("SELECT", "0")
            try await s.call("SELECT", "15")
            try await s.call("SELECT", "16")
            try await s.call("SELECT", "-1")
            try await s.call("SELECT", "abc")
            try await s.call("SELECT", "1.5")
            try await s.call("SELECT", "")
            try await s.call("SELECT", "99999999999999999999")
            try await s.call("SELECT", "2147483648")
            try await s.call("SELECT", " 1")
            try await s.call("SELECT", "01")
            try await s.call("DBSIZE")
        },
        DifferentialCase(name: "SELECT with a database count set", serverArguments: ["--databases", "4"]) { s in
            try await s.call("SELECT", "3")
            try await s.call("SELECT", "4")
        },
        DifferentialCase(name: "HELLO versions and errors", normalize: clientID) { s in
            try await s.call("HELLO")
            try await s.call("HELLO", "2")
            try await s.call("HELLO", "3")
            try await s.call("HELLO")
            try await s.call("HELLO", "4")
            try await s.call("HELLO", "1")
            try await s.call("HELLO", "0")
            try await s.call("HELLO", "-3")
            try await s.call("HELLO", "abc")
            try await s.call("HELLO", "3.0")
            try await s.call("HELLO", "")
            try await s.call("HELLO", "99999999999999999999")
            try await s.call("HELLO", "2")
        },
        DifferentialCase(name: "HELLO options", normalize: clientID) { s in
            try await s.call("HELLO", "3", "SETNAME", "conn-a")
            try await s.call("CLIENT", "GETNAME")
            try await s.call("HELLO", "2", "setname", "bad name")
            try await s.call("CLIENT", "GETNAME")
            try await s.call("HELLO", "2", "SETNAME", "")
            try await s.call("CLIENT", "GETNAME")
            try await s.call("HELLO", "3", "FOO")
            try await s.call("HELLO", "3", "AUTH", "default")
            try await s.call("HELLO", "3", "SETNAME", "a", "EXTRA")
            try await s.call("HELLO", "3", "AUTH", "default", "anything")
            try await s.call("HELLO", "3", "AUTH", "nobody", "pw")
            try await s.call("HELLO", "3", "SETNAME", "x", "SETNAME", "y")
            try await s.call("CLIENT", "GETNAME")
            try await s.call("HELLO", "4", "FOO")
            try await s.call("HELLO", "2", "SETNAME", "a\nb")
        },
        DifferentialCase(name: "QUIT replies OK and closes") { s in
            try await s.call("PING")
            try await s.send("QUIT")
            try await s.readUntilClosed()
        },
        DifferentialCase(name: "QUIT takes any arguments") { s in
            try await s.send("QUIT", "x", "y")
            try await s.readUntilClosed()
        },
        DifferentialCase(name: "QUIT in subscribed RESP2 context") { s in
            try await s.call("SUBSCRIBE", "q")
            try await s.send("QUIT")
            try await s.readUntilClosed()
        },
        DifferentialCase(name: "RESET returns to defaults", normalize: clientID) { s in
            try await s.call("HELLO", "3", "SETNAME", "n1")
            try await s.call("SELECT", "3")
            try await s.call("RESET")
            try await s.call("CLIENT", "GETNAME")
            try await s.call("PING")
            try await s.call("HELLO")
        },
        DifferentialCase(name: "RESET leaves subscriptions") { s in
            try await s.call("SUBSCRIBE", "r1")
            try await s.call("PSUBSCRIBE", "r*")
            try await s.call("SSUBSCRIBE", "s1")
            try await s.call("RESET")
            try await s.call("PUBLISH", "r1", "m", on: 1)
            try await s.call("SPUBLISH", "s1", "m", on: 1)
            try await s.call("PUBSUB", "NUMSUB", "r1", on: 1)
            try await s.call("PUBSUB", "NUMPAT", on: 1)
            try await s.call("ECHO", "after reset")
            try await s.call("UNSUBSCRIBE")
        },
        DifferentialCase(name: "RESET in RESP3 subscribed mode", normalize: clientID) { s in
            try await s.call("HELLO", "3")
            try await s.call("SUBSCRIBE", "c")
            try await s.call("RESET")
            try await s.call("PING")
            try await s.call("PUBLISH", "c", "x", on: 1)
            try await s.call("PING")
        },
    ]
}
