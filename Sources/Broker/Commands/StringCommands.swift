import BrokerStorage
import RESP

/// The string commands (Redis 7.0's `t_string.c`).
enum StringCommands {
    static let handlers: [String: CommandHandler] = [
        "get": get, "set": set, "setnx": setnx, "setex": { setex(&$0, seconds: true) },
        "psetex": { setex(&$0, seconds: false) }, "getset": getset, "getdel": getdel, "getex": getex,
        "mget": mget, "mset": { mset(&$0, nx: false) }, "msetnx": { mset(&$0, nx: true) }, "append": append,
        "strlen": strlen, "getrange": getrange, "substr": getrange, "setrange": setrange,
        "incr": { incrementBy(&$0, 1) }, "decr": { incrementBy(&$0, -1) }, "incrby": incrby, "decrby": decrby,
        "incrbyfloat": incrbyfloat, "lcs": lcs,
    ]

    /// Redis's `getGenericCommand`: replies with the string at argument 1, or null. Returns
    /// `false` after a `WRONGTYPE` error — none yet: the other value types carry `Never`, so this
    /// switch gains their cases (and the error) when they are implemented.
    @discardableResult
    static func replyWithValue(_ c: inout CommandContext) -> Bool {
        let core = c.core
        let database = c.client.database
        switch c.command.withBytes(1, { core.lookUpForRead(database, $0) }) {
        case nil:
            c.null()
        case .string(let string):
            let client = c.client
            string.withUnsafeBytes { client.output.writeRESPBulkString(bytes: $0) }
        }
        return true
    }

    /// The string at argument 1 for a read (`lookupKeyRead`): `nil` when absent.
    static func readString(_ c: CommandContext, _ index: Int = 1) -> StringValue? {
        let core = c.core
        let database = c.client.database
        switch c.command.withBytes(index, { core.lookUpForRead(database, $0) }) {
        case nil: return nil
        case .string(let string): return string
        }
    }

    static func get(_ c: inout CommandContext) {
        replyWithValue(&c)
    }

    enum ExpiryOption { case ex, px, exat, pxat }

    /// What `parseExtendedStringArgumentsOrReply` reads for `SET` and `GETEX`.
    struct ExtendedOptions {
        var nx = false
        var xx = false
        var get = false
        var keepTTL = false
        var persist = false
        var expiry: (option: ExpiryOption, index: Int)?
    }

    /// Redis's `parseExtendedStringArgumentsOrReply`: options from argument `first` on; `SET`
    /// takes NX, XX, GET and KEEPTTL, `GETEX` takes PERSIST, both take EX, PX, EXAT and PXAT.
    static func parseExtendedOptions(_ c: inout CommandContext, from first: Int, forGet: Bool) -> ExtendedOptions? {
        var o = ExtendedOptions()
        var j = first
        while j < c.argumentCount {
            let word = KeyCommands.optionWord(c.command, j)
            let hasNext = j < c.argumentCount - 1
            // An expiry option conflicts with KEEPTTL, PERSIST and the other three, not with itself
            // (`EX 1 EX 2` is accepted; the last one counts).
            func expiryAllowed(_ option: ExpiryOption) -> Bool {
                !o.keepTTL && !o.persist && (o.expiry == nil || o.expiry!.option == option) && hasNext
            }
            let expiryOption: ExpiryOption? =
                switch word {
                case Array("ex".utf8): .ex
                case Array("px".utf8): .px
                case Array("exat".utf8): .exat
                case Array("pxat".utf8): .pxat
                default: nil
                }
            if !forGet && word == Array("nx".utf8) && !o.xx {
                o.nx = true
            } else if !forGet && word == Array("xx".utf8) && !o.nx {
                o.xx = true
            } else if !forGet && word == Array("get".utf8) {
                o.get = true
            } else if !forGet && word == Array("keepttl".utf8) && o.expiry == nil {
                o.keepTTL = true
            } else if forGet && word == Array("persist".utf8) && o.expiry == nil {
                o.persist = true
            } else if let expiryOption, expiryAllowed(expiryOption) {
                o.expiry = (expiryOption, j + 1)
                j += 1
            } else {
                c.syntaxError()
                return nil
            }
            j += 1
        }
        return o
    }

