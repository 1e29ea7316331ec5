/// How a key's access is recorded: Redis's 24-bit `lru` field of an object (`evict.c`).
///
/// Every key carries a 24-bit stamp. Under an LRU (or no-LFU) `maxmemory-policy` it is the LRU
/// clock at the last access — Unix seconds modulo 2^24 — and `OBJECT IDLETIME` is derived from it.
/// Under an LFU policy it holds the time of the last decrement in minutes (16 bits) and a
/// logarithmic access counter (8 bits, starting at 5), and `OBJECT FREQ` reads the counter after
/// applying the decay. The broker refreshes the clock in its cron, as Redis caches its LRU clock.
public struct AccessClock: Sendable, Equatable {
    /// Which of the two meanings the stamps have.
    public enum Mode: Sendable, Equatable {
        case lru
        case lfu
    }

    /// Redis's `LRU_CLOCK_MAX`.
    public static let lruClockMax: UInt32 = (1 << 24) - 1
    /// Redis's `LFU_INIT_VAL`: the counter of a new key.
    public static let lfuInitialCount: UInt32 = 5

    public var mode: Mode
    /// Unix seconds modulo 2^24 (Redis's `LRU_CLOCK()` at 1000 ms resolution).
    public var lruClock: UInt32
    /// Unix minutes modulo 2^16 (Redis's `LFUGetTimeInMinutes()`).
    public var minutes: UInt32
    /// `lfu-log-factor`.
    public var lfuLogFactor: Int
    /// `lfu-decay-time` in minutes.
    public var lfuDecayTime: Int

    public init(mode: Mode = .lru, unixMilliseconds: Int64 = 0, lfuLogFactor: Int = 10, lfuDecayTime: Int = 1) {
        self.mode = mode
        self.lruClock = 0
        self.minutes = 0
        self.lfuLogFactor = lfuLogFactor
        self.lfuDecayTime = lfuDecayTime
        setTime(unixMilliseconds: unixMilliseconds)
    }

    /// Updates the clocks to the given wall-clock time.
    public mutating func setTime(unixMilliseconds: Int64) {
        lruClock = UInt32(truncatingIfNeeded: unixMilliseconds / 1000) & Self.lruClockMax
        minutes = UInt32(truncatingIfNeeded: unixMilliseconds / 60_000) & 0xffff
    }

    /// The stamp of a key created now (Redis's `createObject`).
    public var creationStamp: UInt32 {
        mode == .lfu ? (minutes << 8) | Self.lfuInitialCount : lruClock
    }

    /// The stamp after an access (Redis's `lookupKey` touch: `LRU_CLOCK()` or `updateLFU`).
    /// `random` is uniform in [0, 1) for the counter's logarithmic increment.
    public func touched(_ stamp: UInt32, random: Double) -> UInt32 {
        switch mode {
        case .lru:
            return lruClock
        case .lfu:
            var counter = frequency(stamp)
            if counter < 255 {
                let base = Double(max(0, Int(counter) - Int(Self.lfuInitialCount)))
                if random < 1.0 / (base * Double(lfuLogFactor) + 1) { counter += 1 }
            }
            return (minutes << 8) | counter
        }
    }

    /// Redis's `estimateObjectIdleTime` for an LRU stamp, in milliseconds.
    public func idleMilliseconds(_ stamp: UInt32) -> Int64 {
        let stamp = stamp & Self.lruClockMax
        if lruClock >= stamp { return Int64(lruClock - stamp) * 1000 }
        return Int64(lruClock + (Self.lruClockMax - stamp)) * 1000
    }

    /// Redis's `LFUDecrAndReturn`: an LFU stamp's counter after its decay periods.
    public func frequency(_ stamp: UInt32) -> UInt32 {
        let lastDecrement = (stamp >> 8) & 0xffff
        let counter = stamp & 0xff
        let elapsed = minutes >= lastDecrement ? minutes - lastDecrement : 65535 - lastDecrement + minutes
        let periods = lfuDecayTime > 0 ? Int(elapsed) / lfuDecayTime : 0
        if periods == 0 { return counter }
        return periods > Int(counter) ? 0 : counter - UInt32(periods)
    }

    /// Redis's `objectSetLRUOrLFU` (`RESTORE ... IDLETIME/FREQ`): the stamp for a key given an
    /// idle time in seconds (LRU mode) or a frequency (LFU mode); `nil` when the mode's value
    /// was not given.
    public func restoredStamp(idleSeconds: Int64?, frequency: Int64?) -> UInt32? {
        switch mode {
        case .lfu:
            guard let frequency else { return nil }
            return (minutes << 8) | UInt32(clamping: max(0, min(frequency, 255)))
        case .lru:
            guard let idleSeconds else { return nil }
            let clock = Int64(lruClock)
            var absolute = clock - idleSeconds
            if absolute < 0 { absolute = (clock + Int64(Self.lruClockMax / 2)) % Int64(Self.lruClockMax) }
            return UInt32(absolute)
        }
    }
}
