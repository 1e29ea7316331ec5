/// A request target split into its path and percent-decoded query items, read the way ASP.NET
/// Core reads them (`+` is a space in a query).
struct HubRequestURI: Sendable {
    /// The path without the query (`/learningHub/negotiate`).
    var path: String
    /// Query items in order.
    var query: [(name: String, value: String)]

    init(_ target: String) {
        let bytes = Array(target.utf8)
        let queryStart = bytes.firstIndex(of: UInt8(ascii: "?"))
        var pathBytes = bytes[..<(queryStart ?? bytes.endIndex)]
        if let fragment = pathBytes.firstIndex(of: UInt8(ascii: "#")) { pathBytes = pathBytes[..<fragment] }
        path = String(decoding: pathBytes, as: UTF8.self)
        query = []
        guard let queryStart else { return }
        var rest = bytes[(queryStart + 1)...]
        if let fragment = rest.firstIndex(of: UInt8(ascii: "#")) { rest = rest[..<fragment] }
        for item in rest.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            if let equals = item.firstIndex(of: UInt8(ascii: "=")) {
                query.append(
                    (Self.decode(item[..<equals]), Self.decode(item[(equals + 1)...])))
            } else {
                query.append((Self.decode(item[...]), ""))
            }
        }
    }

    /// The first query item named `name`, compared ignoring ASCII case (ASP.NET Core's query
    /// collection is case-insensitive).
    func value(_ name: String) -> String? {
        let lowered = name.lowercased()
        return query.first { $0.name.lowercased() == lowered }?.value
    }

    /// Percent-decodes one query component; a malformed escape is kept literally, and invalid
    /// UTF-8 is repaired, so no input makes it fail.
    static func decode(_ component: ArraySlice<UInt8>) -> String {
        guard component.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else {
            return String(decoding: component, as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(component.count)
        var index = component.startIndex
        while index < component.endIndex {
            let byte = component[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index + 2 < component.endIndex,
                let high = hexValue(component[index + 1]), let low = hexValue(component[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
                continue
            } else {
                out.append(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
