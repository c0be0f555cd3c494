/// Block and strong-checksum lengths for a basis file, as rsync's generator picks them
/// (rsync `generator.c`, `sum_sizes_sqroot`, protocol ≥ 30).
public enum BlockSizing {
    /// rsync `BLOCK_SIZE`: the smallest automatic block length.
    public static let minimumBlockLength = 700
    /// rsync `MAX_BLOCK_SIZE` (protocol ≥ 30): the largest block length, also the limit for `-B/--block-size`.
    public static let maximumBlockLength = 1 << 17
    /// rsync `SUM_LENGTH`: the longest strong checksum kept per block.
    public static let maximumStrongLength = 16
    /// rsync `SHORT_SUM_LENGTH` (`csum_length`): the shortest strong checksum kept per block.
    public static let minimumStrongLength = 2
    /// rsync `BLOCKSUM_BIAS`.
    static let blockSumBias = 10

    /// The block length for a basis of `fileSize` bytes: about √size, rounded down to a multiple of 8,
    /// at least 700 and at most 131072 bytes. `-B/--block-size` overrides it (pass that value instead).
    public static func blockLength(fileSize: Int) -> Int {
        let size = UInt64(max(fileSize, 0))
        let minimum = UInt64(minimumBlockLength)
        if size <= minimum * minimum { return minimumBlockLength }
        var c: UInt64 = 1
        var l = size
        while true {
            l >>= 2
            if l == 0 { break }
            c <<= 1
        }
        if c >= UInt64(maximumBlockLength) { return maximumBlockLength }
        var length: UInt64 = 0
        repeat {
            length |= c
            if size < length * length { length &= ~c }
            c >>= 1
        } while c >= 8
        return Int(max(length, minimum))
    }

    /// How many bytes of each block's strong checksum to keep: enough that a false match over the whole file
    /// stays unlikely, between 2 and 16 bytes (rsync's `s2length`), capped at the digest's own length.
    public static func strongLength(fileSize: Int, blockLength: Int, digestLength: Int = 16) -> Int {
        var b = blockSumBias
        var l = UInt64(max(fileSize, 0))
        while true {
            l >>= 1
            if l == 0 { break }
            b += 2
        }
        var c = max(blockLength, 0)
        while true {
            c >>= 1
            if c == 0 || b == 0 { break }
            b -= 1
        }
        var length = (b + 1 - 32 + 7) / 8
        length = max(length, minimumStrongLength)
        length = min(length, maximumStrongLength)
        return min(length, digestLength)
    }
}
