import Dispatch
import Synchronization

/// `--bwlimit`: one token bucket shared by every thread that sends file data, which sleeps as the
/// bucket asks. Senders pass small pieces (see `pieceLength`) so no burst exceeds the bucket.
public final class BandwidthLimiter: Sendable {
    private let bucket: Mutex<TokenBucket>
    private let start = ContinuousClock.now
    /// The piece size senders should use: about a twentieth of a second's worth, 1 KiB to 256 KiB.
    public let pieceLength: Int

    public init(bytesPerSecond: Int64) {
        bucket = Mutex(TokenBucket(bytesPerSecond: bytesPerSecond))
        pieceLength = Int(min(256 * 1024, max(1024, bytesPerSecond / 20)))
    }

    /// Accounts for `bytes` about to be sent and sleeps long enough to keep the average rate.
    public func send(_ bytes: Int) {
        let elapsed = ContinuousClock.now - start
        let now = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let wait = bucket.withLock { $0.reserve(bytes, at: now) }
        if wait > 0 {
            _ = DispatchSemaphore(value: 0).wait(timeout: .now() + .nanoseconds(Int(wait * 1e9)))
        }
    }
}
