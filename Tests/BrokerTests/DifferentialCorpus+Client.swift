import TestSupport

extension DifferentialCorpus {
    static let client: [DifferentialCase] = [
        DifferentialCase(name: "CLIENT SETNAME and GETNAME") { s in
            try await s.call("CLIENT", "GETNAME")
            try await s.call("CLIENT", "SETNAME", "worker-1")
            try await s.call("CLIENT", "GETNAME")
            try await s.call("CLIENT", "SETNAME", "has space")
            try await s.call("CLIENT", "SETNAME", "new\nline")
            try await s.call("CLIENT", "SETNAME", "tab\tx")
            try await s.call("CLIENT", "SETNAME", "caf\u{e9}")
            try await s.call("CLIENT", "GETNAME")
            try await s.call("CLIENT", "SETNAME", "")
            try await s.call("CLIENT", "GETNAME")
            try await s.call("client", "setname", "~!@#$%^&*()_+{}|:<>?")
            try await s.call("CLIENT", "GETNAME")
        },
        DifferentialCase(name: "CLIENT GETNAME in RESP3", normalize: clientID) { s in
            try await s.call("HELLO", "3", "SETNAME", "r3")
            try await s.call("CLIENT", "GETNAME")
            try await s.call("CLIENT", "SETNAME", "")
            try await s.call("CLIENT", "GETNAME")
        },
        DifferentialCase(
            name: "CLIENT ID",
            // Redis's ids start after the ids its internal clients took; only the digits are compared away.
            normalize: { clientID(replacing("^(\\[[0-9]\\]) :[0-9]+\\\\r\\\\n$", with: "$1 :<id>\\\\r\\\\n")($0)) }
        ) { s in
            try await s.call("CLIENT", "ID")
            try await s.call("CLIENT", "ID", on: 1)
            try await s.call("HELLO", "3", on: 1)
            try await s.call("client", "id", on: 1)
        },
        DifferentialCase(name: "CLIENT REPLY ON, OFF and SKIP") { s in
            try await s.call("CLIENT", "REPLY", "ON")
            try await s.send("CLIENT", "REPLY", "OFF")
            try await s.send("PING")
            try await s.send("ECHO", "silent")
            try await s.send("NOSUCH")
            try await s.send("ECHO")
            try await s.call("CLIENT", "REPLY", "ON")
            try await s.call("PING", "back")
            try await s.send("CLIENT", "REPLY", "SKIP")
            try await s.send("PING", "skipped")
            try await s.call("PING", "shown")
            try await s.send("CLIENT", "REPLY", "SKIP")
            try await s.send("CLIENT", "REPLY", "SKIP")
            try await s.send("PING", "skipped after two skips")
            try await s.call("PING", "after two skips")
            try await s.send("CLIENT", "REPLY", "OFF")
            try await s.send("CLIENT", "REPLY", "SKIP")
            try await s.send("PING", "off")
            try await s.send("PING", "still off")
            try await s.call("CLIENT", "REPLY", "ON")
            try await s.call("PING", "on again")
            try await s.send("CLIENT", "REPLY", "SKIP")
            try await s.call("CLIENT", "REPLY", "ON")
            try await s.call("PING", "after skip then on")
            try await s.call("CLIENT", "REPLY", "MAYBE")
            try await s.call("client", "reply", "on")
        },
        DifferentialCase(name: "CLIENT REPLY SKIP before an error or an empty command") { s in
            try await s.send("CLIENT", "REPLY", "SKIP")
            try await s.send("ECHO")
            try await s.call("PING")
            try await s.send("CLIENT", "REPLY", "SKIP")
            try await s.send("NOSUCH")
            try await s.call("PING", "x")
            try await s.send("CLIENT", "REPLY", "SKIP")
            try await s.send(raw: "*0\r\n")
            try await s.call("PING", "after empty")
            try await s.send("CLIENT", "REPLY", "SKIP")
            try await s.send(raw: "\r\n")
            try await s.call("PING", "after empty line")
            try await s.send(raw: "CLIENT REPLY SKIP\r\nPING a\r\nPING b\r\n")
            try await s.read()
        },
        DifferentialCase(name: "CLIENT REPLY OFF and SKIP keep pushes (RESP2)") { s in
            try await s.send("CLIENT", "REPLY", "OFF")
            try await s.send("SUBSCRIBE", "me", "too")
            try await s.read(2)
            try await s.call("PUBLISH", "me", "from outside", on: 1)
            try await s.read()
            // PING (silenced by REPLY OFF) is sent only once nothing is in flight here: sent before the
            // PUBLISH on connection 1, a reply from it could arrive before or after the message.
            try await s.send("PING")
            try await s.send("UNSUBSCRIBE", "me", "too")
            try await s.read(2)
            try await s.send("UNSUBSCRIBE")
            try await s.read()
            try await s.send("CLIENT", "REPLY", "SKIP")
            try await s.send("CLIENT", "REPLY", "ON")
            try await s.send("CLIENT", "REPLY", "SKIP")
            try await s.send("PSUBSCRIBE", "p*")
            try await s.read(2)
            try await s.call("PING")
        },
        DifferentialCase(name: "CLIENT REPLY OFF and SKIP keep pushes (RESP3)", normalize: clientID) { s in
            try await s.call("HELLO", "3")
            try await s.send("CLIENT", "REPLY", "OFF")
            try await s.send("SUBSCRIBE", "me")
            try await s.read()
            try await s.send("PUBLISH", "me", "to myself")
            try await s.read()
            try await s.send("SSUBSCRIBE", "sme")
            try await s.send("SPUBLISH", "sme", "shard to myself")
            try await s.read(2)
            try await s.call("CLIENT", "REPLY", "ON")
            try await s.send("CLIENT", "REPLY", "SKIP")
            try await s.send("PUBLISH", "me", "skipped count")
            try await s.read()
            try await s.call("PUBLISH", "me", "counted")
            try await s.read()
        },
        DifferentialCase(name: "CLIENT REPLY OFF still delivers messages", normalize: clientID) { s in
            try await s.call("HELLO", "3", on: 1)
            try await s.call("SUBSCRIBE", "news", on: 1)
            try await s.send("CLIENT", "REPLY", "OFF", on: 1)
            try await s.send("PING", on: 1)
            // Subscribing again is confirmed even with replies off: once that push is read, CLIENT REPLY
            // OFF and PING have run (PING replying nothing), so the PUBLISH cannot overtake them.
            try await s.send("SUBSCRIBE", "news", on: 1)
            try await s.read(on: 1)
            try await s.call("PUBLISH", "news", "lost")
            // Read the push before turning replies on, so that +OK is what the next call waits for;
            // otherwise the next PUBLISH could race the CLIENT REPLY ON on the other connection.
            try await s.read(on: 1)
            try await s.call("CLIENT", "REPLY", "ON", on: 1)
            try await s.call("PUBLISH", "news", "seen")
            try await s.read(on: 1)
        },
        DifferentialCase(name: "CLIENT NO-EVICT") { s in
            try await s.call("CLIENT", "NO-EVICT", "ON")
            try await s.call("CLIENT", "NO-EVICT", "off")
            try await s.call("CLIENT", "NO-EVICT", "maybe")
            try await s.call("CLIENT", "NO-EVICT", "on", "x")
        },
        DifferentialCase(name: "CLIENT PAUSE and UNPAUSE argument errors") { s in
            try await s.call("CLIENT", "PAUSE", "abc")
            try await s.call("CLIENT", "PAUSE", "-1")
            try await s.call("CLIENT", "PAUSE", "1.5")
            try await s.call("CLIENT", "PAUSE", "10", "NONE")
            try await s.call("CLIENT", "PAUSE", "abc", "NONE")
            try await s.call("CLIENT", "PAUSE", "10", "WRITE", "x")
            try await s.call("CLIENT", "PAUSE", "99999999999999999999")
            try await s.call("CLIENT", "PAUSE", "9223372036854775807")
            try await s.call("CLIENT", "PAUSE", "9223372036854775807", "WRITE")
            try await s.call("CLIENT", "PAUSE", "0")
            try await s.call("CLIENT", "PAUSE", "0", "write")
            try await s.call("CLIENT", "PAUSE", "0", "ALL")
            try await s.call("CLIENT", "UNPAUSE")
            try await s.call("PING")
        },
        DifferentialCase(name: "CLIENT PAUSE WRITE lets reads through") { s in
            try await s.call("CLIENT", "PAUSE", "100000", "WRITE")
            try await s.call("PING", on: 1)
            try await s.call("ECHO", "e", on: 1)
            try await s.call("CLIENT", "UNPAUSE")
            try await s.call("PUBLISH", "c", "m", on: 1)
        },
        DifferentialCase(name: "CLIENT KILL errors") { s in
            try await s.call("CLIENT", "KILL", "1.2.3.4:5")
            try await s.call("CLIENT", "KILL", "nonsense")
            try await s.call("CLIENT", "KILL", "ID", "abc")
            try await s.call("CLIENT", "KILL", "ID", "0")
            try await s.call("CLIENT", "KILL", "ID", "-5")
            try await s.call("CLIENT", "KILL", "ID", "999999")
            try await s.call("CLIENT", "KILL", "TYPE", "bogus")
            try await s.call("CLIENT", "KILL", "TYPE", "PubSub")
            try await s.call("CLIENT", "KILL", "TYPE", "master")
            try await s.call("CLIENT", "KILL", "TYPE", "slave")
            try await s.call("CLIENT", "KILL", "USER", "nobody")
            try await s.call("CLIENT", "KILL", "USER", "default")
            try await s.call("CLIENT", "KILL", "SKIPME", "maybe")
            try await s.call("CLIENT", "KILL", "ADDR", "1.2.3.4:5")
            try await s.call("CLIENT", "KILL", "LADDR", "1.2.3.4:5")
            try await s.call("CLIENT", "KILL", "ADDR", "1.2.3.4:5", "BOGUS", "x")
            try await s.call("CLIENT", "KILL", "ADDR")
            try await s.call("CLIENT", "KILL", "ADDR", "x", "ID")
            try await s.call("CLIENT", "KILL", "ID", "abc", "TYPE", "bogus")
            try await s.call("PING")
        },
        DifferentialCase(name: "CLIENT KILL by type and self") { s in
            try await s.call("SUBSCRIBE", "k", on: 1)
            try await s.call("CLIENT", "KILL", "TYPE", "pubsub")
            try await s.readUntilClosed(on: 1)
            try await s.call("CLIENT", "KILL", "TYPE", "normal")
            try await s.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no")
            try await s.readUntilClosed()
        },
        DifferentialCase(name: "CLIENT LIST filters", normalize: clientID) { s in
            try await s.call("CLIENT", "LIST", "TYPE", "bogus")
            try await s.call("CLIENT", "LIST", "TYPE", "pubsub")
            try await s.call("CLIENT", "LIST", "TYPE", "master")
            try await s.call("CLIENT", "LIST", "TYPE", "replica")
            try await s.call("CLIENT", "LIST", "TYPE")
            try await s.call("CLIENT", "LIST", "ID", "abc")
            try await s.call("CLIENT", "LIST", "ID", "0")
            try await s.call("CLIENT", "LIST", "ID", "-1", "999999")
            try await s.call("CLIENT", "LIST", "ID", "5", "x")
            try await s.call("CLIENT", "LIST", "FOO", "bar")
            try await s.call("CLIENT", "LIST", "x")
            try await s.call("HELLO", "3", on: 1)
            try await s.call("CLIENT", "LIST", "TYPE", "master", on: 1)
        },
        DifferentialCase(name: "CLIENT unknown subcommand and HELP arity") { s in
            try await s.call("CLIENT", "NOSUCH")
            try await s.call("CLIENT", "NOSUCH", "a", "b")
            try await s.call("CLIENT", "help", "x")
        },
        DifferentialCase(name: "CLIENT in RESP2 subscribed context", normalize: clientID) { s in
            try await s.call("SUBSCRIBE", "c")
            try await s.call("CLIENT", "ID")
            try await s.call("CLIENT", "NOSUCH")
            try await s.call("CLIENT", "SETNAME")
            try await s.call("ECHO", "x")
            try await s.call("SELECT", "1")
            try await s.call("CONFIG", "GET", "hz")
            try await s.call("NOSUCH")
            try await s.call("HELLO")
            try await s.call("AUTH", "x")
        },
    ]
}
