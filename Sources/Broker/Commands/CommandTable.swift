import RESP

/// Every command the broker serves, built from the generated Redis metadata and the handlers.
final class CommandTable: Sendable {
    /// Top-level commands by lowercase name.
    let byName: [String: CommandSpec]
    /// Top-level commands in table order.
    let ordered: [CommandSpec]
    /// How many commands and subcommands there are (the size of `BrokerStats.commands`).
    let statsSlots: Int
    /// Top-level commands by their lowercase name's bytes, so a lookup builds no `String`.
    private let index: CommandNameIndex

    init(metadata: [CommandMetadata], handlers: [String: CommandHandler]) {
        var counter = 0
        let specs = metadata.map { CommandSpec(metadata: $0, parent: nil, handlers: handlers, counter: &counter) }
        self.statsSlots = counter
        self.ordered = specs
        self.byName = Dictionary(uniqueKeysWithValues: specs.map { ($0.name, $0) })
        self.index = CommandNameIndex(specs)
        for spec in specs {
            for s in spec.isContainer ? spec.orderedSubcommands : [spec] {
                precondition(s.handler != nil, "no handler for \(s.fullName)")
            }
        }
    }

    /// The broker's table.
    static let standard = CommandTable(metadata: CommandMetadata.generated, handlers: CommandHandlers.all)

    /// The command named by argument `index`, ignoring case.
    func lookup(_ command: RESPCommand, _ index: Int) -> CommandSpec? {
        // The index holds every name of up to 24 bytes; only a longer one needs the dictionary.
        if command.ranges[index].count <= CommandNameIndex.maxNameLength {
            return command.withBytes(index) { self.index.find($0) }
        }
        let key = command.withBytes(index) { bytes in
            String(unsafeUninitializedCapacity: bytes.count) { out in
                for i in 0..<bytes.count {
                    let c = bytes[i]
                    out[i] = c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") ? c | 0x20 : c
                }
                return bytes.count
            }
        }
        return byName[key]
    }

    /// A command or subcommand by its full name (`client|list`), ignoring case.
    func lookup(fullName: String) -> CommandSpec? {
        let parts = fullName.lowercased().split(separator: "|", maxSplits: 1)
        guard let first = parts.first, let base = byName[String(first)] else { return nil }
        if parts.count == 2 { return base.subcommands[String(parts[1])] }
        return base
    }

    /// Every command and subcommand, parents before their subcommands.
    var all: [CommandSpec] { ordered.flatMap { [$0] + $0.orderedSubcommands } }
}

/// The handler of every command, by full name.
enum CommandHandlers {
    static let all: [String: CommandHandler] = {
        var table: [String: CommandHandler] = [:]
        for part in [
            ConnectionCommands.handlers, ClientCommand.handlers, ServerCommands.handlers,
            CommandCommand.handlers, ConfigCommand.handlers, PubSubCommands.handlers,
            StringCommands.handlers, KeyCommands.handlers, KeyspaceCommands.handlers, ObjectCommand.handlers,
            BitCommands.handlers,
            DumpCommands.handlers,
        ] {
            table.merge(part) { a, _ in a }
        }
        return table
    }()
}

/// An open-addressing table of command names of up to 24 bytes, packed lowercase into three words.
///
/// `lookup` runs for every command; hashing a `String` built from the name took 5% of a pipelined
/// `PUBLISH`. Here the name's bytes are folded and compared as integers.
struct CommandNameIndex: Sendable {
    /// The longest name the index holds.
    static let maxNameLength = 24

    private struct Key: Equatable {
        var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var length = 0

        init() {}

        static func == (a: Key, b: Key) -> Bool {
            a.length == b.length && a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2
        }

        /// The key of `bytes` lowercased, or nil when it is longer than `maxNameLength`.
        @inline(__always)
        init?(_ bytes: UnsafeRawBufferPointer) {
            guard bytes.count <= CommandNameIndex.maxNameLength else { return nil }
            length = bytes.count
            words.0 = Self.word(bytes, 0)
            if length > 8 { words.1 = Self.word(bytes, 8) }
            if length > 16 { words.2 = Self.word(bytes, 16) }
        }

        /// Up to 8 bytes from `offset`, little-endian, zero-padded, with ASCII capitals lowercased
        /// all at once (a byte is a capital when adding 0x3F to its low 7 bits carries into bit 7
        /// and adding 0x25 does not, and its own bit 7 is clear).
        @inline(__always)
        private static func word(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt64 {
            let n = min(8, bytes.count - offset)
            var w: UInt64
            if n == 8 {
                w = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            } else {
                w = 0
                for i in 0..<n { w |= UInt64(bytes[offset + i]) << UInt64(i * 8) }
            }
            let ones: UInt64 = 0x0101_0101_0101_0101
            let low = w & (0x7F &* ones)
            let atLeastA = low &+ (0x80 - 0x41) &* ones
            let pastZ = low &+ (0x80 - 0x5B) &* ones
            let capitals = atLeastA & ~pastZ & ~w & (0x80 &* ones)
            return w | (capitals >> 2)
        }

        var hash: UInt64 {
            var h = words.0 &* 0x9E37_79B9_7F4A_7C15
            h = (h ^ (h >> 29) ^ words.1) &* 0xBF58_476D_1CE4_E5B9
            h = (h ^ (h >> 32) ^ words.2 ^ UInt64(length)) &* 0x94D0_49BB_1331_11EB
            return h ^ (h >> 31)
        }
    }

    private let keys: [Key]
    private let specs: [CommandSpec?]
    private let mask: Int

    init(_ all: [CommandSpec]) {
        var size = 16
        while size < all.count * 4 { size *= 2 }
        var keys = [Key](repeating: Key(), count: size)
        var specs = [CommandSpec?](repeating: nil, count: size)
        for spec in all {
            let name = Array(spec.name.utf8)
            guard let key = name.withUnsafeBytes({ Key($0) }) else { continue }
            var slot = Int(truncatingIfNeeded: key.hash) & (size - 1)
            while specs[slot] != nil { slot = (slot + 1) & (size - 1) }
            keys[slot] = key
            specs[slot] = spec
        }
        self.keys = keys
        self.specs = specs
        self.mask = size - 1
    }

    /// The command named `bytes` (any case), or nil when no indexed name matches.
    @inline(__always)
    func find(_ bytes: UnsafeRawBufferPointer) -> CommandSpec? {
        guard let key = Key(bytes) else { return nil }
        var slot = Int(truncatingIfNeeded: key.hash) & mask
        while let spec = specs[slot] {
            if keys[slot] == key { return spec }
            slot = (slot + 1) & mask
        }
        return nil
    }
}
