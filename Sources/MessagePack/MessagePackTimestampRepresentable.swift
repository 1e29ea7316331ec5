/// A type that ``MessagePackEncoder`` writes, and ``MessagePackDecoder`` reads, as the MessagePack
/// timestamp extension (type −1) instead of going through its `Codable` implementation.
///
/// This module cannot see Foundation; the HubProtocol module conforms `Date` to it, so a `Date`
/// travels the way MessagePack-CSharp writes a `DateTime`. The encoder and decoder check for this
/// protocol before anything else; the decoder also accepts MessagePack-CSharp's `DateTimeOffset`
/// layout (`[timestamp of the local clock time, offset in minutes]`) and hands over the instant, and
/// offers a string to ``init(messagePackTimestampText:)``.
public protocol MessagePackTimestampRepresentable {
    /// Makes a value from a decoded timestamp; throw if it cannot be represented.
    init(messagePackTimestamp: MessagePackTimestamp) throws

    /// The timestamp to write; throw if the value has none (an infinite date…).
    var messagePackTimestamp: MessagePackTimestamp { get throws }

    /// Makes a value from a string found where a timestamp was expected — a date that travelled
    /// through JSON as text and was carried into MessagePack as a string; `nil` refuses it (the
    /// decoder then throws a type mismatch). The default refuses every string.
    init?(messagePackTimestampText text: String)
}

extension MessagePackTimestampRepresentable {
    /// Refuses every string.
    public init?(messagePackTimestampText text: String) {
        return nil
    }
}
