import SyncTestSupport
import Testing

@testable import SyncCore

/// `--bwlimit`'s token bucket on a simulated clock: a sender that sends as fast as the bucket allows.
@Suite("Bandwidth limiter", .tags(.small))
struct TokenBucketTests {
    /// Sends `total` bytes in `piece`-byte writes; returns (seconds taken, largest amount sent within any
    /// 0.1 s window beyond what the rate allows in that window).
    static func simulate(rate: Int64, piece: Int, total: Int) -> (seconds: Double, worstBurst: Double) {
        var bucket = TokenBucket(bytesPerSecond: rate)
        var now = 0.0
        var sent: [(time: Double, bytes: Int)] = []
        var remaining = total
        while remaining > 0 {
            let n = min(piece, remaining)
            now += bucket.reserve(n, at: now)
            sent.append((now, n))
            remaining -= n
        }
        var worst = 0.0
        var windowStart = 0
        var windowBytes = 0
        for (index, event) in sent.enumerated() {
            windowBytes += event.bytes
            while sent[windowStart].time < event.time - 0.1 {
                windowBytes -= sent[windowStart].bytes
                windowStart += 1
            }
            _ = index
            worst = max(worst, Double(windowBytes) - Double(rate) * 0.1)
        }
        return (now, worst)
    }

    static let rates: [(rate: Int64, piece: Int)] = [
        (10_485_760, 262_144), (1_048_576, 52_428), (102_400, 5_120), (1024, 1024),
    ]

    @Test(arguments: rates)
    func averageStaysAtTheLimitOverThirtySeconds(rate: Int64, piece: Int) {
        let total = Int(rate) * 30
        let result = Self.simulate(rate: Int64(rate), piece: piece, total: total)
        let expected = Double(total) / Double(rate)
        #expect(abs(result.seconds - expected) / expected < 0.01, "took \(result.seconds) s, expected \(expected) s")
        // No window holds more than the bucket's capacity plus one piece above the rate.
        let bucket = TokenBucket(bytesPerSecond: Int64(rate))
        #expect(result.worstBurst <= bucket.capacity + Double(piece))
    }

    @Test func idleTimeDoesNotBankMoreThanTheCapacity() {
        var bucket = TokenBucket(bytesPerSecond: 1000, capacity: 4096)
        #expect(bucket.reserve(4096, at: 0) == 4.096)  // starts empty
        // An hour idle still allows only one capacity's burst.
        #expect(bucket.reserve(4096, at: 3600) == 0)
        #expect(bucket.reserve(1000, at: 3600) == 1.0)
    }

    static let roundings: [(input: Int64, rate: Int64?)] = [
        (0, nil), (1, 1024), (1023, 1024), (1536, 2048), (10_485_760, 10_485_760),
    ]

    @Test(arguments: roundings)
    func rsyncRoundsToWholeKiB(input: Int64, rate: Int64?) {
        #expect(TokenBucket.rsyncRate(input) == rate)
    }
}
