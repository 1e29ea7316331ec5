import Broker
import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `broker [config-file] [--option value …]`: the bundled Redis-compatible server, started the way
/// `redis-server` is.
@main
struct BrokerCommand {
    static let usage = """
        Usage: broker [/path/to/redis.conf] [options] [-]
               broker -v or --version
               broker -h or --help

        Switchboard's bundled Redis-compatible server. It reads redis-server's command line and
        configuration file: every option of the file can be given as --<option> <value>.

        Examples:
               broker                                  (port 6379, all interfaces, protected mode)
               broker --port 6380 --bind 127.0.0.1
               broker --port 0                         (any free port; the bound port is printed)
               broker /etc/broker.conf --loglevel verbose
               broker --requirepass secret --maxclients 1000
        """

    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "-h" || arguments.first == "--help" {
            print(usage)
            return
        }
        if arguments.first == "-v" || arguments.first == "--version" {
            print("Switchboard broker v=\(BrokerInfo.version) redis-compatible=\(BrokerInfo.redisVersion)")
            return
        }
        if arguments.last == "-" { arguments.removeLast() }
        let configuration: BrokerConfiguration
        do {
            configuration = try BrokerConfiguration.parse(arguments: arguments)
        } catch {
            writeStandardError("\(error)\n")
            exit(1)
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel =
                switch configuration.logLevel {
                case "debug": .debug
                case "verbose": .info
                case "warning": .warning
                case "nothing": .critical
                default: .notice
                }
            return handler
        }
        let logger = Logger(label: "switchboard.broker")
        let server = BrokerServer(configuration: configuration, logger: logger)
        do {
            let port = try await server.start()
            // Printed on its own line so scripts and people can find the port, even when it was 0.
            print("broker listening on port \(port)")
            fflush(nil)
            let group = ServiceGroup(
                configuration: .init(
                    services: [.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup)],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger))
            try await group.run()
        } catch {
            writeStandardError("broker: \(error)\n")
            exit(1)
        }
    }
}

/// Writes to standard error without touching C's global `stderr` (not concurrency-safe in Swift 6).
func writeStandardError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}
