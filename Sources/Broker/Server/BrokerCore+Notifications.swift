import NIOCore

/// Keyspace notifications (Redis 7.0's `notify.c`).
extension BrokerCore {
    /// Redis's `notifyKeyspaceEvent`: publishes `event` on `__keyspace@<db>__:<key>` and `key` on
    /// `__keyevent@<db>__:<event>`, each when `notify-keyspace-events` enables it and `type`.
    ///
    /// `type` is one ``KeyspaceEventFlags`` class bit; while that class is off this is one mask test.
    @inline(__always)
    func notifyKeyspaceEvent(_ type: Int, event: StaticString, key: UnsafeRawBufferPointer, database: Int) {
        guard configuration.keyspaceEventMask & type != 0 else { return }
        publishKeyspaceEvent(event: event, key: key, database: database)
    }

    private func publishKeyspaceEvent(event: StaticString, key: UnsafeRawBufferPointer, database: Int) {
        let mask = configuration.keyspaceEventMask
        var eventName = ByteBufferAllocator().buffer(capacity: event.utf8CodeUnitCount)
        eventName.writeStaticString(event)
        var keyBuffer = ByteBufferAllocator().buffer(capacity: key.count)
        keyBuffer.writeBytes(key)
        if mask & KeyspaceEventFlags.keyspace != 0 {
            var channel = ByteBufferAllocator().buffer(capacity: 16 + key.count)
            channel.writeString("__keyspace@\(database)__:")
            channel.writeBytes(key)
            _ = pubsub.publish(channel: channel, message: eventName) { push($1, to: $0) }
        }
        if mask & KeyspaceEventFlags.keyevent != 0 {
            var channel = ByteBufferAllocator().buffer(capacity: 16 + event.utf8CodeUnitCount)
            channel.writeString("__keyevent@\(database)__:")
            channel.writeStaticString(event)
            _ = pubsub.publish(channel: channel, message: keyBuffer) { push($1, to: $0) }
        }
    }
}
