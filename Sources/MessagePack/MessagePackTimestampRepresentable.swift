/// A type that ``MessagePackEncoder`` writes, and ``MessagePackDecoder`` reads, as the MessagePack
/// timestamp extension (type −1) instead of going through its `Codable` implementation.
///
/// This module cannot see Foundation; the HubProtocol module conforms `Date` to it, so a `Date`
/// travels the way MessagePack-CSharp writes a `DateTime`. The encoder and decoder check for this
/// protocol before anything else.
public protocol MessagePackTimestampRepresentable {
    /// Makes a value from a decoded timestamp; throw if it cannot be represented.
    init(messagePackTimestamp: MessagePackTimestamp) throws

    /// The timestamp to write; throw if the value has none (an infinite date…).
    var messagePackTimestamp: MessagePackTimestamp { get throws }
}
