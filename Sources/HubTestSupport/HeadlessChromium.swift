import Foundation
import NIOCore
import Synchronization
import TestSupport

/// A headless Chromium driven through its DevTools protocol, for tests of pages in a real
/// browser: Debian's `chromium`, started with a throwaway profile on a free debugging port.
/// ``open(_:)`` loads a page in a new tab and ``Page/evaluate(_:)`` runs JavaScript in it.
public final class HeadlessChromium: Sendable {
    /// The browser's executable (`chromium`, `chromium-browser` or `google-chrome` on `PATH`).
    public static var executable: String? {
        ["chromium", "chromium-browser", "google-chrome"].lazy.compactMap { RunningProcess.find($0) }.first
    }

    /// Why browser tests skip without one.
    public static let unavailableReason = "needs Chromium (apt-get install chromium)"

    private let process: RunningProcess
    private let profile: String
    /// The DevTools HTTP and WebSocket port.
    public let port: Int

    private init(process: RunningProcess, profile: String, port: Int) {
        self.process = process
        self.profile = profile
        self.port = port
    }

    /// Starts the browser and waits until its DevTools endpoint listens.
    public static func launch() async throws -> HeadlessChromium {
        guard let executable else { throw TestSupportError(unavailableReason) }
        let profile = NSTemporaryDirectory() + "chromium-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)
        let process = try RunningProcess.spawn(
            executable,
            [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions", "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0", "--user-data-dir=\(profile)", "about:blank",
            ])
        do {
            let output = try await process.waitForOutput(containing: "DevTools listening on", timeout: .seconds(60))
            guard let port = output.firstMatch(of: #/DevTools listening on ws://[^:]+:(\d+)/#).flatMap({ Int($0.1) })
            else { throw TestSupportError("no DevTools port in Chromium's output: \(output)") }
            return HeadlessChromium(process: process, profile: profile, port: port)
        } catch {
            await process.terminate()
            try? FileManager.default.removeItem(atPath: profile)
            throw error
        }
    }

    /// Opens `url` in a new tab.
    public func open(_ url: String) async throws -> Page {
        let response = try await TestHTTPClient.request("PUT", port: port, path: "/json/new?\(url)")
        guard
            let path = response.body.firstMatch(
                of: #/"webSocketDebuggerUrl"\s*:\s*"ws://[^/"]+(/devtools/page/[^"]+)"/#)?
                .1
        else { throw TestSupportError("Chromium did not open a tab: \(response.status) \(response.body)") }
        return Page(client: try await TestWebSocketClient.connect(port: port, path: String(path)))
    }

    /// Stops the browser and removes its profile.
    public func close() async {
        await process.terminate()
        try? FileManager.default.removeItem(atPath: profile)
    }

    /// One tab.
    public final class Page: Sendable {
        private let client: TestWebSocketClient
        private let nextId = Atomic<Int>(1)

        init(client: TestWebSocketClient) {
            self.client = client
        }

        /// Evaluates `expression` in the page (awaiting it if it is a promise) and returns its
        /// value, converted to JSON by the browser, as Foundation values (`String`, `NSNumber`,
        /// arrays, dictionaries, `NSNull`).
        @discardableResult
        public func evaluate(_ expression: String, timeout: Duration = .seconds(30)) async throws -> Any {
            let id = nextId.add(1, ordering: .relaxed).oldValue
            let command: [String: Any] = [
                "id": id, "method": "Runtime.evaluate",
                "params": ["expression": expression, "returnByValue": true, "awaitPromise": true],
            ]
            let data = try JSONSerialization.data(withJSONObject: command)
            try await client.sendText(String(decoding: data, as: UTF8.self))
            while true {
                let text = try await client.nextText(timeout: timeout)
                guard let reply = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                    reply["id"] as? Int == id
                else { continue }  // an event, or another command's reply
                if let error = reply["error"] { throw TestSupportError("DevTools error: \(error)") }
                let result = reply["result"] as? [String: Any]
                if let exception = result?["exceptionDetails"] {
                    throw TestSupportError("JavaScript threw: \(exception)")
                }
                return (result?["result"] as? [String: Any])?["value"] ?? NSNull()
            }
        }

        /// Waits until the JavaScript `condition` is true in the page: the page re-checks it on
        /// every change to its document (a `MutationObserver`), so no polling from here.
        public func waitUntil(_ condition: String, timeout: Duration = .seconds(30)) async throws {
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            let script = """
                new Promise((resolve, reject) => {
                  const check = () => { try { return Boolean(\(condition)); } catch (e) { return false; } };
                  if (check()) { resolve(true); return; }
                  const observer = new MutationObserver(() => {
                    if (check()) { observer.disconnect(); clearTimeout(timer); resolve(true); }
                  });
                  observer.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
                  const timer = setTimeout(() => { observer.disconnect(); reject(new Error('timed out waiting until ' + \(Self.jsString(condition)))); }, \(Int(seconds * 1000)));
                })
                """
            try await evaluate(script, timeout: timeout + .seconds(5))
        }

        /// Closes the DevTools connection to the tab.
        public func close() async {
            await client.disconnect()
        }

        /// `text` as a JavaScript string literal.
        public static func jsString(_ text: String) -> String {
            let data = (try? JSONSerialization.data(withJSONObject: [text])) ?? Data("[\"\"]".utf8)
            return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
        }
    }
}
