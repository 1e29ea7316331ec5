import Foundation

/// tools/learninghub-contract.py, the LearningHub contract driven by signalrcore (Python).
public enum ContractScript {
    /// The script's path in this checkout.
    public static let path = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("tools/learninghub-contract.py").path

    /// Whether python3 with signalrcore is installed (prints why not, once).
    public static let isAvailable: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import signalrcore"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            print("skipped: the LearningHub contract run needs python3 with signalrcore (pip install signalrcore)")
        }
        return process.terminationStatus == 0
    }()
}
