import NIOCore
import RESP
import Testing

@testable import Broker

@Suite("CommandTable")
struct CommandTableTests {
    private func command(_ name: String) -> RESPCommand {
        RESPCommand(arguments: [Array(name.utf8)])
    }

    @Test("every command is found by its name in any case, through the byte index")
    func everyCommandIsFoundInAnyCase() {
        let table = CommandTable.standard
        #expect(table.ordered.count > 50)
        for spec in table.ordered {
            let mixed = String(
                spec.name.enumerated().map { $0.offset % 2 == 0 ? Character($0.element.uppercased()) : $0.element })
            for name in [spec.name, spec.name.uppercased(), mixed] {
                #expect(table.lookup(command(name), 0) === spec, "\(name)")
            }
        }
    }

    @Test("names that are not commands are not found, whatever their length")
    func unknownNamesAreNotFound() {
        let table = CommandTable.standard
        for name in [
            "", "g", "gett", "ge", "sett\u{0}", "get ", "x" + String(repeating: "y", count: 30), "ñ",
            "GETGETGETGETGETGETGETGETGET",
        ] {
            #expect(table.lookup(command(name), 0) == nil, "\(name)")
        }
    }
}
