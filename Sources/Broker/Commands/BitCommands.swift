import BrokerStorage
import RESP

/// `SETBIT`, `GETBIT`, `BITCOUNT`, `BITPOS`, `BITOP`, `BITFIELD`, `BITFIELD_RO` (Redis 7.0's
/// `bitops.c`).
enum BitCommands {
    static let handlers: [String: CommandHandler] = [
        "setbit": setBit, "getbit": getBit, "bitcount": bitCount, "bitpos": bitPosition, "bitop": bitOperation,
        "bitfield": { bitfield(&$0, readOnly: false) }, "bitfield_ro": { bitfield(&$0, readOnly: true) },
    ]

    /// Redis's `getBitOffsetFromArgument`: a bit offset from 0 to `proto-max-bulk-len` × 8 − 1.
    /// With `hashWidth` (`BITFIELD`), `#N` means N × the width — multiplied with wrapping, as
    /// Redis's C does, so a huge `#N` can come out small again.
    static func bitOffset(_ c: inout CommandContext, _ index: Int, hashWidth: Int? = nil) -> Int? {
        let parsed: Int64? = c.command.withBytes(index) { bytes in
            if let hashWidth, bytes.first == UInt8(ascii: "#") {
                return RedisNumberParsing.parseInt64(bytes.dropFirst()).map { $0 &* Int64(hashWidth) }
            }
            return RedisNumberParsing.parseInt64(bytes)
        }
        guard let parsed, parsed >= 0, parsed >> 3 < c.core.configuration.protoMaxBulkLength else {
            c.error("bit offset is not an integer or out of range")
            return nil
        }
        return Int(parsed)
    }

    /// `BIT` or `BYTE` at argument `index` (`true` for `BIT`); a syntax error otherwise.
    static func bitUnit(_ c: inout CommandContext, _ index: Int) -> Bool? {
        switch KeyCommands.optionWord(c.command, index) {
        case Array("bit".utf8): return true
        case Array("byte".utf8): return false
        default:
            c.syntaxError()
            return nil
        }
    }

    /// Redis's `lookupStringForBitCommand`: the string at `key`, created (a `new` key) or grown
    /// with zero bytes so that bit `highestBit` exists, then `body` with its bytes (modified in
    /// place, expiry kept) and whether it was created or grown.
    static func withStringForBitCommand<R>(
        _ core: BrokerCore, _ database: Int, _ key: UnsafeRawBufferPointer, highestBit: Int,
        _ body: (inout [UInt8], _ grown: Bool) -> R
    ) -> R {
        let length = (highestBit >> 3) + 1
        var created = false
        switch core.lookUpForWrite(database, key) {
        case nil:
            let zeros = [UInt8](repeating: 0, count: length)
            core.databases[database].setValue(.string(StringValue(rawBytes: zeros)), forKey: key)
            core.notifyKeyspaceEvent(KeyspaceEventFlags.new, event: "new", key: key, database: database)
            created = true
        case .string:
            break
        }
        return core.databases[database].modifyString(forKey: key) { bytes in
            let grown = bytes.count < length
            if grown { bytes.append(contentsOf: repeatElement(0, count: length - bytes.count)) }
            return body(&bytes, created || grown)
        }!
    }

    static func setBit(_ c: inout CommandContext) {
        guard let offset = bitOffset(&c, 2) else { return }
        guard let on = c.command.int64(3), on & ~1 == 0 else {
            c.error("bit is not an integer or out of range")
            return
        }
        let core = c.core
        let database = c.client.database
        let old: Bool = c.command.withBytes(1) { key in
            let (old, changed) = withStringForBitCommand(core, database, key, highestBit: offset) { bytes, grown in
                let old = bytes.withUnsafeBytes { Bitmap.bit(at: offset, in: $0) }
                // Redis writes (and notifies) only when the string is new, grew or the bit changes.
                guard grown || old != (on == 1) else { return (old, false) }
                Bitmap.setBit(at: offset, to: on == 1, in: &bytes)
                return (old, true)
            }
            if changed {
                core.notifyKeyspaceEvent(KeyspaceEventFlags.string, event: "setbit", key: key, database: database)
            }
            return old
        }
        c.integer(old ? 1 : 0)
    }

    static func getBit(_ c: inout CommandContext) {
        guard let offset = bitOffset(&c, 2) else { return }
        let core = c.core
        let database = c.client.database
        switch c.command.withBytes(1, { core.lookUpForRead(database, $0) }) {
        case nil:
            c.integer(0)
        case .string(let string):
            c.integer(string.withUnsafeBytes { Bitmap.bit(at: offset, in: $0) } ? 1 : 0)
        }
    }