    /// Redis's `getExpireMillisecondsOrReply`: the absolute deadline in Unix milliseconds for the
    /// expiry argument at `index`, or `nil` after replying with an error.
    static func expiryDeadline(_ c: inout CommandContext, _ option: ExpiryOption, _ index: Int) -> Int64? {
        guard var when = c.command.int64(index) else {
            c.notIntegerError()
            return nil
        }
        let seconds = option == .ex || option == .exat
        if when <= 0 || (seconds && when > Int64.max / 1000) {
            c.error("invalid expire time in '\(c.spec.fullName)' command")
            return nil
        }
        if seconds { when *= 1000 }
        if option == .ex || option == .px { when = when &+ BrokerCore.milliseconds() }
        if when <= 0 {
            c.error("invalid expire time in '\(c.spec.fullName)' command")
            return nil
        }
        return when
    }

    /// Redis's `setKey` with `dbAdd`'s `new` event, then the command's event (`set`, or `append`
    /// for an APPEND that creates the key): stores the value at argument `valueIndex` under
    /// argument `keyIndex`, dropping any expiry unless `keepTTL`, then sets `deadline` (with an
    /// `expire` event).
    static func storeString(
        _ c: CommandContext, key keyIndex: Int, value valueIndex: Int, exists: Bool, keepTTL: Bool = false,
        deadline: Int64? = nil, event: StaticString = "set"
    ) {
        let core = c.core
        let database = c.client.database
        let command = c.command
        command.withBytes(keyIndex) { key in
            let value = KeyspaceValue.string(command.withBytes(valueIndex) { StringValue($0) })
            if keepTTL && exists {
                core.databases[database].replaceValue(value, forKey: key)
            } else {
                // Without KEEPTTL a SET drops any old expiry; a past EXAT/PXAT deadline is stored
                // as given and the key is expired on its next access, as in Redis 7.0.
                core.databases[database].setValue(value, forKey: key, expiresAt: deadline)
            }
            if !exists { core.notifyKeyspaceEvent(KeyspaceEventFlags.new, event: "new", key: key, database: database) }
            core.notifyKeyspaceEvent(KeyspaceEventFlags.string, event: event, key: key, database: database)
            if deadline != nil {
                core.notifyKeyspaceEvent(KeyspaceEventFlags.generic, event: "expire", key: key, database: database)
            }
        }
    }

    /// Whether argument `index` names a live key, for a write (`lookupKeyWrite`).
    static func existsForWrite(_ c: CommandContext, _ index: Int) -> Bool {
        let core = c.core
        let database = c.client.database
        return c.command.withBytes(index) { core.existsForWrite(database, $0) }
    }

    /// Redis's `setCommand` and `setGenericCommand`.
    static func set(_ c: inout CommandContext) {
        guard let o = parseExtendedOptions(&c, from: 3, forGet: false) else { return }
        var deadline: Int64?
        if let expiry = o.expiry {
            guard let d = expiryDeadline(&c, expiry.option, expiry.index) else { return }
            deadline = d
        }
        if o.get && !replyWithValue(&c) { return }
        let found = existsForWrite(c, 1)
        let stored = !((o.nx && found) || (o.xx && !found))
        if stored { storeString(c, key: 1, value: 2, exists: found, keepTTL: o.keepTTL, deadline: deadline) }
        if o.get { return }
        if stored { c.ok() } else { c.null() }
    }

    static func setnx(_ c: inout CommandContext) {
        if existsForWrite(c, 1) {
            c.integer(0)
        } else {
            storeString(c, key: 1, value: 2, exists: false)
            c.integer(1)
        }
    }

    /// `SETEX` and `PSETEX`.
    static func setex(_ c: inout CommandContext, seconds: Bool) {
        guard let deadline = expiryDeadline(&c, seconds ? .ex : .px, 2) else { return }
        storeString(c, key: 1, value: 3, exists: existsForWrite(c, 1), deadline: deadline)
        c.ok()
    }

    static func getset(_ c: inout CommandContext) {
        guard replyWithValue(&c) else { return }
        storeString(c, key: 1, value: 2, exists: existsForWrite(c, 1))
    }

