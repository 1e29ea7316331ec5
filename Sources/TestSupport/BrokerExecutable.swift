import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Finds the built `broker` executable, for tests of the program itself.
public enum BrokerExecutable {
    /// `$BROKER_EXECUTABLE`, else `broker` next to the test bundle (SwiftPM builds both into the same
    /// directory); `nil` when neither exists.
    public static var path: String? {
        if let path = ProcessInfo.processInfo.environment["BROKER_EXECUTABLE"], access(path, X_OK) == 0 {
            return path
        }
        let starts = [Bundle.main.executableURL, URL(fileURLWithPath: CommandLine.arguments.first ?? "")]
        for start in starts.compactMap({ $0 }) {
            var directory = start
            for _ in 0..<4 {  // on macOS the test bundle is a directory a few levels deep
                directory.deleteLastPathComponent()
                let candidate = directory.appendingPathComponent("broker").path
                if access(candidate, X_OK) == 0 && !isDirectory(candidate) { return candidate }
            }
        }
        return nil
    }

    /// Why tests of the executable skip when it is absent.
    public static let unavailableReason =
        "the broker executable was not found next to the test bundle (build it, or set BROKER_EXECUTABLE)"

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
