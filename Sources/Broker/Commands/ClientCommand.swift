import NIOCore
import RESP

/// `CLIENT` and its subcommands.
enum ClientCommand {
    static let handlers: [String: CommandHandler] = [
        "client|id": { c in c.integer(Int64(c.client.id)) },
        "client|setname": setName,
        "client|getname": { c in
            if c.client.name.isEmpty { c.null() } else { c.bulk(bytes: c.client.name) }
        },
        "client|list": list,
        "client|info": { c in c.verbatim(describe(c.client, core: c.core) + "\n") },
        "client|kill": kill,
        "client|setinfo": setInfo,
        "client|reply": reply,
        "client|no-evict": noEvict,
        "client|pause": pause,
        "client|unpause": { c in
            c.core.unpause()
            c.ok()
        },
        "client|help": { c in
            c.help([
                "CACHING (YES|NO)", "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
                "GETREDIR", "    Return the client ID we are redirecting to when tracking is enabled.",
                "GETNAME", "    Return the name of the current connection.",
                "ID", "    Return the ID of the current connection.",
                "INFO", "    Return information about the current client connection.",
                "KILL <ip:port>", "    Kill connection made from <ip:port>.",
                "KILL <option> <value> [<option> <value> [...]]",
                "    Kill connections. Options are:",
                "    * ADDR (<ip:port>|<unixsocket>:0)", "      Kill connections made from the specified address",
                "    * LADDR (<ip:port>|<unixsocket>:0)", "      Kill connections made to specified local address",
                "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Kill connections by type.",
                "    * USER <username>", "      Kill connections authenticated by <username>.",
                "    * SKIPME (YES|NO)", "      Skip killing current connection (default: yes).",
                "LIST [options ...]", "    Return information about client connections. Options:",
                "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Return clients of specified type.",
                "UNPAUSE", "    Stop the current client pause, resuming traffic.",
                "PAUSE <timeout> [WRITE|ALL]",
                "    Suspend all, or just write, clients for <timeout> milliseconds.",
                "REPLY (ON|OFF|SKIP)", "    Control the replies sent to the current connection.",
                "SETNAME <name>", "    Assign the name <name> to the current connection.",
                "SETINFO <option> <value>", "    Set client meta attr. Options are:",
                "    * LIB-NAME: the client lib name.", "    * LIB-VER: the client lib version.",
                "UNBLOCK <clientid> [TIMEOUT|ERROR]", "    Unblock the specified blocked client.",
                "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
                "         [OPTIN] [OPTOUT] [NOLOOP]", "    Control server assisted client side caching.",
                "TRACKINGINFO", "    Report tracking status for the current connection.",
                "NO-EVICT (ON|OFF)", "    Protect current client connection from eviction.",
            ])
        },
    ]

