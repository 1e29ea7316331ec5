import Foundation

/// A message, by its marker: which sender, which sequence number.
struct MessageKey: Hashable, Sendable {
    var sender: Int
    var sequence: UInt64
}

/// The timed receivers' view of one measured message: how many got it, the first and the last
/// receive latency (µs).
struct MessageReceipts: Sendable {
    var count = 0
    var first = UInt64.max
    var last: UInt64 = 0

    mutating func record(_ microseconds: UInt64) {
        count += 1
        first = min(first, microseconds)
        last = max(last, microseconds)
    }

    mutating func add(_ other: MessageReceipts) {
        count += other.count
        first = min(first, other.first)
        last = max(last, other.last)
    }
}

/// The sender's view of one measured message: when it was due (ns after the window's start), how
/// late it left and its invocation round trip (µs; nil until its Completion came).
struct MessageSend: Sendable {
    var dueAfterStart: UInt64
    var lateness: UInt64
    var roundTrip: UInt64?
}

/// `--trace-file`: one line per measured message, so the latency tail can be told apart: a few
/// slow messages, or episodes in which every message waited before its fan-out even began.
enum MessageTrace {
    static let header =
        "sender,sequence,due_ms,send_late_us,round_trip_us,timed_receivers,first_receive_us,last_receive_us"

    /// The CSV text, in send order.
    static func csv(sends: [MessageKey: MessageSend], receipts: [MessageKey: MessageReceipts]) -> String {
        var keys = Set(sends.keys)
        keys.formUnion(receipts.keys)
        let ordered = keys.sorted {
            let a = sends[$0]?.dueAfterStart ?? .max
            let b = sends[$1]?.dueAfterStart ?? .max
            return a != b ? a < b : ($0.sender, $0.sequence) < ($1.sender, $1.sequence)
        }
        var lines = [header]
        lines.reserveCapacity(ordered.count + 1)
        for key in ordered {
            let send = sends[key]
            let seen = receipts[key]
            func field(_ value: UInt64?) -> String { value.map(String.init) ?? "" }
            lines.append(
                [
                    "\(key.sender)", "\(key.sequence)",
                    send.map { String(format: "%.3f", Double($0.dueAfterStart) / 1e6) } ?? "",
                    field(send?.lateness), field(send?.roundTrip), "\(seen?.count ?? 0)",
                    field(seen.flatMap { $0.count > 0 ? $0.first : nil }),
                    field(seen.flatMap { $0.count > 0 ? $0.last : nil }),
                ].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
