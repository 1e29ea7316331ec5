import TestSupport

extension DifferentialCorpus {
    /// Raw bytes, protocol errors (replied, then the connection is closed) and inline commands.
    static let protocolErrors: [DifferentialCase] = [
        DifferentialCase(name: "protocol error: invalid multibulk length") { s in
            try await s.send(raw: "*abc\r\n")
            try await s.readUntilClosed()
        },
        DifferentialCase(name: "protocol error: multibulk length out of range") { s in
            try await s.send(raw: "*3000000000\r\n")
            try await s.readUntilClosed()
        },
        DifferentialCase(name: "protocol error: expected dollar") { s in
            try await s.send(raw: "*1\r\nfoo\r\n")
            try await s.readUntilClosed()
        },
        DifferentialCase(name: "protocol error: expected dollar got a line ending") { s in
            try await s.send(raw: "*2\r\n$4\r\nPING\r\n\r\n")
            try await s.readUntilClosed()
        },
        DifferentialCase(name: "protocol error: negative bulk length") { s in
            try await s.send(raw: "*1\r\n$-5\r\n")
            try await s.readUntilClosed()
        },
        DifferentialCase(name: "protocol error: bulk length not a number") { s in
            try await s.send(raw: "*1\r\n$x\r\n")
            try await s.readUntilClosed()
        },
        DifferentialCase(name: "protocol error: bulk length over 512MB") { s in
            try await s.send(raw: "*1\r\n$536870913\r\n")
            try await s.readUntilClosed()
        },
        DifferentialCase(name: "replies before a protocol error are kept") { s in
            try await s.send(raw: "PING\r\n*1\r\n$4\r\nECHO\r\n*1\r\n$-1\r\n")
            try await s.readUntilClosed()
        },
        DifferentialCase(name: "protocol error: unbalanced quotes") { s in
            try await s.send(raw: "ECHO \"abc\r\n")
            try await s.readUntilClosed()
        },
        DifferentialCase(name: "protocol error: closing quote followed by a character") { s in
            try await s.send(raw: "ECHO \"abc\"d\r\n")
            try await s.readUntilClosed()
        },
        DifferentialCase(name: "protocol error: unbalanced single quote") { s in
            try await s.send(raw: "ECHO 'abc\r\n")
            try await s.readUntilClosed()
        },
        DifferentialCase(name: "inline commands with quotes") { s in
            try await s.send(raw: "PING \"a b\"\r\n")
            try await s.read()
            try await s.send(raw: "ECHO 'x'\r\n")
            try await s.read()
            try await s.send(raw: "ECHO \"\\x41\\n\\t\\\\q\"\r\n")
            try await s.read()
            try await s.send(raw: "ECHO 'it\\'s'\r\n")
            try await s.read()
            try await s.send(raw: "ECHO \"\"\r\n")
            try await s.read()
            try await s.send(raw: "  ping   \r\n")
            try await s.read()
            try await s.send(raw: "ECHO a\tb\r\n")
            try await s.read()
            try await s.send(raw: "PING\n")
            try await s.read()
            try await s.send(raw: "ECHO a b\r\n")
            try await s.read()
        },
        DifferentialCase(name: "empty lines and empty multibulk are skipped") { s in
            try await s.send(raw: "\r\n\r\n\nPING\r\n")
            try await s.read()
            try await s.send(raw: "*0\r\nPING\r\n")
            try await s.read()
            try await s.send(raw: "*-1\r\n*0\r\n*1\r\n$4\r\nPING\r\n")
            try await s.read()
            try await s.send(raw: "   \r\nECHO x\r\n")
            try await s.read()
        },
        DifferentialCase(name: "pipelined commands in one write") { s in
            try await s.send(raw: "*1\r\n$4\r\nPING\r\nECHO inline\r\n*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n")
            try await s.read(3)
        },
        DifferentialCase(name: "command split across writes") { s in
            try await s.send(raw: "*2\r\n$4\r\nEC")
            try await s.send(raw: "HO\r\n$5\r\nhel")
            try await s.send(raw: "lo\r\n")
            try await s.read()
        },
        DifferentialCase(name: "bulk not followed by CRLF is still read") { s in
            try await s.send(raw: "*2\r\n$4\r\nECHO\r\n$3\r\nabcXY")
            try await s.read()
            try await s.call("PING")
        },
        DifferentialCase(
            name: "protocol error: unauthenticated multibulk length", serverArguments: ["--requirepass", "secret"]
        ) { s in
            try await s.send(raw: "*11\r\n")
            try await s.readUntilClosed()
        },
        DifferentialCase(name: "ten arguments before AUTH are fine", serverArguments: ["--requirepass", "secret"]) {
            s in
            try await s.call(["nosuch", "1", "2", "3", "4", "5", "6", "7", "8", "9"])
            try await s.call(["PING", "1", "2", "3", "4", "5", "6", "7", "8", "9"])
        },
        DifferentialCase(
            name: "protocol error: unauthenticated bulk length", serverArguments: ["--requirepass", "secret"]
        ) { s in
            try await s.send(raw: "*2\r\n$4\r\nECHO\r\n$16385\r\n")
            try await s.readUntilClosed()
        },
        DifferentialCase(name: "long arguments after AUTH", serverArguments: ["--requirepass", "secret"]) { s in
            try await s.call("AUTH", "secret")
            try await s.call("ECHO", String(repeating: "z", count: 20000))
            try await s.call(["nosuch"] + (1...20).map(String.init))
        },
        DifferentialCase(name: "protocol error: too big inline request") { s in
            // Exactly one byte over the 64 KB limit, so the server has read everything when it closes.
            try await s.send(raw: String(repeating: "A", count: 64 * 1024 + 1))
            try await s.readUntilClosed()
        },
        DifferentialCase(name: "protocol error: too big multibulk count string") { s in
            try await s.send(raw: "*" + String(repeating: "1", count: 64 * 1024))
            try await s.readUntilClosed()
        },
        DifferentialCase(name: "protocol error: too big bulk count string") { s in
            // The count line alone must pass 64 KB; what came before it in the buffer does not count.
            try await s.send(raw: "*1\r\n$" + String(repeating: "1", count: 64 * 1024))
            try await s.readUntilClosed()
        },
        DifferentialCase(name: "long inline command under the limit") { s in
            try await s.send(raw: "ECHO " + String(repeating: "b", count: 60000) + "\r\n")
            try await s.read()
        },
        DifferentialCase(name: "a thousand pipelined commands in one write") { s in
            try await s.send(
                raw: String(repeating: "*1\r\n$4\r\nPING\r\n", count: 500) + String(repeating: "PING\r\n", count: 500))
            try await s.read(1000)
        },
        DifferentialCase(name: "empty command name") { s in
            try await s.send(raw: "*1\r\n$0\r\n\r\n")
            try await s.read()
            try await s.send(raw: "*2\r\n$0\r\n\r\n$1\r\nx\r\n")
            try await s.read()
        },
        DifferentialCase(name: "commands after QUIT in the same write are not run") { s in
            try await s.send(raw: "PING\r\nQUIT\r\nPING\r\nECHO never\r\n")
            try await s.readUntilClosed()
        },
        DifferentialCase(name: "commands after a protocol error in the same write are not run") { s in
            try await s.send(raw: "ECHO a\r\n*x\r\nPING\r\n")
            try await s.readUntilClosed()
        },
        DifferentialCase(name: "inline commands in RESP2 subscribed mode") { s in
            try await s.send(raw: "SUBSCRIBE a\r\n")
            try await s.read()
            try await s.send(raw: "PING\r\nPING x\r\nECHO y\r\nUNSUBSCRIBE\r\nECHO z\r\n")
            try await s.read(5)
        },
        DifferentialCase(name: "command ends exactly at the end of a read, then more") { s in
            try await s.send(raw: "*2\r\n$4\r\nECHO\r\n$1\r\na\r\n*2\r\n$4\r")
            try await s.read()
            try await s.send(raw: "\nECHO\r\n$1\r\nb\r\n")
            try await s.read()
        },
        DifferentialCase(name: "large publish payload") { s in
            try await s.call("SUBSCRIBE", "big", on: 1)
            try await s.call("PUBLISH", "big", String(repeating: "0123456789", count: 20000))
            try await s.read(on: 1)
        },
        DifferentialCase(name: "protocol error in RESP3", normalize: clientID) { s in
            try await s.call("HELLO", "3")
            try await s.send(raw: "*1\r\n$x\r\n")
            try await s.readUntilClosed()
        },
    ]
}
