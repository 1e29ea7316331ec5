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
        return BuiltExecutable.path("broker")
    }

    /// Why tests of the executable skip when it is absent.
    public static let unavailableReason =
        "the broker executable was not found next to the test bundle (build it, or set BROKER_EXECUTABLE)"

}

/// Finds an executable of this package built next to the test bundle (`web-node`, `api-node` …).
public enum BuiltExecutable {
    /// The executable `name` in the build directory the tests run from; `nil` when absent.
    public static func path(_ name: String) -> String? {
        let starts = [Bundle.main.executableURL, URL(fileURLWithPath: CommandLine.arguments.first ?? "")]
        for start in starts.compactMap({ $0 }) {
            var directory = start
            for _ in 0..<4 {  // on macOS the test bundle is a directory a few levels deep
                directory.deleteLastPathComponent()
                let candidate = directory.appendingPathComponent(name).path
                if access(candidate, X_OK) == 0 && !isDirectory(candidate) { return candidate }
            }
        }
        return nil
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