    /// Redis 7.0's `bitcountCommand`. It looks the key up before reading the range, so a missing key
    /// counts 0 whatever follows; two negative indexes in the wrong order count 0 before `BIT|BYTE`
    /// is read.
    static func bitCount(_ c: inout CommandContext) {
        let core = c.core
        let database = c.client.database
        let string: StringValue
        switch c.command.withBytes(1, { core.lookUpForRead(database, $0) }) {
        case nil:
            c.integer(0)
            return
        case .string(let value):
            string = value
        }
        let bits: ClosedRange<Int>?
        if c.argumentCount == 4 || c.argumentCount == 5 {
            guard let start = c.command.int64(2), let end = c.command.int64(3) else {
                c.notIntegerError()
                return
            }
            if start < 0 && end < 0 && start > end {
                c.integer(0)
                return
            }
            var inBits = false
            if c.argumentCount == 5 {
                guard let unit = bitUnit(&c, 4) else { return }
                inBits = unit
            }
            bits = Bitmap.selectedBits(start: start, end: end, length: string.count, inBits: inBits)
        } else if c.argumentCount == 2 {
            bits = Bitmap.selectedBits(start: 0, end: -1, length: string.count, inBits: false)
        } else {
            c.syntaxError()
            return
        }
        guard let bits else {
            c.integer(0)
            return
        }
        c.integer(string.withUnsafeBytes { Bitmap.countSetBits(in: $0, bits: bits) })
    }

    /// Redis 7.0's `bitposCommand`: the bit is checked first, then the key (missing: 0 when looking
    /// for a clear bit, -1 for a set one), then the range. When no clear bit is found, the string
    /// counts as padded with zeros on the right unless an end was given.
    static func bitPosition(_ c: inout CommandContext) {
        guard let wanted = c.command.int64(2) else {
            c.notIntegerError()
            return
        }
        guard wanted == 0 || wanted == 1 else {
            c.error("The bit argument must be 1 or 0.")
            return
        }
        let bit = wanted == 1
        let core = c.core
        let database = c.client.database
        let string: StringValue
        switch c.command.withBytes(1, { core.lookUpForRead(database, $0) }) {
        case nil:
            c.integer(bit ? -1 : 0)
            return
        case .string(let value):
            string = value
        }
        let bits: ClosedRange<Int>?
        var endGiven = false
        if (4...6).contains(c.argumentCount) {
            guard let start = c.command.int64(3) else {
                c.notIntegerError()
                return
            }
            var inBits = false
            if c.argumentCount == 6 {
                guard let unit = bitUnit(&c, 5) else { return }
                inBits = unit
            }
            var end = Int64(string.count) - 1
            if c.argumentCount >= 5 {
                guard let given = c.command.int64(4) else {
                    c.notIntegerError()
                    return
                }
                end = given
                endGiven = true
            }
            bits = Bitmap.selectedBits(start: start, end: end, length: string.count, inBits: inBits)
        } else if c.argumentCount == 3 {
            bits = Bitmap.selectedBits(start: 0, end: -1, length: string.count, inBits: false)
        } else {
            c.syntaxError()
            return
        }
        // An empty range holds neither bit, even an empty string's.
        guard let bits else {
            c.integer(-1)
            return
        }
        if let found = string.withUnsafeBytes({ Bitmap.firstBit(bit, in: $0, bits: bits) }) {
            c.integer(found)
        } else {
            c.integer(bit || endGiven ? -1 : bits.upperBound + 1)
        }
    }

    /// Redis 7.0's `bitopCommand`. Sources are read (missing ones as empty strings); an empty result
    /// deletes the destination (a `del` event, without looking at its expiry, as `dbDelete` does),
    /// anything else replaces it as a raw string without expiry (`set`, and `new` if it was absent).
    static func bitOperation(_ c: inout CommandContext) {
        let operation: Bitmap.Operation
        switch KeyCommands.optionWord(c.command, 1) {
        case Array("and".utf8): operation = .and
        case Array("or".utf8): operation = .or
        case Array("xor".utf8): operation = .xor
        case Array("not".utf8): operation = .not
        default:
            c.syntaxError()
            return
        }
        if operation == .not && c.argumentCount != 4 {
            c.error("BITOP NOT must be called with a single source key.")
            return
        }
        let core = c.core
        let database = c.client.database
        var sources: [StringValue] = []
        sources.reserveCapacity(c.argumentCount - 3)
        for i in 3..<c.argumentCount {
            switch c.command.withBytes(i, { core.lookUpForRead(database, $0) }) {
            case nil: sources.append(StringValue())
            case .string(let value): sources.append(value)
            }
        }
        let result = Bitmap.combine(operation, sources)
        c.command.withBytes(2) { key in
            if result.isEmpty {
                if core.databases[database].removeValue(forKey: key) != nil {
                    core.notifyKeyspaceEvent(KeyspaceEventFlags.generic, event: "del", key: key, database: database)
                }
                return
            }
            // Redis's setKey: lookupKeyWrite (which may expire the key), then dbAdd or dbOverwrite.
            let found = core.lookUpForWrite(database, key) != nil
            core.databases[database].setValue(.string(StringValue(rawBytes: result)), forKey: key)
            if !found { core.notifyKeyspaceEvent(KeyspaceEventFlags.new, event: "new", key: key, database: database) }
            core.notifyKeyspaceEvent(KeyspaceEventFlags.string, event: "set", key: key, database: database)
        }
        c.integer(result.count)
    }

