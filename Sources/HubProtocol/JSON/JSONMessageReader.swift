import NIOCore

/// Reads one JSON hub message (a frame's payload) into a ``HubMessage``: members in any order,
/// values sliced raw out of `source`, error texts as ASP.NET Core's.
struct JSONMessageReader {
    /// The payload; `scanner.bytes` are its readable bytes.
    let source: ByteBuffer
    var scanner: JSONScanner

    private var type: Int32?
    private var invocationId: String?
    private var target: String?
    private var error: String?
    private var allowReconnect = false
    private var headers: [String: String] = [:]
    private var streamIds: [String] = []
    private var arguments: [HubValue]?
    private var item: HubValue?
    private var result: HubValue?
    private var sequenceId: Int64?

    init(source: ByteBuffer, scanner: JSONScanner) {
        self.source = source
        self.scanner = scanner
    }

    mutating func read() throws(HubProtocolError) -> HubMessage? {
        try readObjectStart()
        if scanner.peek() == UInt8(ascii: "}") {
            scanner.index &+= 1
        } else {
            repeat {
                guard scanner.peek() == UInt8(ascii: "\"") else { throw scanner.unexpected() }
                let name = try scanner.scanString()
                try scanner.expect(UInt8(ascii: ":"))
                scanner.skipWhitespace()
                try readMember(name)
            } while try scanner.nextMember(close: UInt8(ascii: "}"))
        }
        try scanner.expectEnd()
        return try bind()
    }

    private mutating func readObjectStart() throws(HubProtocolError) {
        guard let first = scanner.peek() else { throw scanner.unexpected() }
        guard first == UInt8(ascii: "{") else {
            throw Self.notAnObject(first) ?? scanner.unexpected()
        }
        scanner.index &+= 1
    }

