import NIOCore
import RESP

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `INFO`, `DBSIZE`, `FLUSHDB`, `FLUSHALL`, `TIME`, `MONITOR`, `DEBUG`, `FUNCTION`, `SHUTDOWN`.
enum ServerCommands {
    static let handlers: [String: CommandHandler] = [
        "info": info,
        "dbsize": { c in c.integer(c.core.databases[c.client.database].count) },
        "flushdb": { c in
            guard flushMode(&c) else { return }
            c.core.databases[c.client.database].removeAll()
            c.ok()
        },
        "flushall": { c in
            guard flushMode(&c) else { return }
            for i in c.core.databases.indices { c.core.databases[i].removeAll() }
            c.ok()
        },
        "time": { c in
            var tv = timeval()
            gettimeofday(&tv, nil)
            c.array(2)
            c.bulk(String(tv.tv_sec))
            c.bulk(String(tv.tv_usec))
        },
        "monitor": monitor,
        "debug": debug,
        "function|flush": { c in
            // No functions exist until scripting does, so there is nothing to delete.
            if c.argumentCount > 3 {
                c.subcommandSyntaxError()
                return
            }
            if c.argumentCount == 3
                && !(c.command.equalsCaseInsensitive(2, "async") || c.command.equalsCaseInsensitive(2, "sync"))
            {
                c.error("FUNCTION FLUSH only supports SYNC|ASYNC option")
                return
            }
            c.ok()
        },
        "function|help": { c in
            c.help([
                "FLUSH [ASYNC|SYNC]", "    Delete all the libraries.",
                "    When called without the optional mode argument, the behavior is determined by the",
                "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
                "    * ASYNC: Asynchronously flush the libraries.", "    * SYNC: Synchronously flush the libraries.",
            ])
        },
        "shutdown": shutdown,
    ]

    /// `FLUSHDB`/`FLUSHALL` accept only `SYNC` or `ASYNC`.
    static func flushMode(_ c: inout CommandContext) -> Bool {
        if c.argumentCount > 2
            || (c.argumentCount == 2 && !c.command.equalsCaseInsensitive(1, "sync")
                && !c.command.equalsCaseInsensitive(1, "async"))
        {
            c.syntaxError()
            return false
        }
        return true
    }

    static func monitor(_ c: inout CommandContext) {
        guard !c.client.isMonitor else { return }
        c.client.isMonitor = true
        c.core.monitors.append(c.client)
        c.ok()
    }

    static func debug(_ c: inout CommandContext) {
        let sub = c.command.lowercasedString(1)
        switch sub {
        case "sleep" where c.argumentCount == 3:
            // Like Redis, DEBUG SLEEP stalls the whole server: that is what it is for.
            // Redis reads the time with strtod and no check: text that is no number sleeps 0 seconds.
            let seconds = strtod(c.command.string(2), nil)
            if seconds > 0 { usleep(useconds_t(min(seconds, 3600) * 1_000_000)) }
            c.ok()
        case "help":
            c.help([
                "SLEEP <seconds>", "    Stop the server for <seconds>. Decimals allowed.",
            ])
        default:
            c.subcommandSyntaxError()
        }
    }

    static func shutdown(_ c: inout CommandContext) {
        var i = 1
        while i < c.argumentCount {
            switch c.command.lowercasedString(i) {
            case "nosave", "save", "now", "force":
                break
            case "abort":
                c.error("No shutdown in progress.")
                return
            default:
                c.syntaxError()
                return
            }
            i += 1
        }
        c.core.logger.notice("User requested shutdown...")
        // Redis closes the connection without a reply when it shuts down.
        c.core.onShutdown?()
    }
}
