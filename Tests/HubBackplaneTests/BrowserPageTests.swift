import Foundation
import HubTestSupport
import NIOCore
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// web-node's page in a real browser (headless Chromium through its DevTools protocol): the book's
/// scenario as it starts, a page on node 1 and a client on node 2, joined by the bundled broker.
@Suite(
    "web-node's page in headless Chromium", .serialized,
    .enabled(if: NodeExecutables.areAvailable, "needs the web-node and api-node executables (swift build)"),
    .enabled(if: HeadlessChromium.executable != nil, "\(HeadlessChromium.unavailableReason)"))
struct BrowserPageTests {
    /// The texts of the page's received-message list, as a JavaScript expression.
    static let listed = "[...document.querySelectorAll('#messages li')].map(li => li.textContent)"

    static func listContains(_ text: String) -> String {
        "\(listed).some(t => t.includes(\(HeadlessChromium.Page.jsString(text))))"
    }

    @Test(
        "the page connects (WebSockets, then forced long polling), gets a broadcast from api-node's client, and shows a server stream"
    )
    func pageAcrossNodes() async throws {
        try await TestSupport.TestServer.withServer(.broker) { server in
            let web = try await BookScenarioTests.Node.start("web-node", redisPort: server.port)
            let api = try await BookScenarioTests.Node.start("api-node", redisPort: server.port)
            defer {
                web.process.signal(SIGKILL)
                api.process.signal(SIGKILL)
            }
            try await eventually("both nodes report ok") {
                let webHealth = try await web.health()
                let apiHealth = try await api.health()
                return webHealth.contains(#""status":"ok""#) && apiHealth.contains(#""status":"ok""#)
            }
            let peer = try await BackplanePeer.connect(port: api.port, path: "/learningHub", learnId: false)
            try await peer.call("SendToIndividual", "no-such-connection", "ready?")
            let browser = try await HeadlessChromium.launch()
            defer { Task { await browser.close() } }

            for (query, transport) in [("", "WebSockets"), ("?transport=longPolling", "LongPolling")] {
                let page = try await browser.open("http://127.0.0.1:\(web.port)/\(query)")
                // Opening the page sends the hub-context message to every client of every node.
                #expect(try await peer.nextReceived("ReceiveMessage") == BookScenarioTests.index)
                try await page.waitUntil("document.getElementById('status').textContent.startsWith('connected')")
                #expect(
                    try await page.evaluate("document.getElementById('transport').textContent") as? String
                        == transport)

                // A client of the other node broadcasts: the page lists it.
                try await peer.call("BroadcastMessage", "hello over \(transport)")
                _ = try await peer.nextReceived("ReceiveMessage")
                try await page.waitUntil(Self.listContains("Message: hello over \(transport)"))

                // The page broadcasts from its box: the other node's client receives it.
                try await page.evaluate(
                    """
                    document.getElementById('message').value = 'typed in the page';
                    document.getElementById('broadcast').click();
                    """)
                #expect(try await peer.nextReceived("ReceiveMessage").hasSuffix("Message: typed in the page"))

                // A server stream, its items listed as they come.
                try await page.evaluate(
                    """
                    document.getElementById('jobs').value = '2';
                    document.getElementById('trigger-stream').click();
                    """)
                try await page.waitUntil(Self.listContains("Job 1 executed succesfully"))
                #expect(
                    try await page.evaluate("\(Self.listed).filter(t => t.includes('executed succesfully')).length")
                        as? Int == 2)
                await page.close()
            }
            await peer.disconnect()
            await browser.close()
            #expect(await web.process.terminate() == 0)
            #expect(await api.process.terminate() == 0)
        }
    }
}
