import NIOCore
import RESP

extension BrokerCore {
    /// The commands a RESP2 connection may send while it is subscribed.
    static let subscribedContextCommands: Set<String> = [
        "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "quit", "reset",
    ]

    /// Resolves a command to its table entry, or replies with Redis's rejection.
    func resolve(_ client: ClientSession, _ command: RESPCommand) -> CommandSpec? {
        // Like Redis's `c->lastcmd`, `cmd=` of CLIENT LIST names the command being run (even one
        // then rejected), or NULL when there is no such command.
        client.lastCommand = "NULL"
        guard let base = commands.lookup(command, 0) else {
            rejectUnknownCommand(client, command)
            return nil
        }
        var spec = base
        if base.isContainer && command.count >= 2 {
            guard let sub = base.subcommands[command.lowercasedString(1)] else {
                var message = Array("ERR unknown subcommand '".utf8)
                command.withBytes(1) { message += Self.cString($0, limit: 128) }
                message += Array("'. Try \(command.string(0).uppercased()) HELP.".utf8)
                rejectBytes(client, message)
                return nil
            }
            spec = sub
        }
        client.lastCommand = spec.fullName
        guard spec.accepts(argumentCount: command.count) else {
            reject(client, spec, "wrong number of arguments for '\(spec.fullName)' command")
            return nil
        }
        if spec.isDebug && !isDebugAllowed(client) {
            reject(
                client, spec,
                "DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
            )
            return nil
        }
        if !client.isAuthenticated && !spec.flags.contains(.noAuth) {
            reject(client, spec, "-NOAUTH Authentication required.")
            return nil
        }
        if client.protocolVersion == .resp2 && client.isSubscriber
            && !Self.subscribedContextCommands.contains(spec.fullName)
        {
            reject(
                client, spec,
                "Can't execute '\(spec.fullName)': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
            )
            return nil
        }
        return spec
    }

    /// Redis's `allowProtectedAction` for `enable-debug-command`: `local` means 127.0.0.1, ::1 or a Unix socket.
    private func isDebugAllowed(_ client: ClientSession) -> Bool {
        switch configuration.enableDebugCommand {
        case "yes": return true
        case "local":
            guard let address = client.connection.remoteAddress else { return false }
            if case .unixDomainSocket = address { return true }
            return address.ipAddress == "127.0.0.1" || address.ipAddress == "::1"
        default: return false
        }
    }

    /// Runs one command for `client`, writing its reply into the client's output.
    ///
    /// The command is moved into the handler's context and back, not copied (a copy is a retain
    /// and a release of both its buffer and its argument array).
    func execute(_ client: ClientSession, _ command: inout RESPCommand, spec: CommandSpec) {
        let started = commandTimer.now()
        var context = CommandContext(core: self, client: client, command: RESPCommand.none, spec: spec)
        swap(&context.command, &command)
        spec.handler!(&context)
        swap(&context.command, &command)
        let elapsed = Int(truncatingIfNeeded: commandTimer.now() &- started)
        stats.totalCommandsProcessed += 1
        let failed = context.failed ? 1 : 0
        stats.commands.withUnsafeMutableBufferPointer { all in  // one uniqueness and bounds check
            all[spec.statsIndex].calls += 1
            all[spec.statsIndex].ticks += elapsed
            all[spec.statsIndex].failedCalls += failed
        }
        if !monitors.isEmpty && !spec.flags.contains(.admin) && !spec.flags.contains(.skipMonitor) {
            let redactFrom: Int? =
                switch spec.fullName {
                case "auth": 1
                case "hello": command.count > 2 ? 2 : nil
                default: nil
                }
            feedMonitors(client, command, redactFrom: redactFrom)
        }
    }

    /// Starts one request (a command, or an empty line or `*0` that Redis skips): a `CLIENT REPLY
    /// SKIP` sent just before applies to it, rejections included. Returns where its reply starts.
    func beginRequest(_ client: ClientSession) -> Int {
        if client.replyMode == .skipNext { client.replyMode = .skipThis }
        client.requestPushes = []
        return client.output.writerIndex
    }

    /// Ends a request begun at `mark`, dropping what it replied while `CLIENT REPLY` is OFF or SKIP.
    ///
    /// Pushes (subscription confirmations, messages) are kept, as Redis 7.0.15 keeps them.
    func endRequest(_ client: ClientSession, from mark: Int) {
        switch client.replyMode {
        case .off:
            dropReplies(client, from: mark)
        case .skipThis:
            dropReplies(client, from: mark)
            client.replyMode = .on
        case .on, .skipNext:
            break
        }
        client.requestPushes = nil
    }

    /// Forgets a request that `CLIENT PAUSE` holds back; it begins again when it runs.
    func holdRequest(_ client: ClientSession) {
        client.requestPushes = nil
    }

    /// Records bytes written to `client.output` from `start` as a push, if a request of its own runs.
    func notePush(_ client: ClientSession, from start: Int) {
        if client.requestPushes != nil { client.requestPushes!.append(start..<client.output.writerIndex) }
    }

    private func dropReplies(_ client: ClientSession, from mark: Int) {
        guard client.output.writerIndex > mark else { return }
        let kept = (client.requestPushes ?? []).compactMap {
            $0.lowerBound >= mark ? client.output.getSlice(at: $0.lowerBound, length: $0.count) : nil
        }
        client.output.moveWriterIndex(to: mark)
        for var push in kept { client.output.writeBuffer(&push) }
    }

    private func reject(_ client: ClientSession, _ spec: CommandSpec, _ message: String) {
        stats.commands[spec.statsIndex].rejectedCalls += 1
        replyError(client, message)
    }

    private func rejectBytes(_ client: ClientSession, _ message: [UInt8]) {
        client.output.writeInteger(UInt8(ascii: "-"))
        client.output.writeBytes(message.map { $0 == 0x0D || $0 == 0x0A ? 0x20 : $0 })
        client.output.writeStaticString("\r\n")
        countError(String(decoding: message.prefix { $0 != 0x20 }, as: UTF8.self))
    }

    private func rejectUnknownCommand(_ client: ClientSession, _ command: RESPCommand) {
        var message = Array("ERR unknown command '".utf8)
        command.withBytes(0) { message += Self.cString($0, limit: 128) }
        message += Array("', with args beginning with: ".utf8)
        var args: [UInt8] = []
        var i = 1
        while i < command.count && args.count < 128 {
            let remaining = 128 - args.count
            args.append(UInt8(ascii: "'"))
            command.withBytes(i) { args += Self.cString($0, limit: remaining) }
            args += Array("' ".utf8)
            i += 1
        }
        rejectBytes(client, message + args)
    }

    /// What C's `%.Ns` prints of a byte string: up to the first NUL, at most `limit` bytes.
    static func cString(_ bytes: UnsafeRawBufferPointer, limit: Int) -> [UInt8] {
        var out: [UInt8] = []
        for c in bytes {
            if c == 0 || out.count >= limit { break }
            out.append(c)
        }
        return out
    }
}
