import Testing

#if canImport(Glibc)
    import Glibc
#endif

@testable import Broker

@Suite("CommandTimer")
struct CommandTimerTests {
    private func monotonicMicroseconds() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return ts.tv_sec * 1_000_000 + ts.tv_nsec / 1000
    }

    @Test("ticks over an interval convert to the interval's length in microseconds")
    func ticksConvertToMicroseconds() {
        let timer = CommandTimer()
        // Not a speed check: the conversion must agree with the monotonic clock over the same span.
        let start = timer.now()
        let from = monotonicMicroseconds()
        while monotonicMicroseconds() - from < 30_000 {}
        let ticks = Int(timer.now() - start)
        let measured = monotonicMicroseconds() - from
        let converted = timer.microseconds(ticks)
        #expect(converted <= measured + 100)
        #expect(converted >= measured * 95 / 100)
        #expect(timer.microseconds(0) == 0)
    }
}
