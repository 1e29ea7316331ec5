/// The negotiate endpoint's decisions and its response bodies (ASP.NET Core's
/// `HttpConnectionDispatcher`), free of I/O.
enum HubNegotiation {
    /// The highest negotiate version this server speaks.
    static let maximumVersion = 1

    /// The version a client asked for, or the error text negotiate answers with.
    static func version(query: HubRequestURI, minimum: Int) -> Result<Int, NegotiateError> {
        guard let raw = query.value("negotiateVersion") else {
            return minimum > 0 ? .failure(.unsupported(0)) : .success(0)
        }
        // .NET's int.TryParse: surrounding white space and a sign are allowed, Int32 range.
        let trimmed = raw.trimmingWhitespace()
        guard let requested = Int32(trimmed) else { return .failure(.nonInteger) }
        if Int(requested) < minimum { return .failure(.unsupported(Int(requested))) }
        return .success(min(Int(requested), maximumVersion))
    }

    /// A version error; negotiate still answers 200 with `{"error":"…"}`.
    enum NegotiateError: Error, Equatable {
        case nonInteger
        case unsupported(Int)

        var text: String {
            switch self {
            case .nonInteger: return "The client requested a non-integer protocol version."
            case .unsupported(let version):
                return "The client requested version '\(version)', but the server does not support this version."
            }
        }
    }

    /// `{"error":"<text>"}`.
    static func errorBody(_ text: String) -> String {
        "{\"error\":\(jsonString(text))}"
    }

    /// The success body, fields in ASP.NET Core's order; `connectionToken` only from version 1.
    static func responseBody(
        version: Int, connectionId: String, connectionToken: String, transports: [HubTransportType]
    ) -> String {
        var body = "{\"negotiateVersion\":\(version),\"connectionId\":\(jsonString(connectionId))"
        if version > 0 { body += ",\"connectionToken\":\(jsonString(connectionToken))" }
        body += ",\"availableTransports\":["
        for (index, transport) in transports.enumerated() {
            if index > 0 { body += "," }
            body += "{\"transport\":\"\(transport.rawValue)\",\"transferFormats\":["
            body += transport.transferFormats.map { "\"\($0)\"" }.joined(separator: ",")
            body += "]}"
        }
        body += "]}"
        return body
    }

    /// A JSON string literal.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> Substring {
        var result = self[...]
        while let first = result.first, first.isWhitespace { result = result.dropFirst() }
        while let last = result.last, last.isWhitespace { result = result.dropLast() }
        return result
    }
}
