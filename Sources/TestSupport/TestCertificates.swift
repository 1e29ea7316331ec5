import Foundation

/// A throwaway CA, a server certificate for `localhost`/127.0.0.1 and a client certificate, in a
/// temporary directory, and a second CA that signed none of them.
public struct TestCertificates: Sendable {
    /// The directory holding them all.
    public let directory: String
    public var ca: String { directory + "/ca.crt" }
    public var serverCertificate: String { directory + "/server.crt" }
    public var serverKey: String { directory + "/server.key" }
    public var clientCertificate: String { directory + "/client.crt" }
    public var clientKey: String { directory + "/client.key" }
    public var otherCA: String { directory + "/other-ca.crt" }

    /// `redis-server` arguments serving TLS on `tlsPort` with these certificates (plain TCP off),
    /// asking clients for a certificate signed by ``ca`` when `clientCertificates` is true.
    public func redisServerArguments(tlsPort: Int, clientCertificates: Bool) -> [String] {
        [
            "--port", "0", "--tls-port", String(tlsPort), "--tls-cert-file", serverCertificate,
            "--tls-key-file", serverKey, "--tls-ca-cert-file", ca,
            "--tls-auth-clients", clientCertificates ? "yes" : "no",
        ]
    }

    /// Whether `/usr/bin/openssl` is there to make them.
    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") }

    /// Makes them with `/usr/bin/openssl`.
    public static func make() async throws -> TestCertificates {
        let directory = NSTemporaryDirectory() + "tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let c = TestCertificates(directory: directory)
        try """
        subjectAltName = DNS:localhost, IP:127.0.0.1
        """.write(toFile: directory + "/san.ext", atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Test CA",
                "-keyout", directory + "/ca.key", "-out", c.ca,
            ],
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Other CA",
                "-keyout", directory + "/other-ca.key", "-out", c.otherCA,
            ],
            [
                "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", c.serverKey,
                "-out", directory + "/server.csr",
            ],
            [
                "x509", "-req", "-in", directory + "/server.csr", "-CA", c.ca, "-CAkey", directory + "/ca.key",
                "-CAcreateserial", "-days", "2", "-extfile", directory + "/san.ext", "-out", c.serverCertificate,
            ],
            [
                "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=client", "-keyout", c.clientKey,
                "-out", directory + "/client.csr",
            ],
            [
                "x509", "-req", "-in", directory + "/client.csr", "-CA", c.ca, "-CAkey", directory + "/ca.key",
                "-CAcreateserial", "-days", "2", "-out", c.clientCertificate,
            ],
        ]
        for step in steps {
            let process = try RunningProcess.spawn("/usr/bin/openssl", step)
            let status = try await process.waitForExit(timeout: .seconds(60))
            if status != 0 { throw TestSupportError("openssl \(step[0]) failed: \(process.output.text)") }
        }
        return c
    }
}
