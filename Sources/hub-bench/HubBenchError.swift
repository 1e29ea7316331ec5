/// Why a bench connection could not be set up; `category` groups them in the report.
enum HubBenchError: Error, CustomStringConvertible {
    case invalidNode(String)
    case negotiateFailed(String)
    case upgradeRefused
    case handshakeRejected(String)
    case closedDuringHandshake
    case timeout(String)
    case joinFailed

    var category: String {
        switch self {
        case .invalidNode: "invalid-node"
        case .negotiateFailed: "negotiate"
        case .upgradeRefused: "upgrade-refused"
        case .handshakeRejected: "handshake-rejected"
        case .closedDuringHandshake: "closed-during-handshake"
        case .timeout(let stage): "timeout-\(stage)"
        case .joinFailed: "join-failed"
        }
    }

    var description: String {
        switch self {
        case .invalidNode(let text): "invalid --node: \(text)"
        case .negotiateFailed(let text): "negotiate failed: \(text)"
        case .upgradeRefused: "the WebSocket upgrade was refused (no 101 Switching Protocols)"
        case .handshakeRejected(let text): "the hub handshake was rejected: \(text)"
        case .closedDuringHandshake: "the connection closed before the hub handshake completed"
        case .timeout(let stage): "timed out during \(stage)"
        case .joinFailed: "AddUserToGroup failed"
        }
    }
}