    /// One parsed `BITFIELD` operation.
    struct BitfieldOperation {
        enum Kind { case get, set, incrementBy }
        var kind: Kind
        var type: Bitfield
        var offset: Int
        /// `SET`'s value or `INCRBY`'s increment.
        var value: Int64
        var overflow: Bitfield.Overflow
    }

    /// Redis 7.0's `bitfieldGeneric`: every operation is parsed (and any error replied) before the
    /// key is touched. Only `GET`s: the key is read (`lookupKeyRead`); otherwise it is created or
    /// grown up to the farthest bit written, and a `setbit` event follows when a value changed.
    static func bitfield(_ c: inout CommandContext, readOnly: Bool) {
        var operations: [BitfieldOperation] = []
        var overflow = Bitfield.Overflow.wrap
        var writes = false
        var highestBit = 0
        var j = 2
        while j < c.argumentCount {
            let remaining = c.argumentCount - j - 1
            let word = KeyCommands.optionWord(c.command, j)
            let kind: BitfieldOperation.Kind
            if word == Array("get".utf8) && remaining >= 2 {
                kind = .get
            } else if word == Array("set".utf8) && remaining >= 3 {
                kind = .set
            } else if word == Array("incrby".utf8) && remaining >= 3 {
                kind = .incrementBy
            } else if word == Array("overflow".utf8) && remaining >= 1 {
                switch KeyCommands.optionWord(c.command, j + 1) {
                case Array("wrap".utf8): overflow = .wrap
                case Array("sat".utf8): overflow = .saturate
                case Array("fail".utf8): overflow = .fail
                default:
                    c.error("Invalid OVERFLOW type specified")
                    return
                }
                j += 2
                continue
            } else {
                c.syntaxError()
                return
            }
            guard let type = c.command.withBytes(j + 1, { Bitfield($0) }) else {
                c.error("Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
                return
            }
            guard let offset = bitOffset(&c, j + 2, hashWidth: type.width) else { return }
            var value: Int64 = 0
            if kind != .get {
                writes = true
                // Offsets are at most Int64.max when proto-max-bulk-len is huge: do not overflow.
                highestBit = max(highestBit, min(offset, Int.max - 64) + type.width - 1)
                guard let given = c.command.int64(j + 3) else {
                    c.notIntegerError()
                    return
                }
                value = given
            }
            operations.append(
                BitfieldOperation(kind: kind, type: type, offset: offset, value: value, overflow: overflow))
            j += kind == .get ? 3 : 4
        }

        let core = c.core
        let database = c.client.database
        if !writes {
            let string: StringValue
            switch c.command.withBytes(1, { core.lookUpForRead(database, $0) }) {
            case nil: string = StringValue()
            case .string(let value): string = value
            }
            c.array(operations.count)
            let context = c
            string.withUnsafeBytes { bytes in
                for operation in operations {
                    context.integer(operation.type.value(in: bytes, at: operation.offset))
                }
            }
            return
        }
        if readOnly {
            c.error("BITFIELD_RO only supports the GET subcommand")
            return
        }
        let context = c
        c.command.withBytes(1) { key in
            let changes = withStringForBitCommand(core, database, key, highestBit: highestBit) { bytes, grown in
                context.array(operations.count)
                var changes = 0
                for operation in operations {
                    let type = operation.type
                    let old = bytes.withUnsafeBytes { type.value(in: $0, at: operation.offset) }
                    if operation.kind == .get {
                        context.integer(old)
                        continue
                    }
                    let isSet = operation.kind == .set
                    guard
                        let new = isSet
                            ? type.adding(0, to: operation.value, overflow: operation.overflow)
                            : type.adding(operation.value, to: old, overflow: operation.overflow)
                    else {
                        context.null()
                        continue
                    }
                    context.integer(isSet ? old : new)
                    type.store(new, in: &bytes, at: operation.offset)
                    if grown || old != new { changes += 1 }
                }
                return changes
            }
            if changes > 0 {
                core.notifyKeyspaceEvent(KeyspaceEventFlags.string, event: "setbit", key: key, database: database)
            }
        }
    }
}
