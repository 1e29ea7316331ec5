import HubProtocol

/// A client-to-server stream: the items of an async sequence, uploaded as StreamItem messages and
/// ended with a Completion, feeding a hub method parameter such as ASP.NET Core's
/// `IAsyncEnumerable<T>` / `ChannelReader<T>` or Switchboard's `HubStream<T>`.
///
/// Pass it in `streams:` of ``HubConnection/send(_:arguments:streams:)``,
/// ``HubConnection/invoke(_:arguments:streams:)`` or ``HubConnection/stream(_:arguments:streams:)``;
/// the server method receives the streams after the ordinary arguments. Uploading starts right
/// after the invocation is sent; a sequence that throws ends its stream with the error's text.
public struct HubClientStream: Sendable {
    let upload: @Sendable (_ emit: @Sendable (HubValue) async throws -> Void) async throws -> Void

    /// Uploads each element of `sequence`.
    public init<S: AsyncSequence & Sendable>(_ sequence: S) where S.Element: Encodable & Sendable {
        upload = { emit in
            for try await item in sequence { try await emit(HubValue(item)) }
        }
    }

    /// Uploads `items`, already in hand.
    public init<T: Encodable & Sendable>(items: [T]) {
        upload = { emit in
            for item in items { try await emit(HubValue(item)) }
        }
    }
}

/// Something registered on a ``HubConnection`` (a handler) that can be removed again with
/// ``HubConnection/remove(_:)``.
public struct HubSubscription: Sendable, Hashable {
    let method: String
    let id: Int
}
