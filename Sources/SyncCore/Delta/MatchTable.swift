/// Looks basis blocks up by weak checksum (rsync `match.c` `build_hash_table`/`hash_search`, openrsync
/// `blocks.c` `blk_find`): a power-of-two bucket array of chain heads plus a `next` link per block, all flat.
/// Blocks with the same weak sum and the same strong digest are stored once (an all-zero basis is one entry).
/// The short last block is left out: it can only match at the very end of the new file.
final class MatchTable {
    let signature: Signature
    /// Blocks of full `blockLength`, i.e. every block except a short last one.
    let fullBlockCount: Int
    private let weak: UnsafeMutableBufferPointer<UInt32>
    private let strongLow: UnsafeMutableBufferPointer<UInt64>
    private let strongHigh: UnsafeMutableBufferPointer<UInt64>
    private let head: UnsafeMutableBufferPointer<Int32>
    private let next: UnsafeMutableBufferPointer<Int32>
    private let shift: UInt32
    /// One bit per hash value of the full blocks' weak sums, at most 32 KiB so it stays in L1: the rolling
    /// loop tests this first and touches the bucket arrays only on a hit (~5–12% of positions on new data).
    private let filter: UnsafeMutableBufferPointer<UInt64>
    private let filterShift: UInt32
    private let maskLow: UInt64
    private let maskHigh: UInt64
    /// Longest chain walked when dropping duplicates at build time, so a hostile signature with one weak sum
    /// and many strong sums cannot make building quadratic.
    private static let duplicateScanLimit = 16
    /// Most blocks kept with one weak sum (CVE-2024-12084's neighbour, the weak-sum flood): a hostile
    /// signature of many blocks sharing one weak sum would otherwise make every position of the new
    /// file whose rolling sum is that one walk them all, and matching quadratic. Blocks left out only
    /// match less; the delta stays right.
    static let sameWeakSumLimit = 32

    init(signature: Signature) {
        self.signature = signature
        let count = signature.blockCount
        let geometry = signature.geometry
        fullBlockCount = count > 0 && geometry.lastBlockLength < geometry.blockLength ? count - 1 : count
        var bits: UInt32 = 4
        while (1 << bits) < 4 * max(count, 1) && bits < 30 { bits += 1 }
        shift = 32 - bits
        weak = .allocate(capacity: max(count, 1))
        strongLow = .allocate(capacity: max(count, 1))
        strongHigh = .allocate(capacity: max(count, 1))
        next = .allocate(capacity: max(count, 1))
        head = .allocate(capacity: 1 << Int(bits))
        head.initialize(repeating: -1)
        let filterBits = min(bits + 3, 18)
        filterShift = 32 - filterBits
        filter = .allocate(capacity: (1 << Int(filterBits)) / 64)
        filter.initialize(repeating: 0)
        next.initialize(repeating: -1)
        maskLow = StrongDigest.mask(signature.strongLength)
        maskHigh = StrongDigest.mask(signature.strongLength - 8)
        for i in 0..<count {
            weak[i] = signature.weak[i]
            let digest = signature.strongDigest(ofBlock: i)
            strongLow[i] = digest.low
            strongHigh[i] = digest.high
        }
        for i in 0..<fullBlockCount where !isDuplicateOrFlooding(i) {
            let b = bucket(weak[i])
            next[i] = head[b]
            head[b] = Int32(i)
            let f = Int(truncatingIfNeeded: (weak[i] &* 0x9E37_79B1) >> filterShift)
            filter[f >> 6] |= 1 << UInt64(f & 63)
        }
    }

    deinit {
        weak.deallocate()
        strongLow.deallocate()
        strongHigh.deallocate()
        head.deallocate()
        next.deallocate()
        filter.deallocate()
    }

    @inline(__always)
    private func bucket(_ sum: UInt32) -> Int { Int(truncatingIfNeeded: (sum &* 0x9E37_79B1) >> shift) }

