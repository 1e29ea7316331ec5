import MessagePack
import NIOCore

/// A group add or remove for a connection on another node, published on `P:internal:groups`:
/// `[Id, ServerName, Action, GroupName, ConnectionId]`. The node that owns `connectionId` applies
/// it and acks `id` on `P:internal:ack:<serverName>`.
public struct BackplaneGroupCommand: BackplaneMessage, Hashable {
    /// Add to or remove from the group; 1 and 2 on the wire (0 is deliberately unused).
    public enum Action: Int, Sendable, Hashable {
        case add = 1
        case remove = 2
    }

    /// The sender's command id, from a per-node counter starting at 1.
    public var id: Int
    /// The sender's server name (its ack channel).
    public var serverName: String
    /// Add or remove.
    public var action: Action
    /// The group.
    public var groupName: String
    /// The connection to add or remove.
    public var connectionId: String

    public init(id: Int, serverName: String, action: Action, groupName: String, connectionId: String) {
        self.id = id
        self.serverName = serverName
        self.action = action
        self.groupName = groupName
        self.connectionId = connectionId
    }

    /// Appends the MessagePack payload.
    public func write(into buffer: inout ByteBuffer) {
        buffer.writeMessagePack { writer in
            writer.writeArrayHeader(count: 5)
            writer.writeInteger(id)
            writer.writeString(serverName)
            writer.writeInteger(action.rawValue)
            writer.writeString(groupName)
            writer.writeString(connectionId)
        }
    }

    /// Reads a payload.
    public init(payload: ByteBuffer) throws(HubBackplaneError) {
        self = try Self.read("group command", payload, minimumItems: 5) { reader, _ in
            let id = try reader.readInteger(as: Int.self)
            let serverName = try reader.readString()
            let rawAction = try reader.readInteger(as: Int.self)
            guard let action = Action(rawValue: rawAction) else {
                throw HubBackplaneError(.invalidGroupAction, "Invalid group action \(rawAction).")
            }
            return BackplaneGroupCommand(
                id: id, serverName: serverName, action: action, groupName: try reader.readString(),
                connectionId: try reader.readString())
        }
    }
}
