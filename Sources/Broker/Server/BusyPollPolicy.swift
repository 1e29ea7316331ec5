/// When ``BrokerEventLoop`` polls its sockets again at once instead of sleeping in `epoll_wait`.
///
/// A client that sends to a sleeping loop pays for waking it: in the kernel's receive path, on the
/// client's own CPU (with loopback clients, about a tenth of `redis-benchmark`'s CPU per request
/// here, most of it in the inter-processor interrupt of a virtual machine). A loop that is busy
/// anyway loses little by not sleeping between bursts, so once the loop worked at least half of a
/// ``window``, it keeps polling for ``spin`` after each batch of ready descriptors and gives way to
/// any other thread of its CPU (`sched_yield`) between polls, until a window is less than a
/// quarter work (a polling loop's clients send faster, a sleeping one's slower, so a single line
/// would have a loop near it flip between the two). A lightly loaded loop sleeps as before, so an
/// idle or quiet broker costs nothing; Redis's I/O threads spin on the same condition (enough
/// pending work) and are parked without it.
///
/// Pure bookkeeping over the times the loop reports (nanoseconds of a monotonic clock), so it can
/// be tested without a clock.
struct BusyPollPolicy {
    /// The span over which the loop's share of work is measured.
    static let window: UInt64 = 1_000_000
    /// How long after its last ready descriptor a busy loop keeps polling.
    static let spin: UInt64 = 50_000

    /// Whether busy polling is allowed at all (`busy-poll`).
    var enabled: Bool
    /// Whether the loop polls while it waits: set by a full window at least half work, cleared by
    /// one less than a quarter work.
    private(set) var busy = false
    private var windowStart: UInt64
    private var worked: UInt64 = 0
    private var pollUntil: UInt64 = 0

    init(enabled: Bool, now: UInt64) {
        self.enabled = enabled
        windowStart = now
    }

    /// Whether the loop, about to wait, should poll without sleeping; `now` is read only while the
    /// loop is busy.
    func shouldPoll(now: @autoclosure () -> UInt64) -> Bool {
        enabled && busy && now() < pollUntil
    }

    /// Records one turn of the loop: it worked from `start` to `end` (handling ready descriptors,
    /// timers and tasks), and `ready` tells whether any descriptor was ready.
    mutating func turn(start: UInt64, end: UInt64, ready: Bool) {
        worked &+= end &- start
        if ready { pollUntil = end &+ Self.spin }
        let span = end &- windowStart
        if span >= Self.window {
            busy = busy ? worked &* 4 >= span : worked &* 2 >= span
            windowStart = end
            worked = 0
        }
    }
}