    /// True when block `i` is already in the table (same weak and strong sums), or its weak sum already
    /// has `sameWeakSumLimit` blocks. Both scans are bounded, so building stays linear.
    private func isDuplicateOrFlooding(_ i: Int) -> Bool {
        var j = Int(head[bucket(weak[i])])
        var steps = 0
        var sameWeak = 0
        while j >= 0 && steps < Self.duplicateScanLimit + Self.sameWeakSumLimit {
            if weak[j] == weak[i] {
                if steps < Self.duplicateScanLimit && strongLow[j] == strongLow[i] && strongHigh[j] == strongHigh[i] {
                    return true
                }
                sameWeak += 1
                if sameWeak >= Self.sameWeakSumLimit { return true }
            }
            j = Int(next[j])
            steps += 1
        }
        return false
    }

    /// How many blocks a position with weak sum `sum` would be compared against.
    func candidateCount(forWeakSum sum: UInt32) -> Int {
        var count = 0
        var j = Int(head[bucket(sum)])
        while j >= 0 {
            if weak[j] == sum { count += 1 }
            j = Int(next[j])
        }
        return count
    }

    /// True when some full block has weak sum `sum` (the cheap pre-check before any strong hashing).
    @inline(__always)
    func mayMatch(_ sum: UInt32) -> Bool {
        let f = Int(truncatingIfNeeded: (sum &* 0x9E37_79B1) >> filterShift)
        if filter[f >> 6] & (1 << UInt64(f & 63)) == 0 { return false }
        var j = Int(head[bucket(sum)])
        while j >= 0 {
            if weak[j] == sum { return true }
            j = Int(next[j])
        }
        return false
    }

    @inline(__always)
    func strongMatches(_ block: Int, _ digest: StrongDigest) -> Bool {
        strongLow[block] == digest.low & maskLow && strongHigh[block] == digest.high & maskHigh
    }

    @inline(__always)
    func weakSum(ofBlock block: Int) -> UInt32 { weak[block] }

    /// The full block whose weak and strong sums match `window`, preferring `expected` (the block after the
    /// previous match) so runs stay contiguous; blocks before `minimumOffset` are skipped (`--inplace`).
    @inline(__always)
    /// True when `window` is the expected next block, judged by its strong digest alone. After a match
    /// the next window is usually the next block (an unchanged run); checking it this way skips the weak
    /// sum, which would cost a pass over the block. A miss falls back to the weak-sum search; a false
    /// match (a collision of at least 64 bits) would still be caught by the whole-file check.
    func isExpectedBlock(_ expected: Int, window: UnsafeRawBufferPointer, minimumOffset: Int) -> Bool {
        // Alone, a short strong digest (rsync sizes it down to 2 bytes for small files) is too weak.
        guard signature.strongLength >= 8, expected >= 0 && expected < fullBlockCount,
            expected * signature.blockLength >= minimumOffset
        else { return false }
        return strongMatches(expected, signature.checksum.digest(window))
    }

    /// `counts` gets rsync's `--debug=deltasum` figures: lookups in a non-empty bucket, strong mismatches.
    /// (The walk is bounded when the table is built: `sameWeakSumLimit`.)
    func find(sum: UInt32, window: UnsafeRawBufferPointer, expected: Int, minimumOffset: Int,
        counts: inout DeltaSearchCounts) -> Int?
    {
        var digest: StrongDigest? = nil
        let blockLength = signature.blockLength
        if expected >= 0 && expected < fullBlockCount && weak[expected] == sum
            && expected * blockLength >= minimumOffset
        {
            let d = signature.checksum.digest(window)
            if strongMatches(expected, d) { return expected }
            digest = d
        }
        var j = Int(head[bucket(sum)])
        if j >= 0 { counts.hashHits += 1 }
        while j >= 0 {
            if weak[j] == sum && j * blockLength >= minimumOffset {
                let d = digest ?? signature.checksum.digest(window)
                digest = d
                if strongMatches(j, d) { return j }
                counts.falseAlarms += 1
            }
            j = Int(next[j])
        }
        return nil
    }

}
