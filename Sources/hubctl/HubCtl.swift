import ArgumentParser

@main
struct HubCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hubctl")
    func run() async throws {}
}
