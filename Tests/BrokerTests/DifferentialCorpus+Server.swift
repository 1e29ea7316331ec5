import TestSupport

extension DifferentialCorpus {
    static let server: [DifferentialCase] = [
        DifferentialCase(name: "DBSIZE, FLUSHDB and FLUSHALL") { s in
            try await s.call("DBSIZE")
            try await s.call("FLUSHDB")
            try await s.call("FLUSHDB", "SYNC")
            try await s.call("flushdb", "async")
            try await s.call("FLUSHDB", "LAZY")
            try await s.call("FLUSHDB", "SYNC", "ASYNC")
            try await s.call("FLUSHALL")
            try await s.call("FLUSHALL", "sync")
            try await s.call("FLUSHALL", "ASYNC")
            try await s.call("FLUSHALL", "now")
            try await s.call("FLUSHALL", "")
            try await s.call("DBSIZE")
        },
        DifferentialCase(
            name: "TIME shape",
            // The clock differs between the runs; only the digits of seconds and microseconds are hidden.
            normalize: {
                clientID(
                    replacing(#"\*2\\r\\n\$[0-9]+\\r\\n[0-9]+\\r\\n\$[0-9]+\\r\\n[0-9]+\\r\\n"#, with: "<time>")($0))
            }
        ) { s in
            try await s.call("TIME")
            try await s.call("HELLO", "3")
            try await s.call("TIME")
        },
        DifferentialCase(name: "DEBUG is refused by default") { s in
            try await s.call("DEBUG", "SLEEP", "0")
            try await s.call("DEBUG", "HELP")
            try await s.call("DEBUG")
            try await s.call("CONFIG", "GET", "enable-debug-command")
            try await s.call("CONFIG", "SET", "enable-debug-command", "yes")
        },
        DifferentialCase(name: "DEBUG allowed to local clients", serverArguments: ["--enable-debug-command", "local"]) {
            s in
            try await s.call("DEBUG", "SLEEP", "0")
            try await s.call("CONFIG", "GET", "enable-debug-command")
        },
        DifferentialCase(
            name: "DEBUG SLEEP 0 and unknown DEBUG subcommands", serverArguments: ["--enable-debug-command", "yes"]
        ) { s in
            try await s.call("DEBUG", "SLEEP", "0")
            try await s.call("debug", "sleep", "0.0")
            try await s.call("DEBUG", "SLEEP", "abc")
            try await s.call("DEBUG", "NOSUCH")
            try await s.call("DEBUG", "nosuch", "a", "b")
        },
        DifferentialCase(name: "FUNCTION FLUSH") { s in
            try await s.call("FUNCTION", "FLUSH")
            try await s.call("FUNCTION", "FLUSH", "SYNC")
            try await s.call("function", "flush", "async")
            try await s.call("FUNCTION", "FLUSH", "LATER")
            try await s.call("FUNCTION", "FLUSH", "SYNC", "x")
            try await s.call("FUNCTION", "NOSUCH")
        },
        DifferentialCase(name: "COMMAND INFO of plain commands", normalize: clientID) { s in
            try await s.call("COMMAND", "INFO", "publish")
            try await s.call("COMMAND", "INFO", "PING")
            try await s.call("COMMAND", "INFO", "echo", "subscribe")
            try await s.call("COMMAND", "INFO", "nosuch")
            try await s.call("COMMAND", "INFO", "client|id")
            try await s.call("COMMAND", "INFO", "config|get")
            try await s.call("COMMAND", "INFO", "pubsub|numsub")
            try await s.call("HELLO", "3")
            try await s.call("COMMAND", "INFO", "spublish", "auth", "hello")
        },
        DifferentialCase(
            name: "HELP of CLIENT, CONFIG, COMMAND and PUBSUB",
            // CLIENT SETINFO came in Redis 7.2; the broker has it and lists it (four lines) in CLIENT HELP.
            normalize: {
                replacing(
                    #"\*52(\\r\\n\+CLIENT <subcommand>.*)\+SETINFO <option> <value>\\r\\n"#
                        + #"\+    Set client meta attr. Options are:\\r\\n"#
                        + #"\+    \* LIB-NAME: the client lib name.\\r\\n\+    \* LIB-VER: the client lib version.\\r\\n"#,
                    with: "*48$1")($0)
            }
        ) { s in
            // DEBUG HELP and FUNCTION HELP are left out: they list subcommands the broker does not have.
            try await s.call("CLIENT", "HELP")
            try await s.call("config", "help")
            try await s.call("COMMAND", "HELP")
            try await s.call("PubSub", "Help")
        },
        DifferentialCase(
            name: "MONITOR",
            // Timestamps and client ports differ between runs; only those are hidden.
            normalize: replacing(#"\+[0-9]+\.[0-9]{6} \[([0-9]+) 127\.0\.0\.1:[0-9]+\]"#, with: "+<time> [$1 <addr>]")
        ) { s in
            try await s.call("MONITOR", on: 1)
            try await s.call("PING")
            try await s.call("ECHO", "quote\" back\\slash \u{1}\r\n\t")
            try await s.call("SELECT", "2")
            try await s.call("PUBLISH", "ch", "msg")
            try await s.call("AUTH", "user", "pass")
            try await s.call("CONFIG", "SET", "timeout", "0")
            try await s.call("NOSUCH")
            try await s.call("ECHO")
            // Admin commands (CONFIG) and rejected ones are not shown: five lines.
            try await s.read(5, on: 1)
            // A second MONITOR gets no reply. It is sent only once connection 0 is idle: SUBSCRIBE's reply,
            // next on this connection, then shows it replied nothing, whatever the timing.
            try await s.send("MONITOR", on: 1)
            // A monitor sees its own commands too, each line right after the command's reply: read both,
            // so every call waits for its own reply.
            try await s.call("SUBSCRIBE", "x", on: 1)
            try await s.read(on: 1)
            try await s.call("PSUBSCRIBE", "x*", on: 1)
            try await s.read(on: 1)
            try await s.call("SSUBSCRIBE", "x", on: 1)
            try await s.read(on: 1)
            try await s.call("PING", "from monitor", on: 1)
            try await s.read(on: 1)
        },
        DifferentialCase(name: "INFO with an unknown section", normalize: clientID) { s in
            try await s.call("INFO", "nosuchsection")
            try await s.call("HELLO", "3")
            try await s.call("INFO", "nosuchsection")
        },
        DifferentialCase(
            name: "CLIENT INFO fields",
            // Ids, addresses, ages, descriptor numbers and memory sizes differ by nature between the
            // two servers; lib-name and lib-ver came in Redis 7.2 (the broker has CLIENT SETINFO).
            normalize: { line in
                var out = replacing(#"^(\[[0-9]\] )[$=][0-9]+\\r\\n(txt:)?"#, with: "$1<len>")(clientID(line))
                for field in [
                    "id", "addr", "laddr", "fd", "age", "idle", "qbuf", "qbuf-free", "argv-mem", "rbs", "rbp",
                    "tot-mem",
                ] {
                    // A field starts the reply, follows a space, or follows an escaped newline.
                    out = replacing("(>| |\\\\n)\(field)=[^ \\\\]+", with: "$1\(field)=<n>")(out)
                }
                return replacing(#" lib-name=[^ \\]* lib-ver=[^ \\]*"#, with: "")(out)
            }
        ) { s in
            try await s.call("CLIENT", "INFO")
            try await s.call("CLIENT", "SETNAME", "named")
            try await s.call("SELECT", "3")
            try await s.call("CLIENT", "INFO")
            try await s.call("HELLO", "3")
            try await s.call("SUBSCRIBE", "a", "b")
            try await s.read()
            try await s.call("PSUBSCRIBE", "p*")
            try await s.call("SSUBSCRIBE", "s")
            try await s.call("CLIENT", "NO-EVICT", "on")
            try await s.call("CLIENT", "INFO")
            try await s.call("SUBSCRIBE", "z", on: 1)
            try await s.call("PING", on: 1)
            try await s.call("CLIENT", "LIST", "TYPE", "pubsub", on: 2)
            try await s.call("NOSUCH", on: 1)
            try await s.call("CLIENT", "LIST", "TYPE", "pubsub", on: 2)
            try await s.call("ECHO", on: 1)
            try await s.call("CLIENT", "LIST", "TYPE", "pubsub", on: 2)
        },
        DifferentialCase(name: "COMMAND GETKEYS") { s in
            try await s.call("COMMAND", "GETKEYS", "PUBLISH", "ch", "msg")
            try await s.call("COMMAND", "GETKEYS", "SPUBLISH", "ch", "msg")
            try await s.call("COMMAND", "GETKEYS", "SSUBSCRIBE", "a", "b")
            try await s.call("COMMAND", "GETKEYSANDFLAGS", "SPUBLISH", "ch", "msg")
            try await s.call("COMMAND", "GETKEYS", "PING")
            try await s.call("COMMAND", "GETKEYS", "NOSUCH", "x")
            try await s.call("COMMAND", "GETKEYS", "PUBLISH", "x")
        },
    ]
}
