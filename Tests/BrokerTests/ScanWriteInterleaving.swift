/// How far a SCAN iteration and a plan of writes have got (each from 0 to 1; `.infinity` once
/// finished), making either wait when it is too far ahead of the other.
///
/// The writer may be at most `lead + slack` ahead of the scan; the scan, once started, waits
/// until the writer is `lead` ahead of it. So the writes start after the first call, and the
/// scan makes no call from the last `lead` of the cursor space before they are all done.
/// Neither can wait for the other at once: that would need `written < scanned + lead` and
/// `written > scanned + lead + slack`. Used by `ScanConsistencyTests`.
actor ScanWriteInterleaving {
    private var scanned = -1.0
    private var written = 0.0
    let lead = 0.05
    let slack = 0.05
    private var scanWaiter: (needs: Double, continuation: CheckedContinuation<Void, Never>)?
    private var writeWaiter: (needs: Double, continuation: CheckedContinuation<Void, Never>)?

    /// Records the scan's progress (the first call is done), then waits until the writer is far
    /// enough ahead of it.
    func scan(reached progress: Double) async {
        scanned = progress
        wake()
        if progress.isInfinite { return }
        let needs = min(progress + lead, 1)
        if written >= needs { return }
        await withCheckedContinuation { scanWaiter = (needs, $0) }
    }

    /// Records the writer's progress, then waits while it is too far ahead of the scan.
    func writes(reached progress: Double) async {
        written = progress
        wake()
        if progress.isInfinite { return }
        let needs = progress - lead - slack
        if scanned >= needs { return }
        await withCheckedContinuation { writeWaiter = (needs, $0) }
    }

    /// Waits until the scan has made its first call.
    func waitForScanStart() async {
        if scanned >= 0 { return }
        await withCheckedContinuation { writeWaiter = (0, $0) }
    }

    private func wake() {
        if let waiter = scanWaiter, written >= waiter.needs {
            scanWaiter = nil
            waiter.continuation.resume()
        }
        if let waiter = writeWaiter, scanned >= waiter.needs {
            writeWaiter = nil
            waiter.continuation.resume()
        }
    }
}
