import HubProtocol

/// One hub method as the dispatcher sees it: its shape, and a closure that binds raw arguments to
/// the Swift parameter types it was registered with and runs it.
struct HubMethodDescriptor: Sendable {
    /// What running the method produced.
    enum Output: Sendable {
        /// A method without a result, or a stream that ended.
        case void
        /// A method's result.
        case value(HubValue)
    }

    /// The name as registered (lookup is case-insensitive).
    let name: String
    /// Arguments the invocation must carry (stream parameters excluded).
    let argumentCount: Int
    /// Client-to-server stream parameters.
    let streamCount: Int
    /// Whether the method returns a server-to-client stream (it must be called with a
    /// StreamInvocation).
    let isStreaming: Bool
    /// Binds and runs the method; `items` receives each item of a server-to-client stream.
    let invoke:
        @Sendable (
            _ context: HubCallerContext, _ arguments: HubArguments, _ streams: [HubStreamSource],
            _ items: HubStreamItemWriter?
        ) async throws -> Output
}

/// Writes the items of a server-to-client stream to the caller.
struct HubStreamItemWriter: Sendable {
    let write: @Sendable (HubValue) async throws -> Void
}

/// A failure to bind an invocation's arguments to the method's parameter types (reported as
/// `Failed to invoke '<m>' due to an error on the server.`).
struct HubBindingError: Error {
    let underlying: any Error
}

/// Decodes a method's parameters, in order, from an invocation's arguments and streams.
struct HubArgumentBinder {
    let arguments: HubArguments
    let streams: [HubStreamSource]
    var argumentIndex = 0
    var streamIndex = 0

    mutating func next<T: Decodable & Sendable>(_ type: T.Type) throws -> T {
        if let streamType = type as? any HubStreamParameter.Type {
            guard streamIndex < streams.count else {
                throw HubBindingError(underlying: HubError(.serialization, "Missing stream."))
            }
            let source = streams[streamIndex]
            streamIndex += 1
            // The cast cannot fail: `streamType` is `T`.
            return streamType.init(source: source) as! T
        }
        defer { argumentIndex += 1 }
        do {
            return try arguments.decode(type, at: argumentIndex)
        } catch {
            throw HubBindingError(underlying: error)
        }
    }

    /// The number of arguments and of stream parameters among `types`.
    static func shape<each P>(of types: repeat (each P).Type) -> (arguments: Int, streams: Int) {
        var arguments = 0
        var streams = 0
        for type in repeat each types {
            if type is any HubStreamParameter.Type { streams += 1 } else { arguments += 1 }
        }
        return (arguments, streams)
    }
}
