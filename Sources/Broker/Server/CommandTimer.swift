import CBrokerSupport

/// Times commands for `INFO commandstats` in ticks, and converts the sums to microseconds.
///
/// Every command is timed, so reading the clock is on the hot path: two `clock_gettime` calls per
/// command took 3–4% of a pipelined `PING` (perf). Where the processor's time-stamp counter is
/// invariant, ticks are its cycles (one instruction); they are converted to time with the rate
/// measured between the timer's creation and the conversion. Elsewhere ticks are nanoseconds.
struct CommandTimer: Sendable {
    private let usesTSC: Int32
    private let originTicks: UInt64
    private let originNanoseconds: UInt64

    init() {
        usesTSC = switchboard_tsc_is_invariant()
        originNanoseconds = switchboard_ticks(0)
        originTicks = switchboard_ticks(usesTSC)
    }

    /// The current tick count.
    @inline(__always)
    func now() -> UInt64 { switchboard_ticks(usesTSC) }

    /// `ticks` (a sum of differences of `now()`) in whole microseconds.
    func microseconds(_ ticks: Int) -> Int {
        guard usesTSC != 0 else { return ticks / 1000 }
        let elapsedTicks = switchboard_ticks(usesTSC) &- originTicks
        let elapsedNanoseconds = switchboard_ticks(0) &- originNanoseconds  // 0: monotonic nanoseconds
        guard elapsedTicks > 0 else { return 0 }
        return Int(Double(ticks) * Double(elapsedNanoseconds) / Double(elapsedTicks) / 1000)
    }
}