    static func getdel(_ c: inout CommandContext) {
        guard replyWithValue(&c) else { return }
        let core = c.core
        let database = c.client.database
        c.command.withBytes(1) { key in
            if core.databases[database].removeValue(forKey: key) != nil {
                core.notifyKeyspaceEvent(KeyspaceEventFlags.generic, event: "del", key: key, database: database)
            }
        }
    }

    /// Redis 7.0's `getexCommand`.
    static func getex(_ c: inout CommandContext) {
        guard let o = parseExtendedOptions(&c, from: 2, forGet: true) else { return }
        guard let string = readString(c) else {
            c.null()
            return
        }
        var deadline: Int64?
        if let expiry = o.expiry {
            guard let d = expiryDeadline(&c, expiry.option, expiry.index) else { return }
            deadline = d
        }
        c.bulkString(string)
        let core = c.core
        let database = c.client.database
        let absolute = o.expiry.map { $0.option == .exat || $0.option == .pxat } ?? false
        c.command.withBytes(1) { key in
            if let deadline, absolute && deadline <= BrokerCore.milliseconds() {
                core.databases[database].removeValue(forKey: key)
                core.notifyKeyspaceEvent(KeyspaceEventFlags.generic, event: "del", key: key, database: database)
            } else if let deadline {
                core.databases[database].setExpiration(deadline, forKey: key)
                core.notifyKeyspaceEvent(KeyspaceEventFlags.generic, event: "expire", key: key, database: database)
            } else if o.persist && core.databases[database].expiration(forKey: key) != nil {
                core.databases[database].setExpiration(nil, forKey: key)
                core.notifyKeyspaceEvent(KeyspaceEventFlags.generic, event: "persist", key: key, database: database)
            }
        }
    }

    static func mget(_ c: inout CommandContext) {
        c.array(c.argumentCount - 1)
        for i in 1..<c.argumentCount {
            // A key of another type reads as null here, not as an error.
            if let string = readString(c, i) { c.bulkString(string) } else { c.null() }
        }
    }

    /// `MSET` and `MSETNX` (Redis's `msetGenericCommand`).
    static func mset(_ c: inout CommandContext, nx: Bool) {
        if c.argumentCount % 2 == 0 {
            c.arityError()
            return
        }
        if nx {
            for j in stride(from: 1, to: c.argumentCount, by: 2) where existsForWrite(c, j) {
                c.integer(0)
                return
            }
        }
        for j in stride(from: 1, to: c.argumentCount, by: 2) {
            storeString(c, key: j, value: j + 1, exists: existsForWrite(c, j))
        }
        if nx { c.integer(1) } else { c.ok() }
    }

    /// Redis's `checkStringLength`: whether a string of `size + append` bytes is allowed.
    static func checkStringLength(_ c: inout CommandContext, _ size: Int64, _ append: Int64) -> Bool {
        let (total, overflow) = size.addingReportingOverflow(append)
        if overflow || total > Int64(c.core.configuration.protoMaxBulkLength) {
            c.error("string exceeds maximum allowed size (proto-max-bulk-len)")
            return false
        }
        return true
    }

    static func append(_ c: inout CommandContext) {
        let core = c.core
        let database = c.client.database
        let command = c.command
        guard let existing = command.withBytes(1, { core.lookUpForWrite(database, $0) }) else {
            storeString(c, key: 1, value: 2, exists: false, event: "append")
            c.integer(command.withBytes(2) { $0.count })
            return
        }
        switch existing {
        case .string(let string):
            let appendCount = command.withBytes(2) { $0.count }
            guard checkStringLength(&c, Int64(string.count), Int64(appendCount)) else { return }
            c.integer(
                modifyStoredString(c, event: "append") { bytes in
                    command.withBytes(2) { bytes.append(contentsOf: $0) }
                })
        }
    }

    /// Changes the string at argument 1 in place (it becomes `raw`), fires `event` and returns
    /// the new length.
    static func modifyStoredString(
        _ c: CommandContext, event: StaticString, _ change: (inout [UInt8]) -> Void
    ) -> Int {
        let core = c.core
        let database = c.client.database
        return c.command.withBytes(1) { key in
            let total =
                core.databases[database].modifyString(forKey: key) { bytes in
                    change(&bytes)
                    return bytes.count
                } ?? 0
            core.notifyKeyspaceEvent(KeyspaceEventFlags.string, event: event, key: key, database: database)
            return total
        }
    }

