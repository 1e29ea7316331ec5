import ArgumentParser
import Foundation
import HubClient

/// The book's DotnetClient (learninghub.md §8), prompt for prompt.
struct InteractiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interactive",
        abstract: "The book's console client: a menu of the LearningHub's actions (the default command).",
        discussion: """
            Asks for the hub URL unless given, connects, prints every ReceiveMessage as "SignalR Hub Message: <text>", and loops on the menu:
              0 broadcast to all (a text with ';' is uploaded part by part to BroadcastStream)
              1 send to others, 2 send to self, 3 send to individual (asks for a connection id)
              4 send to a group, 5 add user to a group, 6 remove user from a group (ask for a group)
              7 trigger a server stream (asks for a number of jobs and prints each item)
              exit
            As in the book, every action except 5, 6 and 7 first asks for a message (even exit). Sends do not wait for the hub, so the hub's error for "send to self" is never shown, as in the book. The connection reconnects automatically when lost. End of input exits 0.
              hubctl http://127.0.0.1:5129/learningHub
            """)

    @Argument(help: "The hub URL; asked for when omitted.")
    var url: String?

    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let input = LineReader.standardInput()
        var url = self.url
        if url == nil {
            emit("Please specify the URL of SignalR Hub")
            url = await input.next()?.trimmingCharacters(in: .whitespaces)
        }
        guard let url, !url.isEmpty else {
            complain("no hub URL given.")
            throw ExitCode(Outcome.usage)
        }
        try await withConnection(
            url: url, options: options, reconnect: true, deadline: nil,
            configure: { connection in
                await connection.on("ReceiveMessage") { (text: String) in emit("SignalR Hub Message: \(text)") }
                await connection.onReconnecting { error in
                    complain("connection lost (\(error.map { "\($0)" } ?? "the server closed")); reconnecting")
                }
                await connection.onReconnected { id in complain("reconnected as \(id ?? "?")") }
            }
        ) { connection in
            try await Self.menuLoop(connection, input: input)
        }
    }

    static func menuLoop(_ connection: HubConnection, input: LineReader) async throws {
        while true {
            emit("Please specify the action:")
            emit("0 - broadcast to all")
            emit("1 - send to others")
            emit("2 - send to self")
            emit("3 - send to individual")
            emit("4 - send to a group")
            emit("5 - add user to a group")
            emit("6 - remove user from a group")
            emit("7 - trigger a server stream")
            emit("exit - Exit the program")
            guard let action = await input.next() else { return }
            var message = ""
            var groupName = ""
            if action != "5" && action != "6" && action != "7" {
                emit("Please specify the message:")
                guard let line = await input.next() else { return }
                message = line
            }
            if action == "4" || action == "5" || action == "6" {
                emit("Please specify the group name:")
                guard let line = await input.next() else { return }
                groupName = line
            }
            do {
                switch action {
                case "0":
                    if message.contains(";") {
                        let parts = message.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
                        try await connection.send(
                            "BroadcastStream", arguments: [], streams: [HubClientStream(items: parts)])
                        await connection.uploadsFinished()
                    } else {
                        try await connection.send("BroadcastMessage", message)
                    }
                case "1": try await connection.send("SendToOthers", message)
                case "2": try await connection.send("SendToCaller", message)
                case "3":
                    emit("Please specify the connection id:")
                    guard let connectionId = await input.next() else { return }
                    try await connection.send("SendToIndividual", connectionId, message)
                case "4": try await connection.send("SendToGroup", groupName, message)
                case "5": try await connection.send("AddUserToGroup", groupName)
                case "6": try await connection.send("RemoveUserFromGroup", groupName)
                case "7":
                    emit("Please specify the number of jobs to execute.")
                    guard let line = await input.next() else { return }
                    guard let jobs = Int(line.trimmingCharacters(in: .whitespaces)) else {
                        emit("The input string '\(line)' was not in a correct format.")
                        continue
                    }
                    for try await reply in try await connection.stream("TriggerStream", jobs, of: String.self) {
                        emit(reply)
                    }
                case "exit":
                    return
                default:
                    emit("Invalid action specified")
                }
            } catch let error as HubClientError where error.code == .invocationFailed || error.code == .notConnected {
                // The book's client would end here; keep the session going and say what failed.
                emit(error.message)
            }
        }
    }
}

/// Lines of standard input, read on a thread of their own so the connection keeps running.
struct LineReader: Sendable {
    private let lines: AsyncStream<String>

    static func standardInput() -> LineReader {
        let (lines, sink) = AsyncStream<String>.makeStream()
        let thread = Thread {
            while let line = readLine() { sink.yield(line) }
            sink.finish()
        }
        thread.start()
        return LineReader(lines: lines)
    }

    /// The next line; `nil` at the end of input.
    func next() async -> String? {
        var iterator = lines.makeAsyncIterator()
        return await iterator.next()
    }
}
