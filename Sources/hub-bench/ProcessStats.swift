import CBrokerSupport
import Foundation
import NIOCore

/// CPU seconds (user + system) this process has used so far.
func ownCPUSeconds() -> Double {
    var usage = rusage()
    guard getrusage(Int32(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// How many CPUs this process may run on: its affinity mask, so `taskset` shows.
func allowedCPUCount() -> Int {
    Int(switchboard_allowed_cpus())
}

/// A process hub-bench watches: a hub node (or the broker) given with --node-pid.
struct WatchedProcess: Sendable {
    var pid: Int32

    /// Resident set size in bytes (`VmRSS` of /proc/PID/status), or nil when unreadable.
    func residentBytes() -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kilobytes = UInt64(fields[1]) { return kilobytes * 1024 }
        }
        return nil
    }

    /// Read and write system calls so far (`syscr`, `syscw` of /proc/PID/io), or nil when unreadable.
    func syscalls() -> (reads: UInt64, writes: UInt64)? {
        readSyscalls(path: "/proc/\(pid)/io")
    }

    /// User + system CPU seconds (fields 14 and 15 of /proc/PID/stat), or nil when unreadable.
    func cpuSeconds() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // After "pid (comm) ": state is field 3, utime field 14, stime field 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (user + system) / ticks
    }
}

/// `syscr` and `syscw` of a /proc/…/io file.
func readSyscalls(path: String) -> (reads: UInt64, writes: UInt64)? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    var reads: UInt64?
    var writes: UInt64?
    for line in text.split(separator: "\n") {
        if line.hasPrefix("syscr: ") { reads = UInt64(line.dropFirst(7)) }
        if line.hasPrefix("syscw: ") { writes = UInt64(line.dropFirst(7)) }
    }
    guard let reads, let writes else { return nil }
    return (reads, writes)
}

/// Memory and CPU of the watched processes at one moment.
struct ProcessSample: Sendable {
    var resident: [UInt64?]
    var cpu: [Double?]
    var syscalls: [(reads: UInt64, writes: UInt64)?]
    var ownCPU: Double
    var ownSyscalls: (reads: UInt64, writes: UInt64)?

    init(_ processes: [WatchedProcess]) {
        resident = processes.map { $0.residentBytes() }
        cpu = processes.map { $0.cpuSeconds() }
        syscalls = processes.map { $0.syscalls() }
        ownCPU = ownCPUSeconds()
        ownSyscalls = readSyscalls(path: "/proc/self/io")
    }

    /// The sum over the watched processes, nil when one could not be read.
    var totalResident: UInt64? {
        resident.reduce(UInt64(0) as UInt64?) { total, value in total.flatMap { t in value.map { t + $0 } } }
    }

    /// Write system calls of all watched processes, nil when one could not be read.
    var totalWrites: UInt64? {
        syscalls.reduce(UInt64(0) as UInt64?) { total, value in total.flatMap { t in value.map { t + $0.writes } } }
    }

    var totalCPU: Double? {
        cpu.reduce(0.0 as Double?) { total, value in total.flatMap { t in value.map { t + $0 } } }
    }
}