    static func strlen(_ c: inout CommandContext) {
        c.integer(readString(c)?.count ?? 0)
    }

    /// `GETRANGE` and `SUBSTR` (Redis's `getrangeCommand`).
    static func getrange(_ c: inout CommandContext) {
        guard var start = c.command.int64(2), var end = c.command.int64(3) else {
            c.notIntegerError()
            return
        }
        guard let string = readString(c) else {
            c.bulk("")
            return
        }
        let length = Int64(string.count)
        if start < 0 && end < 0 && start > end {
            c.bulk("")
            return
        }
        if start < 0 { start += length }
        if end < 0 { end += length }
        start = max(start, 0)
        end = max(end, 0)
        if end >= length { end = length - 1 }
        if start > end || length == 0 {
            c.bulk("")
            return
        }
        let client = c.client
        string.withUnsafeBytes { bytes in
            client.output.writeRESPBulkString(bytes: UnsafeRawBufferPointer(rebasing: bytes[Int(start)...Int(end)]))
        }
    }

    /// Redis's `setrangeCommand`.
    static func setrange(_ c: inout CommandContext) {
        guard let offset = c.command.int64(2) else {
            c.notIntegerError()
            return
        }
        if offset < 0 {
            c.error("offset is out of range")
            return
        }
        let core = c.core
        let database = c.client.database
        let command = c.command
        let valueCount = command.withBytes(3) { $0.count }
        if let existing = command.withBytes(1, { core.lookUpForWrite(database, $0) }) {
            switch existing {
            case .string(let string):
                if valueCount == 0 {
                    c.integer(string.count)
                    return
                }
            }
            guard checkStringLength(&c, offset, Int64(valueCount)) else { return }
        } else {
            if valueCount == 0 {
                c.integer(0)
                return
            }
            guard checkStringLength(&c, offset, Int64(valueCount)) else { return }
            command.withBytes(1) { key in
                core.databases[database].setValue(.string(StringValue(rawBytes: [])), forKey: key)
                core.notifyKeyspaceEvent(KeyspaceEventFlags.new, event: "new", key: key, database: database)
            }
        }
        c.integer(
            modifyStoredString(c, event: "setrange") { bytes in
                let end = Int(offset) + valueCount
                if bytes.count < end { bytes.append(contentsOf: repeatElement(0, count: end - bytes.count)) }
                command.withBytes(3) { value in
                    bytes.withUnsafeMutableBytes { target in
                        target.baseAddress!.advanced(by: Int(offset)).copyMemory(
                            from: value.baseAddress!, byteCount: valueCount)
                    }
                }
            })
    }

    static func incrby(_ c: inout CommandContext) {
        guard let increment = c.command.int64(2) else {
            c.notIntegerError()
            return
        }
        incrementBy(&c, increment)
    }

    static func decrby(_ c: inout CommandContext) {
        guard let decrement = c.command.int64(2) else {
            c.notIntegerError()
            return
        }
        if decrement == Int64.min {
            c.error("decrement would overflow")
            return
        }
        incrementBy(&c, -decrement)
    }

    /// Redis's `incrDecrCommand`: the result is `int`-encoded and keeps the key's expiry.
    static func incrementBy(_ c: inout CommandContext, _ increment: Int64) {
        let core = c.core
        let database = c.client.database
        let command = c.command
        let existing = command.withBytes(1) { core.lookUpForWrite(database, $0) }
        var current: Int64 = 0
        if let existing {
            switch existing {
            case .string(let string):
                guard let value = string.integerValue ?? string.withUnsafeBytes({ RedisNumberParsing.parseInt64($0) })
                else {
                    c.notIntegerError()
                    return
                }
                current = value
            }
        }
        let (result, overflow) = current.addingReportingOverflow(increment)
        if overflow {
            c.error("increment or decrement would overflow")
            return
        }
        storeResult(c, .string(StringValue(integer: result)), replacing: existing != nil, event: "incrby")
        c.integer(result)
    }