    /// ASP.NET Core's error for a message that is valid JSON but not an object; `nil` when the
    /// first byte starts no JSON value.
    static func notAnObject(_ first: UInt8) -> HubProtocolError? {
        let token: String
        switch first {
        case UInt8(ascii: "["): token = "Array"
        case UInt8(ascii: "\""): token = "String"
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): token = "Number"
        case UInt8(ascii: "t"): token = "True"
        case UInt8(ascii: "f"): token = "False"
        case UInt8(ascii: "n"): token = "Null"
        default: return nil
        }
        return HubProtocolError(.unexpectedToken, "Unexpected JSON Token Type '\(token)'. Expected a JSON Object.")
    }

    private mutating func readMember(_ name: JSONScanner.StringToken) throws(HubProtocolError) {
        // Dispatch on the name's length first: most names are told apart without a comparison.
        switch name.end - name.start {
        case 4 where scanner.string(name, equals: "type"):
            type = try readInt32("type")
        case 12 where scanner.string(name, equals: "invocationId"):
            invocationId = try readString("invocationId")
        case 6 where scanner.string(name, equals: "target"):
            target = try readString("target")
        case 9 where scanner.string(name, equals: "arguments"):
            try readArguments()
        case 4 where scanner.string(name, equals: "item"):
            item = try readValue()
        case 6 where scanner.string(name, equals: "result"):
            result = try readValue()
        case 5 where scanner.string(name, equals: "error"):
            error = try readString("error")
        case 7 where scanner.string(name, equals: "headers"):
            try readHeaders()
        case 9 where scanner.string(name, equals: "streamIds"):
            try readStreamIds()
        case 14 where scanner.string(name, equals: "allowReconnect"):
            allowReconnect = try readBool("allowReconnect")
        case 10 where scanner.string(name, equals: "sequenceId"):
            sequenceId = try readInt64("sequenceId")
        default:
            if name.hasEscapes {
                try readEscapedMember(scanner.string(name))
            } else {
                _ = try scanner.skipValue(depth: 1)
            }
        }
    }

    /// A member whose name is written with escapes (`"t\u0079pe"`): rare, so compared as a `String`.
    private mutating func readEscapedMember(_ name: String) throws(HubProtocolError) {
        switch name {
        case "type": type = try readInt32("type")
        case "invocationId": invocationId = try readString("invocationId")
        case "target": target = try readString("target")
        case "arguments": try readArguments()
        case "item": item = try readValue()
        case "result": result = try readValue()
        case "error": error = try readString("error")
        case "headers": try readHeaders()
        case "streamIds": try readStreamIds()
        case "allowReconnect": allowReconnect = try readBool("allowReconnect")
        case "sequenceId": sequenceId = try readInt64("sequenceId")
        default: _ = try scanner.skipValue(depth: 1)
        }
    }

    // MARK: Member values

    private func typeError(_ name: String, _ kind: String) -> HubProtocolError {
        HubProtocolError(.invalidPropertyType, "Expected '\(name)' to be of type \(kind).")
    }

    private mutating func readString(_ name: String) throws(HubProtocolError) -> String? {
        guard let first = scanner.peek() else { throw scanner.unexpected() }
        if first == UInt8(ascii: "n") {
            try scanner.literal("null")
            return nil
        }
        guard first == UInt8(ascii: "\"") else {
            _ = try scanner.skipValue(depth: 1)
            throw typeError(name, "String")
        }
        return scanner.string(try scanner.scanString())
    }

    private mutating func readInteger(_ name: String) throws(HubProtocolError) -> Int64? {
        guard let first = scanner.peek() else { throw scanner.unexpected() }
        if first == UInt8(ascii: "n") {
            try scanner.literal("null")
            return nil
        }
        guard first == UInt8(ascii: "-") || scanner.isDigit(first) else {
            _ = try scanner.skipValue(depth: 1)
            throw typeError(name, "Number")
        }
        let token = try scanner.scanNumber()
        guard let value = scanner.integerValue(token) else {
            var error = typeError(name, "Number")
            error.context = "not an integer in range"
            throw error
        }
        return value
    }

    private mutating func readInt32(_ name: String) throws(HubProtocolError) -> Int32 {
        guard let value = try readInteger(name) else { throw typeError(name, "Number") }
        guard let small = Int32(exactly: value) else {
            var error = typeError(name, "Number")
            error.context = "\(value) is not a 32-bit integer"
            throw error
        }
        return small
    }

    private mutating func readInt64(_ name: String) throws(HubProtocolError) -> Int64? {
        try readInteger(name)
    }

    private mutating func readBool(_ name: String) throws(HubProtocolError) -> Bool {
        switch scanner.peek() {
        case UInt8(ascii: "t"):
            try scanner.literal("true")
            return true
        case UInt8(ascii: "f"):
            try scanner.literal("false")
            return false
        default:
            _ = try scanner.skipValue(depth: 1)
            throw HubProtocolError(.invalidPropertyType, "Expected '\(name)' to be true or false.")
        }
    }

    /// A value of any kind, validated and sliced.
    private mutating func readValue() throws(HubProtocolError) -> HubValue {
        let range = try scanner.skipValue(depth: 1)
        return slice(range)
    }

    @inline(__always)
    private func slice(_ range: Range<Int>) -> HubValue {
        let bytes = source.getSlice(at: source.readerIndex + range.lowerBound, length: range.count)!
        return HubValue(storage: .raw(bytes, .json))
    }

    private mutating func readArguments() throws(HubProtocolError) {
        guard scanner.peek() == UInt8(ascii: "[") else {
            _ = try scanner.skipValue(depth: 1)
            throw typeError("arguments", "Array")
        }
        try scanner.checkDepth(2)
        scanner.index &+= 1
        var values: [HubValue] = []
        if scanner.peek() == UInt8(ascii: "]") {
            scanner.index &+= 1
        } else {
            values.reserveCapacity(4)  // one allocation for the usual few arguments
            repeat {
                values.append(slice(try scanner.skipValue(depth: 2)))
            } while try scanner.nextMember(close: UInt8(ascii: "]"))
        }
        arguments = values
    }

    private mutating func readHeaders() throws(HubProtocolError) {
        guard scanner.peek() == UInt8(ascii: "{") else {
            _ = try scanner.skipValue(depth: 1)
            throw typeError("headers", "StartObject")
        }
        try scanner.checkDepth(2)
        scanner.index &+= 1
        var headers: [String: String] = [:]
        if scanner.peek() == UInt8(ascii: "}") {
            scanner.index &+= 1
        } else {
            repeat {
                guard scanner.peek() == UInt8(ascii: "\"") else { throw scanner.unexpected() }
                let key = scanner.string(try scanner.scanString())
                try scanner.expect(UInt8(ascii: ":"))
                guard scanner.peek() == UInt8(ascii: "\"") else {
                    _ = try scanner.skipValue(depth: 2)
                    throw HubProtocolError(.invalidPropertyType, "Expected header '\(key)' to be of type String.")
                }
                headers[key] = scanner.string(try scanner.scanString())
            } while try scanner.nextMember(close: UInt8(ascii: "}"))
        }
        self.headers = headers
    }

    private mutating func readStreamIds() throws(HubProtocolError) {
        guard scanner.peek() == UInt8(ascii: "[") else {
            _ = try scanner.skipValue(depth: 1)
            throw typeError("streamIds", "Array")
        }
        try scanner.checkDepth(2)
        scanner.index &+= 1
        var ids: [String] = []
        if scanner.peek() == UInt8(ascii: "]") {
            scanner.index &+= 1
        } else {
            repeat {
                switch scanner.peek() {
                case UInt8(ascii: "\""):
                    ids.append(scanner.string(try scanner.scanString()))
                case UInt8(ascii: "n"):
                    try scanner.literal("null")
                    throw HubProtocolError(.invalidPropertyType, "Null value for 'streamIds' is not valid.")
                default:
                    _ = try scanner.skipValue(depth: 2)
                    throw HubProtocolError(.invalidPropertyType, "Expected 'streamIds' to be an array of strings.")
                }
            } while try scanner.nextMember(close: UInt8(ascii: "]"))
        }
        streamIds = ids
    }

    // MARK: Binding

    /// Builds the message once every member is read, checking required members in ASP.NET Core's
    /// order so the first error reported is the same.
    private func bind() throws(HubProtocolError) -> HubMessage? {
        guard let type else { throw HubProtocolError.missingProperty("type") }
        switch type {
        case 1:
            guard let target, !target.isEmpty else { throw HubProtocolError.missingProperty("target") }
            guard let arguments else { throw HubProtocolError.missingProperty("arguments") }
            return .invocation(
                InvocationMessage(
                    headers: headers, invocationId: invocationId, target: target,
                    arguments: HubArguments(arguments), streamIds: streamIds))
        case 4:
            guard let target else { throw HubProtocolError.missingProperty("target") }
            guard let invocationId, !invocationId.isEmpty else {
                throw HubProtocolError.missingProperty("invocationId")
            }
            guard let arguments else { throw HubProtocolError.missingProperty("arguments") }
            guard !target.isEmpty else { throw HubProtocolError.missingProperty("target") }
            return .streamInvocation(
                StreamInvocationMessage(
                    headers: headers, invocationId: invocationId, target: target,
                    arguments: HubArguments(arguments), streamIds: streamIds))
        case 2:
            let id = try requiredInvocationId()
            guard let item else { throw HubProtocolError.missingProperty("item") }
            return .streamItem(StreamItemMessage(headers: headers, invocationId: id, item: item))
        case 3:
            let id = try requiredInvocationId()
            let outcome: CompletionMessage.Outcome
            switch (error, result) {
            case (.some, .some):
                throw HubProtocolError(.errorAndResult, "The 'error' and 'result' properties are mutually exclusive.")
            case (.some(let error), nil): outcome = .error(error)
            case (nil, .some(let result)): outcome = .result(result)
            case (nil, nil): outcome = .void
            }
            return .completion(CompletionMessage(headers: headers, invocationId: id, outcome: outcome))
        case 5:
            return .cancelInvocation(
                CancelInvocationMessage(headers: headers, invocationId: try requiredInvocationId()))
        case 6:
            return .ping
        case 7:
            return .close(CloseMessage(error: error, allowReconnect: allowReconnect))
        case 8:
            guard let sequenceId else { throw HubProtocolError.missingProperty("sequenceId") }
            return .ack(sequenceId: sequenceId)
        case 9:
            guard let sequenceId else { throw HubProtocolError.missingProperty("sequenceId") }
            return .sequence(sequenceId: sequenceId)
        default:
            return nil  // a message type from a newer peer: ignored
        }
    }

    private func requiredInvocationId() throws(HubProtocolError) -> String {
        guard let invocationId, !invocationId.isEmpty else { throw HubProtocolError.missingProperty("invocationId") }
        return invocationId
    }
}