    /// Redis accepts names of printable ASCII without spaces.
    static func isValidName(_ name: [UInt8]) -> Bool {
        name.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    static func setName(_ c: inout CommandContext) {
        let name = c.command.bytes(2)
        guard isValidName(name) else {
            c.error("Client names cannot contain spaces, newlines or special characters.")
            return
        }
        c.client.name = name
        c.ok()
    }

    static func setInfo(_ c: inout CommandContext) {
        let value = c.command.bytes(3)
        let attribute = c.command.lowercasedString(2)
        guard attribute == "lib-name" || attribute == "lib-ver" else {
            c.error("Unrecognized option '\(c.command.string(2))'")
            return
        }
        guard value.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }), attribute == "lib-ver" || !value.contains(0x20) else {
            c.error(
                "\(attribute == "lib-name" ? "lib-name" : "lib-ver") cannot contain spaces, newlines or special characters."
            )
            return
        }
        if attribute == "lib-name" { c.client.libraryName = value } else { c.client.libraryVersion = value }
        c.ok()
    }

    /// One `CLIENT LIST` line (without the newline), in Redis 7's field order.
    static func describe(_ s: ClientSession, core: BrokerCore) -> String {
        let now = BrokerCore.now()
        let omem = core.pendingOutputBytes(s)
        let name = String(decoding: s.name, as: UTF8.self)
        return "id=\(s.id) addr=\(s.remoteAddress) laddr=\(s.localAddress) fd=\(s.id + 7) name=\(name) "
            + "age=\(Int(now - s.createdAt)) idle=\(Int(now - s.lastInteraction)) flags=\(s.flagLetters) "
            + "db=\(s.database) sub=\(s.channels.count) psub=\(s.patterns.count) ssub=\(s.shardChannels.count) "
            + "multi=-1 qbuf=\(s.queryBufferBytes) qbuf-free=\(max(0, s.queryBufferCapacity - s.queryBufferBytes)) "
            + "argv-mem=0 multi-mem=0 rbs=\(s.queryBufferCapacity) rbp=\(s.queryBufferBytes) obl=\(min(omem, 16384)) "
            + "oll=\(omem > 16384 ? 1 : 0) omem=\(omem) tot-mem=\(s.queryBufferCapacity + s.output.capacity + 1024) "
            + "events=r\(s.output.readableBytes > 0 ? "w" : "") cmd=\(s.lastCommand) user=\(s.user) redir=-1 "
            + "resp=\(s.protocolVersion.rawValue) lib-name=\(String(decoding: s.libraryName, as: UTF8.self)) "
            + "lib-ver=\(String(decoding: s.libraryVersion, as: UTF8.self))"
    }

    enum ClientType: String {
        case normal, master, replica, slave, pubsub
    }

    static func type(of s: ClientSession) -> ClientType {
        s.isSubscriber ? .pubsub : .normal
    }

    static func parseType(_ text: String) -> ClientType? {
        ClientType(rawValue: text.lowercased()).map { $0 == .slave ? .replica : $0 }
    }

    static func list(_ c: inout CommandContext) {
        var selected = Array(c.core.clients.values)
        if c.argumentCount == 4 && c.command.equalsCaseInsensitive(2, "type") {
            guard let t = parseType(c.command.string(3)) else {
                c.error("Unknown client type '\(c.command.string(3))'")
                return
            }
            selected = selected.filter { type(of: $0) == t }
        } else if c.argumentCount > 3 && c.command.equalsCaseInsensitive(2, "id") {
            var ids: [UInt64] = []
            for i in 3..<c.argumentCount {
                guard let id = c.command.int64(i) else {
                    c.error("Invalid client ID")
                    return
                }
                if id > 0 { ids.append(UInt64(id)) }  // Redis just finds no client for 0 or less
            }
            selected = ids.compactMap { c.core.clients[$0] }
        } else if c.argumentCount != 2 {
            c.syntaxError()
            return
        }
        let text = selected.map { describe($0, core: c.core) + "\n" }.joined()
        c.verbatim(text)
    }

    static func kill(_ c: inout CommandContext) {
        let core = c.core
        if c.argumentCount == 3 {
            // Old form: CLIENT KILL addr:port.
            let address = c.command.string(2)
            guard let target = core.clients.values.first(where: { $0.remoteAddress == address }) else {
                c.error("No such client")
                return
            }
            c.ok()
            close(target, caller: c.client, core: core)
            return
        }
        var id: UInt64? = nil
        var clientType: ClientType? = nil
        var address: String? = nil
        var localAddress: String? = nil
        var user: String? = nil
        var skipMe = true
        var i = 2
        while i < c.argumentCount {
            guard i + 1 < c.argumentCount else {
                c.syntaxError()
                return
            }
            let option = c.command.lowercasedString(i)
            let value = c.command.string(i + 1)
            switch option {
            case "id":
                guard let n = c.command.int64(i + 1), n > 0 else {
                    c.error("client-id should be greater than 0")
                    return
                }
                id = UInt64(n)
            case "type":
                guard let t = parseType(value) else {
                    c.error("Unknown client type '\(value)'")
                    return
                }
                clientType = t
            case "addr": address = value
            case "laddr": localAddress = value
            case "user":
                // `default` is the only user there is.
                guard value == "default" else {
                    c.error("No such user '\(value)'")
                    return
                }
                user = value
            case "skipme":
                switch value.lowercased() {
                case "yes": skipMe = true
                case "no": skipMe = false
                default:
                    c.syntaxError()
                    return
                }
            default:
                c.syntaxError()
                return
            }
            i += 2
        }
        var killed = 0
        var killSelf = false
        for target in Array(core.clients.values) {
            if let id, target.id != id { continue }
            if let clientType, type(of: target) != clientType { continue }
            if let address, target.remoteAddress != address { continue }
            if let localAddress, target.localAddress != localAddress { continue }
            if let user, target.user != user { continue }
            if target === c.client {
                if skipMe { continue }
                killSelf = true
            } else {
                close(target, caller: c.client, core: core)
            }
            killed += 1
        }
        c.integer(killed)
        if killSelf { c.client.closeAfterReply = true }
    }

    private static func close(_ target: ClientSession, caller: ClientSession, core: BrokerCore) {
        if target === caller {
            target.closeAfterReply = true
        } else {
            core.kill(target)
        }
    }

    static func reply(_ c: inout CommandContext) {
        switch c.command.lowercasedString(2) {
        case "on":
            c.client.replyMode = .on
            c.ok()
        case "off":
            c.client.replyMode = .off
        case "skip":
            if c.client.replyMode != .off { c.client.replyMode = .skipNext }
        default:
            c.syntaxError()
        }
    }

    static func noEvict(_ c: inout CommandContext) {
        switch c.command.lowercasedString(2) {
        case "on":
            c.client.noEvict = true
            c.ok()
        case "off":
            c.client.noEvict = false
            c.ok()
        default:
            c.syntaxError()
        }
    }

    static func pause(_ c: inout CommandContext) {
        guard c.argumentCount <= 4 else {
            c.subcommandSyntaxError()
            return
        }
        // Redis reads the mode before the timeout.
        var all = true
        if c.argumentCount == 4 {
            switch c.command.lowercasedString(3) {
            case "write": all = false
            case "all": all = true
            default:
                c.error("CLIENT PAUSE mode must be WRITE or ALL")
                return
            }
        }
        guard let milliseconds = c.command.int64(2) else {
            c.error("timeout is not an integer or out of range")
            return
        }
        guard milliseconds >= 0 else {
            c.error("timeout is negative")
            return
        }
        // Redis adds the current time in milliseconds and does not check for overflow: a timeout
        // that wraps ends in the past, so it pauses nothing (and still replies OK).
        let now = Int64(BrokerCore.now() * 1000)
        let end = milliseconds > 0 ? milliseconds &+ now : 0
        c.core.pause(until: Double(end) / 1000, all: all)
        c.ok()
    }
}
