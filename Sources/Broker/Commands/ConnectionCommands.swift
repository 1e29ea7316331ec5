import NIOCore
import RESP

/// `AUTH`, `ECHO`, `HELLO`, `PING`, `QUIT`, `RESET`, `SELECT`.
enum ConnectionCommands {
    static let handlers: [String: CommandHandler] = [
        "auth": auth, "echo": echo, "hello": hello, "ping": ping, "quit": quit, "reset": reset, "select": select,
    ]

    static func ping(_ c: inout CommandContext) {
        if c.argumentCount > 2 {
            c.arityError()
            return
        }
        if c.version == .resp2 && c.client.isSubscriber {
            c.array(2)
            c.bulk("pong")
            if c.argumentCount == 2 { c.bulk(buffer: c.command.slice(1)) } else { c.bulk("") }
            return
        }
        if c.argumentCount == 2 { c.bulk(buffer: c.command.slice(1)) } else { c.status("PONG") }
    }

    static func echo(_ c: inout CommandContext) {
        c.bulk(buffer: c.command.slice(1))
    }

    static func quit(_ c: inout CommandContext) {
        c.ok()
        c.client.closeAfterReply = true
    }

    static func select(_ c: inout CommandContext) {
        guard let id = c.databaseArgument(1) else { return }
        c.client.database = id
        c.ok()
    }

    /// Checks a user's password the way the `default` user (the only user) does.
    static func authenticate(_ c: inout CommandContext, user: [UInt8], password: [UInt8]) -> Bool {
        let ok: Bool
        if user == Array("default".utf8) {
            if let required = c.core.configuration.requirePass {
                ok = password == Array(required.utf8)
            } else {
                ok = true
            }
        } else {
            ok = false
        }
        if ok {
            c.client.isAuthenticated = true
            c.client.user = "default"
        } else {
            c.error("-WRONGPASS invalid username-password pair or user is disabled.")
        }
        return ok
    }

    static func auth(_ c: inout CommandContext) {
        if c.argumentCount > 3 {
            c.syntaxError()
            return
        }
        if c.argumentCount == 2 {
            guard c.core.configuration.requirePass != nil else {
                c.error(
                    "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
                )
                return
            }
            if authenticate(&c, user: Array("default".utf8), password: c.command.bytes(1)) { c.ok() }
        } else {
            if authenticate(&c, user: c.command.bytes(1), password: c.command.bytes(2)) { c.ok() }
        }
    }

    static func hello(_ c: inout CommandContext) {
        var version: Int64 = 0
        var next = 1
        if c.argumentCount >= 2 {
            guard let v = c.command.int64(1) else {
                c.error("Protocol version is not an integer or out of range")
                return
            }
            next = 2
            guard v == 2 || v == 3 else {
                c.error("-NOPROTO unsupported protocol version")
                return
            }
            version = v
        }
        // Redis 7.0 acts on each option as it reads it: AUTH authenticates and SETNAME renames at
        // once, even when a later option (or the NOAUTH check) then fails.
        var j = next
        while j < c.argumentCount {
            let more = c.argumentCount - 1 - j
            if c.command.equalsCaseInsensitive(j, "auth") && more >= 2 {
                guard authenticate(&c, user: c.command.bytes(j + 1), password: c.command.bytes(j + 2)) else { return }
                j += 3
            } else if c.command.equalsCaseInsensitive(j, "setname") && more >= 1 {
                let name = c.command.bytes(j + 1)
                guard ClientCommand.isValidName(name) else {
                    c.error("Client names cannot contain spaces, newlines or special characters.")
                    return
                }
                c.client.name = name
                j += 2
            } else {
                c.error("Syntax error in HELLO option '\(c.command.string(j))'")
                return
            }
        }
        guard c.client.isAuthenticated else {
            c.error(
                "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
            )
            return
        }
        if version != 0 { c.client.protocolVersion = version == 3 ? .resp3 : .resp2 }
        c.map(7)
        c.bulk("server")
        c.bulk("redis")
        c.bulk("version")
        c.bulk(BrokerInfo.redisVersion)
        c.bulk("proto")
        c.integer(c.client.protocolVersion.rawValue)
        c.bulk("id")
        c.integer(Int64(c.client.id))
        c.bulk("mode")
        c.bulk("standalone")
        c.bulk("role")
        c.bulk("master")
        c.bulk("modules")
        c.array(0)
    }

    static func reset(_ c: inout CommandContext) {
        let client = c.client
        let core = c.core
        core.pubsub.removeAll(client)
        if client.isMonitor {
            client.isMonitor = false
            core.monitors.removeAll { $0 === client }
        }
        client.database = 0
        client.protocolVersion = .resp2
        client.name = []
        client.replyMode = .on
        client.isAuthenticated = core.configuration.requirePass == nil
        client.user = "default"
        c.status("RESET")
    }
}
