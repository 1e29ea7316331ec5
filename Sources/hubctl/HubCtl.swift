import ArgumentParser

/// `hubctl`: a command-line SignalR client, the book's DotnetClient and scripted subcommands.
@main
struct HubCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hubctl",
        abstract: "Talk to a SignalR hub (Switchboard's or ASP.NET Core's) from the command line.",
        discussion: """
            Without a subcommand, hubctl is the book's console client: it asks for (or takes) a hub URL, prints every ReceiveMessage as "SignalR Hub Message: <text>", and loops on the menu 0-7 / exit.
              hubctl http://127.0.0.1:5128/learningHub

            Subcommands run one action and exit; the hub URL comes first:
              hubctl listen http://127.0.0.1:5128/learningHub --count 1
              hubctl broadcast http://127.0.0.1:5129/learningHub "hello from the shell"
              hubctl invoke http://127.0.0.1:5128/learningHub SendToGroup '"HubUsers"' '"hi"'
              hubctl stream http://127.0.0.1:5128/learningHub TriggerStream 3
              hubctl group join http://127.0.0.1:5128/learningHub admins
              hubctl negotiate http://127.0.0.1:5128/learningHub

            Every command takes --protocol json|messagepack, --token TOKEN (sent as a bearer token), --timeout SECONDS and --skip-negotiation.

            Exit codes:
              0    done
              1    the hub answered with an error (a failed invocation or stream)
              3    could not connect: negotiate, the WebSocket or the handshake failed
              4    --timeout elapsed first
              5    the connection was lost or closed by the server
              64   bad usage (an unknown flag, an argument that is not JSON, a bad URL)
              130  interrupted (Ctrl-C)
            """,
        subcommands: [
            InteractiveCommand.self, ListenCommand.self, BroadcastCommand.self, InvokeCommand.self, SendCommand.self,
            StreamCommand.self, GroupCommand.self, NegotiateCommand.self,
        ],
        defaultSubcommand: InteractiveCommand.self)
}
