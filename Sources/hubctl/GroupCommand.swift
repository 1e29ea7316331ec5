import ArgumentParser
import HubClient

/// The hub URL and a group name.
struct GroupTarget: ParsableArguments {
    @Argument(help: "The hub URL.")
    var url: String

    @Argument(help: "The group.")
    var group: String
}

struct GroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group",
        abstract: "Join, leave or send to a LearningHub group.",
        discussion: """
            A group membership lasts as long as the connection, so `join` stays connected and prints what the group (and everyone) receives, like listen.
              hubctl group join http://127.0.0.1:5128/learningHub admins --count 2
              hubctl group send http://127.0.0.1:5129/learningHub admins "hello, admins"
              hubctl group leave http://127.0.0.1:5128/learningHub admins
            """,
        subcommands: [Join.self, Leave.self, Send.self])

    struct Join: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Join a group (AddUserToGroup), then print each message until stopped.",
            discussion: """
                Prints the hub's confirmation ("Current user added to <group> group") and every message after it. Ends like listen: Ctrl-C, --count messages (the confirmation counts), or --timeout. Unlike listen it does not reconnect: a new connection would not be in the group.
                  hubctl group join http://127.0.0.1:5128/learningHub admins
                """)

        @OptionGroup var target: GroupTarget

        @Option(name: .long, help: "Exit 0 after printing this many messages.")
        var count: Int?

        @OptionGroup var options: ConnectionOptions

        func run() async throws {
            let group = target.group
            let count = count
            let listener = ListenEvents()
            try await withConnection(
                url: target.url, options: options, deadline: options.deadline(default: nil),
                timeoutIsSuccess: count == nil,
                configure: { await listener.register(on: $0, methods: [receiveMessage], prefixed: false) }
            ) { connection in
                try await connection.invoke("AddUserToGroup", group)
                try await printEvents(listener.events, count: count)
            }
        }
    }

    struct Leave: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Call RemoveUserFromGroup and print the hub's confirmation.",
            discussion: """
                On a new connection, which is in no group but the hub's default one, this mostly shows what the hub answers:
                  hubctl group leave http://127.0.0.1:5128/learningHub HubUsers
                """)

        @OptionGroup var target: GroupTarget

        @OptionGroup var options: ConnectionOptions

        func run() async throws {
            let group = target.group
            let listener = ListenEvents()
            try await withConnection(
                url: target.url, options: options, deadline: options.deadline(default: .seconds(30)),
                configure: { await listener.register(on: $0, methods: [receiveMessage], prefixed: false) }
            ) { connection in
                try await connection.invoke("RemoveUserFromGroup", group)
                try await printEvents(listener.events, count: 1)
            }
        }
    }

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a text to every member of a group (SendToGroup).",
            discussion: """
                  hubctl group send http://127.0.0.1:5129/learningHub admins "hello, admins"
                """)

        @OptionGroup var target: GroupTarget

        @Argument(help: "The text to send.")
        var text: String

        @OptionGroup var options: ConnectionOptions

        func run() async throws {
            let group = target.group
            let text = text
            try await withConnection(
                url: target.url, options: options, deadline: options.deadline(default: .seconds(30))
            ) {
                connection in
                try await connection.invoke("SendToGroup", group, text)
            }
        }
    }
}