    /// Redis's `incrbyfloatCommand`: long-double arithmetic, the result stored as text.
    static func incrbyfloat(_ c: inout CommandContext) {
        let core = c.core
        let database = c.client.database
        let command = c.command
        let existing = command.withBytes(1) { core.lookUpForWrite(database, $0) }
        var current: Float80 = 0
        if let existing {
            switch existing {
            case .string(let string):
                guard let value = string.integerValue.map(Float80.init) ?? string.withUnsafeBytes(RedisLongDouble.parse)
                else {
                    c.error("value is not a valid float")
                    return
                }
                current = value
            }
        }
        guard let increment = command.withBytes(2, RedisLongDouble.parse) else {
            c.error("value is not a valid float")
            return
        }
        let result = current + increment
        if result.isNaN || result.isInfinite {
            c.error("increment would produce NaN or Infinity")
            return
        }
        let text = Array(RedisLongDouble.format(result, humanFriendly: true).utf8)
        let value = KeyspaceValue.string(text.withUnsafeBytes { StringValue(creating: $0) })
        storeResult(c, value, replacing: existing != nil, event: "incrbyfloat")
        c.bulk(bytes: text)
    }

    /// Stores a computed value at argument 1: `dbOverwrite` (keeping the expiry) or `dbAdd`
    /// (with its `new` event), then `event`.
    static func storeResult(_ c: CommandContext, _ value: KeyspaceValue, replacing: Bool, event: StaticString) {
        let core = c.core
        let database = c.client.database
        c.command.withBytes(1) { key in
            if replacing {
                core.databases[database].replaceValue(value, forKey: key)
            } else {
                core.databases[database].setValue(value, forKey: key)
                core.notifyKeyspaceEvent(KeyspaceEventFlags.new, event: "new", key: key, database: database)
            }
            core.notifyKeyspaceEvent(KeyspaceEventFlags.string, event: event, key: key, database: database)
        }
    }

    /// Redis 7.0's `lcsCommand`: options, errors and the three reply forms (string, LEN, IDX).
    static func lcs(_ c: inout CommandContext) {
        let core = c.core
        let database = c.client.database
        func bytes(_ index: Int) -> [UInt8] {
            switch c.command.withBytes(index, { core.lookUpForRead(database, $0) }) {
            case nil: return []
            case .string(let string): return string.withUnsafeBytes { Array($0) }
            }
        }
        let a = bytes(1)
        let b = bytes(2)
        var getLength = false
        var getIndexes = false
        var withMatchLength = false
        var minimumMatchLength: Int64 = 0
        var j = 3
        while j < c.argumentCount {
            let word = KeyCommands.optionWord(c.command, j)
            let more = c.argumentCount - 1 - j
            if word == Array("idx".utf8) {
                getIndexes = true
            } else if word == Array("len".utf8) {
                getLength = true
            } else if word == Array("withmatchlen".utf8) {
                withMatchLength = true
            } else if word == Array("minmatchlen".utf8) && more > 0 {
                guard let n = c.command.int64(j + 1) else {
                    c.notIntegerError()
                    return
                }
                minimumMatchLength = max(0, n)
                j += 1
            } else {
                c.syntaxError()
                return
            }
            j += 1
        }
        if getIndexes && getLength {
            c.error("If you want both the length and indexes, please just use IDX.")
            return
        }
        let result = LongestCommonSubsequence(
            a, b, needSequence: getIndexes || !getLength,
            minimumMatchLength: Int(clamping: minimumMatchLength))
        if getIndexes {
            c.map(2)
            c.bulk("matches")
            c.array(result.matches.count)
            for match in result.matches {
                c.array(withMatchLength ? 3 : 2)
                c.array(2)
                c.integer(match.a.lowerBound)
                c.integer(match.a.upperBound)
                c.array(2)
                c.integer(match.b.lowerBound)
                c.integer(match.b.upperBound)
                if withMatchLength { c.integer(match.length) }
            }
            c.bulk("len")
            c.integer(result.length)
        } else if getLength {
            c.integer(result.length)
        } else {
            c.bulk(bytes: result.sequence)
        }
    }
}
