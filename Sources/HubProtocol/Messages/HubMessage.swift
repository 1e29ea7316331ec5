/// One hub protocol message (types 1–9 of the SignalR hub protocol).
///
/// The model is the same for every protocol; ``JSONHubProtocol`` and ``MessagePackHubProtocol``
/// read and write it. Readers return `nil` instead of a message for unknown type ids,
/// so peers can add message types.
public enum HubMessage: Sendable {
    /// 1: call a method (blocking when it has an invocation id).
    case invocation(InvocationMessage)
    /// 2: one item of a stream.
    case streamItem(StreamItemMessage)
    /// 3: the end of an invocation or stream, with an error, a result, or neither.
    case completion(CompletionMessage)
    /// 4: call a streaming method.
    case streamInvocation(StreamInvocationMessage)
    /// 5: cancel a stream.
    case cancelInvocation(CancelInvocationMessage)
    /// 6: keep-alive.
    case ping
    /// 7: the sender is closing the connection.
    case close(CloseMessage)
    /// 8: stateful reconnect: the highest trackable message id received.
    case ack(sequenceId: Int64)
    /// 9: stateful reconnect: the id of the next message the sender will (re)send.
    case sequence(sequenceId: Int64)

    /// The message's type id on the wire (1–9).
    public var typeID: Int {
        switch self {
        case .invocation: return 1
        case .streamItem: return 2
        case .completion: return 3
        case .streamInvocation: return 4
        case .cancelInvocation: return 5
        case .ping: return 6
        case .close: return 7
        case .ack: return 8
        case .sequence: return 9
        }
    }

    /// Whether stateful reconnect numbers and buffers this message (types 1–5).
    public var isTrackable: Bool { typeID <= 5 }

    /// The message's headers (types 1–5); empty for the others.
    public var headers: [String: String] {
        switch self {
        case .invocation(let m): return m.headers
        case .streamItem(let m): return m.headers
        case .completion(let m): return m.headers
        case .streamInvocation(let m): return m.headers
        case .cancelInvocation(let m): return m.headers
        case .ping, .close, .ack, .sequence: return [:]
        }
    }
}
