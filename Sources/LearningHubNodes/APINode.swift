import Foundation
import HubProtocol
import Hubs
import HubTransports
import Hummingbird
import Logging

/// Node 2 of the book's chapter 9 plus an HTTP API that sends through the hub context, so a
/// backend can reach hub clients without being one.
///
/// * `POST /api/messages` with a JSON body
///   `{"target":"all"|"connection"|"group"|"user", "connectionId"|"group"|"user": "…",
///   "excluding": ["id", …], "method": "ReceiveMessage", "arguments": [any JSON …]}` →
///   `202 Accepted` (delivery is asynchronous, and a send to an unknown connection is silently
///   dropped, as in ASP.NET Core); `excluding` applies to `all` and `group`.
/// * `POST` / `DELETE /api/groups/{group}/connections/{connectionId}` → `204 No Content`.
/// * Errors are `{"error":"…"}`: 400 for a bad body, 404 for an unknown `/api` route, 413 for a
///   body over 1 MiB, 415 when the body is not `application/json`.
public enum APINode {
    /// The largest request body accepted.
    static let maximumBodySize = 1 << 20

    /// Builds the node's application; `onListening` gets the bound port.
    public static func makeApplication(
        options: LearningHubNodeOptions, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let parts = LearningHubNode.makeHub(options)
        let router = LearningHubNode.makeRouter(parts)
        let context = parts.endpoint.context
        router.post("/api/messages") { request, _ -> Response in
            await sendMessage(request, context: context)
        }
        router.post("/api/groups/:group/connections/:connectionId") { _, requestContext -> Response in
            await changeGroup(requestContext, add: true, context: context)
        }
        router.delete("/api/groups/:group/connections/:connectionId") { _, requestContext -> Response in
            await changeGroup(requestContext, add: false, context: context)
        }
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            router.on("/api/**", method: method) { _, _ in
                LearningHubNode.jsonError(.notFound, "No such API route.")
            }
        }
        return LearningHubNode.makeApplication(router: router, parts: parts, options: options, onListening: onListening)
    }

    /// A message request, checked.
    struct MessageRequest: Equatable {
        var method: String
        var target: HubSendTarget
        var arguments: [JSONValue]
    }

    static func sendMessage(_ request: Request, context: HubContext) async -> Response {
        guard isJSON(request.headers[.contentType]) else {
            return LearningHubNode.jsonError(.unsupportedMediaType, "Content-Type must be application/json.")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maximumBodySize)
        } catch {
            return LearningHubNode.jsonError(.contentTooLarge, "The body is larger than \(maximumBodySize) bytes.")
        }
        let message: MessageRequest
        switch parseMessage(Data(body.readableBytesView)) {
        case .success(let parsed): message = parsed
        case .failure(let error): return LearningHubNode.jsonError(.badRequest, error.text)
        }
        do {
            let arguments = HubArguments(message.arguments.map { HubValue($0) })
            try await HubClientProxy.send(message.method, arguments: arguments, to: message.target, context: context)
        } catch {
            return LearningHubNode.jsonError(.internalServerError, "The message could not be sent: \(error)")
        }
        return LearningHubNode.jsonResponse(.accepted, "{}")
    }

    struct BadRequest: Error, Equatable {
        let text: String
    }

    /// Checks a `POST /api/messages` body.
    static func parseMessage(_ data: Data) -> Result<MessageRequest, BadRequest> {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            return .failure(BadRequest(text: "The body is not valid JSON."))
        }
        guard case .object(let fields) = value else {
            return .failure(BadRequest(text: "The body must be a JSON object."))
        }
        guard let method = fields["method"]?.stringValue, !method.isEmpty else {
            return .failure(BadRequest(text: "'method' must be a non-empty string."))
        }
        var arguments: [JSONValue] = []
        switch fields["arguments"] {
        case nil, .null?: break
        case .array(let values)?: arguments = values
        default: return .failure(BadRequest(text: "'arguments' must be an array."))
        }
        var excluding: [String] = []
        switch fields["excluding"] {
        case nil, .null?: break
        case .array(let values)?:
            for value in values {
                guard let id = value.stringValue else {
                    return .failure(BadRequest(text: "'excluding' must be an array of connection ids."))
                }
                excluding.append(id)
            }
        default: return .failure(BadRequest(text: "'excluding' must be an array of connection ids."))
        }
        func required(_ name: String) -> Result<String, BadRequest> {
            guard let value = fields[name]?.stringValue, !value.isEmpty else {
                return .failure(BadRequest(text: "'\(name)' must be a non-empty string for this target."))
            }
            return .success(value)
        }
        let target: HubSendTarget
        switch fields["target"]?.stringValue {
        case "all":
            target = .all(excluding: excluding)
        case "connection":
            switch required("connectionId") {
            case .success(let id): target = .connection(id)
            case .failure(let error): return .failure(error)
            }
        case "group":
            switch required("group") {
            case .success(let group): target = .group(group, excluding: excluding)
            case .failure(let error): return .failure(error)
            }
        case "user":
            switch required("user") {
            case .success(let user): target = .user(user)
            case .failure(let error): return .failure(error)
            }
        default:
            return .failure(BadRequest(text: "'target' must be one of \"all\", \"connection\", \"group\", \"user\"."))
        }
        return .success(MessageRequest(method: method, target: target, arguments: arguments))
    }

    static func changeGroup(_ requestContext: BasicRequestContext, add: Bool, context: HubContext) async -> Response {
        guard let group = requestContext.parameters.get("group")?.removingPercentEncoding, !group.isEmpty,
            let connectionId = requestContext.parameters.get("connectionId")?.removingPercentEncoding,
            !connectionId.isEmpty
        else {
            return LearningHubNode.jsonError(.badRequest, "The group and the connection id must not be empty.")
        }
        do {
            if add {
                try await context.groups.add(connectionId, to: group)
            } else {
                try await context.groups.remove(connectionId, from: group)
            }
        } catch {
            return LearningHubNode.jsonError(.internalServerError, "The group could not be changed: \(error)")
        }
        return Response(status: .noContent)
    }

    private static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return mediaType.lowercased() == "application/json"
    }
}

extension HubClientProxy {
    /// Sends through the proxy `context` has for `target`.
    fileprivate static func send(
        _ method: String, arguments: HubArguments, to target: HubSendTarget, context: HubContext
    ) async throws {
        let clients = context.clients
        switch target {
        case .all(let excluding): try await clients.allExcept(excluding).send(method, arguments: arguments)
        case .connection(let id): try await clients.client(id).send(method, arguments: arguments)
        case .connections(let ids): try await clients.clients(ids).send(method, arguments: arguments)
        case .group(let group, let excluding):
            try await clients.groupExcept(group, excluding).send(method, arguments: arguments)
        case .groups(let groups): try await clients.groups(groups).send(method, arguments: arguments)
        case .user(let user): try await clients.user(user).send(method, arguments: arguments)
        case .users(let users): try await clients.users(users).send(method, arguments: arguments)
        }
    }
}
