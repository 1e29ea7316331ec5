import RESP

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A configuration that could not be read, with the text `redis-server` prints for it.
public struct BrokerConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The whole message, `*** FATAL CONFIG FILE ERROR …` included.
    public var description: String
}

extension BrokerConfiguration {
    /// Reads `redis-server`'s command line: an optional configuration file path first, then
    /// `--option value …` pairs that override it (`broker --port 6380 --bind 127.0.0.1`).
    public static func parse(arguments: [String]) throws -> BrokerConfiguration {
        var configuration = BrokerConfiguration()
        var rest = arguments[...]
        var text = ""
        if let first = rest.first, !first.hasPrefix("--") {
            configuration.configFile = first
            text = try readFile(first)
            rest = rest.dropFirst()
        }
        var options = ""
        for argument in rest {
            if argument.hasPrefix("--") {
                if !options.isEmpty { options += "\n" }
                options += String(argument.dropFirst(2))
            } else {
                options += " " + quoted(argument)
            }
        }
        if !options.isEmpty { text += "\n" + options + "\n" }
        try configuration.apply(configurationText: text)
        return configuration
    }

    /// Applies configuration-file text (one `directive value …` per line, `#` comments, quoting as in
    /// Redis, `include <file>`).
    public mutating func apply(configurationText text: String) throws {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, rawLine) in lines.enumerated() {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            func fail(_ reason: String) -> BrokerConfigurationError {
                BrokerConfigurationError(
                    description: """

                        *** FATAL CONFIG FILE ERROR (Redis \(BrokerInfo.redisVersion)) ***
                        Reading the configuration file, at line \(index + 1)
                        >>> '\(line)'
                        \(reason)
                        """)
            }
            guard let words = RESPInlineSplitter.split(Array(line.utf8)) else {
                throw fail("Unbalanced quotes in configuration line")
            }
            guard let first = words.first else { continue }
            let name = String(decoding: first, as: UTF8.self).lowercased()
            let values = words.dropFirst().map { String(decoding: $0, as: UTF8.self) }
            if name == "include" {
                guard values.count == 1 else { throw fail("Bad directive or wrong number of arguments") }
                try apply(configurationText: try Self.readFile(values[0]))
                continue
            }
            guard let parameter = ConfigParameter.named(name) else {
                throw fail("Bad directive or wrong number of arguments")
            }
            if let arity = parameter.fileArity, values.count != arity {
                throw fail("wrong number of arguments")
            }
            if values.isEmpty { throw fail("wrong number of arguments") }
            if let reason = parameter.set(&self, values) { throw fail(reason) }
        }
    }

    static func readFile(_ path: String) throws -> String {
        guard let file = fopen(path, "r") else {
            throw BrokerConfigurationError(
                description: "Fatal error, can't open config file '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func quoted(_ value: String) -> String {
        var out = "\""
        for c in value.utf8 {
            switch c {
            case UInt8(ascii: "\\"): out += "\\\\"
            case UInt8(ascii: "\""): out += "\\\""
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x20...0x7E: out.append(Character(Unicode.Scalar(c)))
            default: out += "\\x" + String(c, radix: 16, uppercase: false).leftPadded(to: 2)
            }
        }
        return out + "\""
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let scalars = Array(unicodeScalars)
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[start...end])
        return String(out)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
