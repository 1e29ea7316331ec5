import BrokerStorage
import RESP

/// `GET`, `SET` (Redis 7.0's `t_string.c`).
enum StringCommands {
    static let handlers: [String: CommandHandler] = ["get": get, "set": set, "lcs": lcs]

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

    static func get(_ c: inout CommandContext) {
        replyWithValue(&c)
    }

    enum ExpiryOption { case ex, px, exat, pxat }

    /// Redis's `parseExtendedStringArgumentsOrReply` (for `SET`) and `setGenericCommand`.
    static func set(_ c: inout CommandContext) {
        var nx = false
        var xx = false
        var get = false
        var keepTTL = false
        var expiry: (option: ExpiryOption, index: Int)?
        var j = 3
        while j < c.argumentCount {
            let word = KeyCommands.optionWord(c.command, j)
            let hasNext = j < c.argumentCount - 1
            // An expiry option conflicts with KEEPTTL and with the other three, not with itself
            // (`EX 1 EX 2` is accepted; the last one counts).
            func expiryAllowed(_ option: ExpiryOption) -> Bool {
                !keepTTL && (expiry == nil || expiry!.option == option) && hasNext
            }
            if word == Array("nx".utf8) && !xx {
                nx = true
            } else if word == Array("xx".utf8) && !nx {
                xx = true
            } else if word == Array("get".utf8) {
                get = true
            } else if word == Array("keepttl".utf8) && expiry == nil {
                keepTTL = true
            } else if word == Array("ex".utf8) && expiryAllowed(.ex) {
                expiry = (.ex, j + 1)
                j += 1
            } else if word == Array("px".utf8) && expiryAllowed(.px) {
                expiry = (.px, j + 1)
                j += 1
            } else if word == Array("exat".utf8) && expiryAllowed(.exat) {
                expiry = (.exat, j + 1)
                j += 1
            } else if word == Array("pxat".utf8) && expiryAllowed(.pxat) {
                expiry = (.pxat, j + 1)
                j += 1
            } else {
                c.syntaxError()
                return
            }
            j += 1
        }

        var deadline: Int64?
        if let expiry {
            // Redis's getExpireMillisecondsOrReply.
            guard var when = c.command.int64(expiry.index) else {
                c.notIntegerError()
                return
            }
            let seconds = expiry.option == .ex || expiry.option == .exat
            if when <= 0 || (seconds && when > Int64.max / 1000) {
                c.error("invalid expire time in 'set' command")
                return
            }
            if seconds { when *= 1000 }
            if expiry.option == .ex || expiry.option == .px { when = when &+ BrokerCore.milliseconds() }
            if when <= 0 {
                c.error("invalid expire time in 'set' command")
                return
            }
            deadline = when
        }

        if get && !replyWithValue(&c) { return }

        let core = c.core
        let database = c.client.database
        let command = c.command
        let stored: Bool = command.withBytes(1) { key in
            let found = core.lookUpForWrite(database, key) != nil
            if (nx && found) || (xx && !found) { return false }
            let value = KeyspaceValue.string(command.withBytes(2) { StringValue($0) })
            if keepTTL && found {
                core.databases[database].replaceValue(value, forKey: key)
            } else {
                // Without KEEPTTL a SET drops any old expiry; a past EXAT/PXAT deadline is stored
                // as given and the key is expired on its next access, as in Redis 7.0.
                core.databases[database].setValue(value, forKey: key, expiresAt: deadline)
            }
            // Redis's setKey (`new` from dbAdd), then setGenericCommand's own events.
            if !found { core.notifyKeyspaceEvent(KeyspaceEventFlags.new, event: "new", key: key, database: database) }
            core.notifyKeyspaceEvent(KeyspaceEventFlags.string, event: "set", key: key, database: database)
            if deadline != nil {
                core.notifyKeyspaceEvent(KeyspaceEventFlags.generic, event: "expire", key: key, database: database)
            }
            return true
        }
        if get { return }
        if stored { c.ok() } else { c.null() }
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
