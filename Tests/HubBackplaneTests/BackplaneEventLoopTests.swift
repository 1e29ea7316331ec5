import NIOCore
import NIOPosix
import RedisClient
import Testing

@testable import HubBackplane

/// The backplane's Redis connections run on a thread of their own, not on the hub connections'
/// event loops, where a message to thousands of connections would hold up `PUBLISH` replies.
@Suite("Redis backplane: event loops")
struct BackplaneEventLoopTests {
    @Test("by default both Redis connections run on the backplane's own loop, outside NIO's singleton group")
    func defaultLoop() throws {
        let manager = RedisHubLifetimeManager(
            hubName: "EventLoopHub",
            options: RedisHubLifetimeManagerOptions(redis: try RedisClientConfiguration("redis://127.0.0.1:1")))
        let backplaneLoop = RedisHubLifetimeManager.defaultEventLoopGroup.next()
        #expect(manager.publisher.eventLoop === backplaneLoop)
        #expect(manager.subscriber.eventLoop === backplaneLoop)
        let hubLoops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())
        #expect(!hubLoops.contains { $0 === backplaneLoop })
    }

    @Test("a group given to the manager is used instead")
    func givenGroup() throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let manager = RedisHubLifetimeManager(
            hubName: "EventLoopHub",
            options: RedisHubLifetimeManagerOptions(redis: try RedisClientConfiguration("redis://127.0.0.1:1")),
            eventLoopGroup: group)
        let loops = Array(group.makeIterator())
        #expect(loops.contains { $0 === manager.publisher.eventLoop })
        #expect(loops.contains { $0 === manager.subscriber.eventLoop })
    }
}
