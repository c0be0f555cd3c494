/// A token bucket over bytes: `rate` bytes per second on average, with bursts of at most `capacity`
/// bytes beyond it. Pure arithmetic on a caller-supplied clock, so it is tested without sleeping.
public struct TokenBucket: Sendable {
    public let rate: Double
    public let capacity: Double
    private var tokens: Double
    private var last: Double?

    /// - Parameters:
    ///   - bytesPerSecond: the average rate.
    ///   - capacity: the largest burst after an idle spell; a tenth of a second's worth (at least
    ///     1 KiB) by default. The bucket starts empty, so a run's average is exactly the rate.
    public init(bytesPerSecond: Int64, capacity: Int64? = nil) {
        rate = Double(max(1, bytesPerSecond))
        self.capacity = Double(capacity ?? max(1024, bytesPerSecond / 10))
        tokens = 0
    }

    /// Takes `bytes` at time `now` (seconds on any monotonic clock) and returns how long the caller must
    /// wait before sending them to keep the average at `rate`. Tokens may go negative: the debt is the
    /// wait.
    public mutating func reserve(_ bytes: Int, at now: Double) -> Double {
        if let last { tokens = min(capacity, tokens + (now - last) * rate) }
        last = now
        tokens -= Double(bytes)
        return tokens < 0 ? -tokens / rate : 0
    }

    /// rsync's `--bwlimit` rounding: the rate is kept in whole KiB per second (at least 1 KiB), and 0
    /// means no limit.
    public static func rsyncRate(_ bytesPerSecond: Int64) -> Int64? {
        guard bytesPerSecond > 0 else { return nil }
        return max(1, (bytesPerSecond + 512) / 1024) * 1024
    }
}
