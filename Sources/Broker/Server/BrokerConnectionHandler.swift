import NIOCore
import RESP

/// Reads one client's commands from its socket and runs them on the broker's event loop.
///
/// Bytes accumulate in a query buffer; commands are parsed as argument slices of it, executed in
/// order, and their replies collected in the session's output, flushed once per read batch.
///
/// Its hot stored properties are `@exclusivity(unchecked)`: they are touched only on the broker's
/// event loop, by synchronous code that never overlaps two accesses to one of them, and the
/// runtime exclusivity checks cost about 7% of a pipelined `GET` (perf, docs/benchmarks.md).
final class BrokerConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let core: BrokerCore
    @exclusivity(unchecked) private var session: ClientSession?
    @exclusivity(unchecked) private var query = ByteBuffer()
    @exclusivity(unchecked) private var parser: RESPCommandParser

    init(core: BrokerCore) {
        self.core = core
        var limits = RESPLimits.redisDefaults
        limits.maxBulkLength = core.configuration.protoMaxBulkLength
        limits.maxQueryBufferLength = core.configuration.clientQueryBufferLimit
        self.parser = RESPCommandParser(limits: limits)
    }

    func channelActive(context: ChannelHandlerContext) {
        session = core.accept(channel: context.channel)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        guard let session, !session.isClosed, !session.closeAfterReply else { return }
        core.stats.totalNetInputBytes += incoming.readableBytes
        core.stats.totalReadsProcessed += 1
        // Copied, not adopted: the query buffer keeps storage of its own, so clearing it after the
        // batch allocates nothing and NIO's receive buffer is free to be reused for the next read.
        query.writeBuffer(&incoming)
        session.lastInteraction = BrokerCore.now()
        process(session)
    }

    /// Runs every whole command in the query buffer, unless `CLIENT PAUSE` holds them back.
    private func process(_ session: ClientSession) {
        parser.limits.maxBulkLength = core.configuration.protoMaxBulkLength
        while !session.isClosed && !session.closeAfterReply {
            parser.requiresAuthentication = !session.isAuthenticated
            var parsed: RESPParsedCommand
            do {
                guard let next = try parser.next(query) else { break }
                parsed = next
            } catch {
                core.logger.debug(
                    "Protocol error from client", metadata: ["client": "\(session.id)", "error": "\(error.message)"])
                let mark = core.beginRequest(session)
                core.metrics.protocolErrors.increment()
                core.replyError(session, "Protocol error: \(error.message)")
                core.endRequest(session, from: mark)
                session.closeAfterReply = true
                parser.reset()
                query.clear()
                break
            }
            let mark = core.beginRequest(session)
            if parsed.command.count > 0 {
                guard let spec = core.resolve(session, parsed.command) else {
                    core.endRequest(session, from: mark)
                    query.moveReaderIndex(to: parsed.end)
                    continue
                }
                if core.isPaused(spec) {
                    // Leave the command in the buffer and run it when the pause ends.
                    core.holdRequest(session)
                    core.hold(session) { [weak self] in
                        guard let self, !session.isClosed else { return }
                        self.process(session)
                        self.core.flush(session)
                    }
                    break
                }
                core.execute(session, &parsed.command, spec: spec)
            }
            core.endRequest(session, from: mark)
            query.moveReaderIndex(to: parsed.end)
            parser.recycle(&parsed.command)
        }
        if query.readableBytes == 0 {
            // Kept for the next read, unless a big command grew it: then it is let go, as Redis
            // shrinks a query buffer that grew past what its client now sends.
            if query.capacity > BrokerCore.retainedBufferCapacity { query = ByteBuffer() } else { query.clear() }
        } else if query.readerIndex > 65536 {
            query.discardReadBytes()
        }
        session.queryBufferBytes = query.readableBytes
        session.queryBufferCapacity = query.capacity
        if query.readableBytes > core.configuration.clientQueryBufferLimit {
            core.stats.queryBufferLimitDisconnections += 1
            core.metrics.queryBufferLimitDisconnections.increment()
            core.logger.warning(
                "Closing client that reached max query buffer length",
                metadata: ["client": "\(session.id)", "qbuf": "\(query.readableBytes)"])
            query = ByteBuffer()
            core.kill(session)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let session { core.flush(session) }
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        guard let session else { return context.fireChannelWritabilityChanged() }
        session.isWritable = context.channel.isWritable
        if session.isWritable { core.flush(session) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let session { core.disconnected(session) }
        session = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        core.logger.debug("Connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}
