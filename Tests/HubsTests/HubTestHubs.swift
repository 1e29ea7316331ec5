import HubProtocol
import Hubs
import Synchronization

/// A hub with one method per behaviour the tests check.
enum TestHubs {
    struct Point: Codable, Sendable, Equatable {
        var x: Int
        var y: Int
    }

    struct Boom: Error, CustomStringConvertible {
        var description: String { "kaboom" }
    }

    static func definition() -> HubDefinition {
        var hub = HubDefinition(name: "Tests.TestHub")
        hub.on("Add") { (_: HubCallerContext, a: Int, b: Int) in a + b }
        hub.on("Echo") { (_: HubCallerContext, text: String) in text }
        hub.on("Mirror") { (_: HubCallerContext, point: Point) in Point(x: point.y, y: point.x) }
        hub.on("Nothing") { (_: HubCallerContext) in }
        hub.on("HubFails") { (_: HubCallerContext) in throw HubError("not today") }
        hub.on("Fails") { (_: HubCallerContext) in throw Boom() }
        hub.on("Join") { (hub: HubCallerContext, group: String) in
            try await hub.groups.add(hub.connectionId, to: group)
        }
        hub.on("Leave") { (hub: HubCallerContext, group: String) in
            try await hub.groups.remove(hub.connectionId, from: group)
        }
        // Sends "m" through the proxy the first argument names.
        hub.on("Route") { (hub: HubCallerContext, proxy: String, names: [String], text: String) in
            let c = hub.clients
            switch proxy {
            case "all": try await c.all.send("Got", text)
            case "allExcept": try await c.allExcept(names).send("Got", text)
            case "caller": try await c.caller.send("Got", text)
            case "others": try await c.others.send("Got", text)
            case "client": try await c.client(names[0]).send("Got", text)
            case "clients": try await c.clients(names).send("Got", text)
            case "group": try await c.group(names[0]).send("Got", text)
            case "groups": try await c.groups(names).send("Got", text)
            case "groupExcept": try await c.groupExcept(names[0], Array(names.dropFirst())).send("Got", text)
            case "othersInGroup": try await c.othersInGroup(names[0]).send("Got", text)
            case "user": try await c.user(names[0]).send("Got", text)
            case "users": try await c.users(names).send("Got", text)
            default: throw HubError("unknown proxy \(proxy)")
            }
        }
        hub.stream("Count") { (_: HubCallerContext, to: Int) in
            AsyncStream<Int> { continuation in
                for i in 1...max(1, to) { continuation.yield(i) }
                continuation.finish()
            }
        }
        hub.stream("Forever") { (_: HubCallerContext) in
            AsyncThrowingStream<Int, any Error> { continuation in
                let task = Task {
                    var i = 0
                    while !Task.isCancelled {
                        continuation.yield(i)
                        i += 1
                        try? await Task.sleep(for: .milliseconds(5))
                    }
                    continuation.finish(throwing: CancellationError())
                }
                continuation.onTermination = { _ in task.cancel() }
            }
        }
        hub.stream("StreamFails") { (_: HubCallerContext) in
            AsyncThrowingStream<Int, any Error> { continuation in
                continuation.yield(1)
                continuation.finish(throwing: Boom())
            }
        }
        hub.on("Sum") { (_: HubCallerContext, numbers: HubStream<Int>) in
            var total = 0
            for try await n in numbers { total += n }
            return total
        }
        hub.on("AskCaller") { (hub: HubCallerContext, question: String) in
            try await hub.clients.caller.invoke("Answer", question, returning: String.self)
        }
        hub.on("AskCallerBriefly") { (hub: HubCallerContext) in
            try await hub.clients.caller.invoke("Answer", "?", returning: String.self, timeout: .milliseconds(50))
        }
        hub.on("Who") { (hub: HubCallerContext) in hub.userIdentifier ?? "" }
        return hub
    }
}
