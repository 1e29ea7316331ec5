import TestSupport

extension DifferentialCorpus {
    static let authentication: [DifferentialCase] = [
        DifferentialCase(name: "AUTH without a password configured") { s in
            try await s.call("AUTH", "pw")
            try await s.call("AUTH", "default", "pw")
            try await s.call("AUTH", "default", "")
            try await s.call("AUTH", "nobody", "pw")
            try await s.call("AUTH", "a", "b", "c")
            try await s.call("auth", "a", "b", "c", "d")
            try await s.call("PING")
        },
        DifferentialCase(name: "AUTH forms under requirepass", serverArguments: ["--requirepass", "secret"]) { s in
            try await s.call("AUTH", "wrong")
            try await s.call("AUTH", "default", "wrong")
            try await s.call("AUTH", "nobody", "secret")
            try await s.call("AUTH", "a", "b", "c")
            try await s.call("PING")
            try await s.call("AUTH", "secret")
            try await s.call("PING")
            try await s.call("AUTH", "wrong")
            try await s.call("PING")
            try await s.call("AUTH", "default", "secret", on: 1)
            try await s.call("PING", on: 1)
            try await s.call("AUTH", "DEFAULT", "secret", on: 2)
            try await s.call("AUTH", "SECRET", on: 2)
        },
        DifferentialCase(
            name: "NOAUTH before AUTH", serverArguments: ["--requirepass", "secret", "--enable-debug-command", "yes"],
            normalize: clientID
        ) { s in
            try await s.call("PING")
            try await s.call("ECHO", "x")
            try await s.call("SELECT", "1")
            try await s.call("CLIENT", "ID")
            try await s.call("CLIENT", "SETNAME", "x")
            try await s.call("CONFIG", "GET", "port")
            try await s.call("COMMAND", "COUNT")
            try await s.call("INFO")
            try await s.call("DBSIZE")
            try await s.call("FLUSHALL")
            try await s.call("TIME")
            try await s.call("SUBSCRIBE", "a")
            try await s.call("PUBLISH", "a", "b")
            try await s.call("PUBSUB", "NUMPAT")
            try await s.call("MONITOR")
            try await s.call("DEBUG", "SLEEP", "0")
            try await s.call("FUNCTION", "FLUSH")
            // Unknown commands and arity errors are reported before authentication is checked.
            try await s.call("NOSUCH")
            try await s.call("ECHO")
            try await s.call("CLIENT", "NOSUCH")
            try await s.call("HELLO")
            try await s.call("HELLO", "3")
            try await s.call("HELLO", "4")
            try await s.call("HELLO", "2", "SETNAME", "x")
            try await s.call("HELLO", "2", "AUTH", "default", "wrong")
            try await s.call("HELLO", "2", "SETNAME", "bad name", "AUTH", "default", "wrong")
            try await s.call("HELLO", "2", "AUTH", "default", "secret", "SETNAME", "bad name")
            try await s.call("PING")
            try await s.call("CLIENT", "GETNAME")
        },
        DifferentialCase(
            name: "HELLO AUTH under requirepass", serverArguments: ["--requirepass", "secret"], normalize: clientID
        ) { s in
            try await s.call("HELLO", "3", "AUTH", "default", "secret", "SETNAME", "me")
            try await s.call("CLIENT", "GETNAME")
            try await s.call("PING")
            try await s.call("HELLO", "2", "AUTH", "default", "wrong", on: 1)
            try await s.call("HELLO", "2", "auth", "default", "secret", on: 1)
        },
        DifferentialCase(name: "requirepass set and cleared with CONFIG SET") { s in
            try await s.call("CONFIG", "SET", "requirepass", "pw")
            try await s.call("PING")
            try await s.call("PING", on: 1)
            try await s.call("AUTH", "wrong", on: 1)
            try await s.call("AUTH", "pw", on: 1)
            try await s.call("CONFIG", "GET", "requirepass", on: 1)
            try await s.call("CONFIG", "SET", "requirepass", "")
            try await s.call("PING", on: 2)
            try await s.call("AUTH", "pw", on: 2)
            try await s.call("AUTH", "default", "anything", on: 2)
        },
        DifferentialCase(name: "QUIT and RESET before AUTH", serverArguments: ["--requirepass", "secret"]) { s in
            try await s.call("RESET")
            try await s.call("PING")
            try await s.call("AUTH", "secret")
            try await s.call("PING")
            try await s.call("RESET")
            try await s.call("PING")
            try await s.send("QUIT")
            try await s.readUntilClosed()
        },
    ]
}
