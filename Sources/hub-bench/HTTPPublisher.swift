import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP publisher for raw WebSocket servers such as nchan: each message is
/// `POST <path>` with the text as its body, on one keep-alive connection with requests
/// pipelined; each response completes the oldest outstanding message (a status of 300 or more
/// counts as a failed completion).
final class HTTPPublishHandler: ChannelInboundHandler, BenchMessageSink {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let index: Int
    let state: LoopState
    let node: HubNode
    var sender: InvocationSender?
    private var context: ChannelHandlerContext?
    private var outstanding = CircularBuffer<UInt64>()
    private var status: UInt = 200

    init(index: Int, state: LoopState, node: HubNode) {
        self.index = index
        self.state = state
        self.node = node
    }

    var loop: any EventLoop { state.loop }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func send(invocationID: UInt64, target: String, leading: [String], text: String) {
        guard let context else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: node.hostHeader)
        headers.add(name: "Content-Type", value: "text/plain")
        headers.add(name: "Content-Length", value: String(text.utf8.count))
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: node.path, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
        outstanding.append(invocationID)
    }

    func flush() {
        context?.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status.code
        case .body:
            break
        case .end:
            guard let id = outstanding.popFirst() else { return }
            sender?.completed(invocationID: id, failed: status >= 300, now: NIODeadline.now().uptimeNanoseconds)
            sender?.flush()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        sender?.connectionLost()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Opens a keep-alive HTTP connection to `node` on `state`'s loop.
    static func connect(
        index: Int, node: HubNode, state: NIOLoopBound<LoopState>, loop: any EventLoop, timeout: TimeAmount
    ) async throws -> NIOLoopBound<HTTPPublishHandler> {
        try await ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .connect(to: node.address) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = HTTPPublishHandler(index: index, state: state.value, node: node)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(handler)
                    return NIOLoopBound(handler, eventLoop: channel.eventLoop)
                }
            }
    }
}
